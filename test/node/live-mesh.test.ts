import { join } from 'node:path';
import { auditLogSelector } from '../../contract-repo/audit-entry-config-map.js';
import { pollUntil } from '../e2e/poll-until.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import {
  LiveMesh,
  liveMeshImages,
  type LiveZone,
  hubRelease,
  legacyApp,
  meshNamespace,
  releaseNamespace,
  zoneRelease,
} from './live-mesh.js';
import { getJson, isPodReady, listPods, untilDeploymentsReady } from './node-objects.js';
import type { NodeCluster } from './node-cluster.js';
import { nodeLeftovers } from './node-teardown.js';

// Real clusters on real nodes (test/node/node-cluster.ts): everything below runs as pods, from the
// images `npm run image` builds, installed with helm from charts/accord.
jest.setTimeout(900_000);

/** What Kubernetes itself puts in every namespace. */
const kubernetesDefaults = ['configmap/kube-root-ca.crt', 'serviceaccount/default'];

const directories = new TemporaryDirectories('accord-live-mesh');
let mesh: LiveMesh;
let zoneA: LiveZone;
let zoneB: LiveZone;

/** Bounds, not sleeps: each wait returns as soon as its condition holds. */
const convergeMs = 120_000;
const refusedWithinMs = 30_000;

beforeAll(async () => {
  mesh = await LiveMesh.start(await liveMeshImages(), join(await directories.make(), 'run'));
  [zoneA, zoneB] = mesh.zones;
}, 900_000);

afterAll(async () => {
  // Undefined when the start failed: LiveMesh.start has then stopped the clusters it started.
  if ((mesh as LiveMesh | undefined) !== undefined) {
    const footprints = mesh.clusters.map((cluster) => cluster.footprint);
    await mesh.stop();
    for (const footprint of footprints) expect(await nodeLeftovers(footprint)).toEqual([]);
  }
  await directories.removeAll();
}, 300_000);

async function untilContractState(zone: LiveZone, id: string, state: string): Promise<void> {
  await pollUntil(
    `${zone.name}: TrustContract ${id} ${state}`,
    async () => ((await mesh.contractState(zone, id)) === state ? true : undefined),
    convergeMs,
    500,
  );
}

function untilCallSucceeds(from: LiveZone) {
  return mesh.untilCallSucceeds(from, convergeMs);
}

/** What the container's own process reports: its UID, and whether `/` takes a write. */
async function runtimeIdentity(zone: { cluster: LiveMesh['hub'] }, pod: string, container: string) {
  const probe = await zone.cluster.kubectl([
    '-n',
    releaseNamespace,
    'exec',
    pod,
    '-c',
    container,
    '--',
    'node',
    '-e',
    "let write='written';try{require('fs').writeFileSync('/probe','x')}catch(e){write=e.code}console.log(process.getuid()+' '+write)",
  ]);
  return probe.stdout;
}

describe('Accord on live pods: two zone clusters and a hub, each a real node in its own network namespace', () => {
  it('installs with helm: every pod turns Ready through its real probes, non-root on a read-only root', async () => {
    await mesh.installAccord();
    for (const cluster of mesh.clusters) {
      const pods = await listPods(cluster, releaseNamespace);
      expect(pods.length).toBeGreaterThan(0);
      for (const pod of pods) {
        expect({ pod: pod.metadata.name, ready: isPodReady(pod) }).toEqual({
          pod: pod.metadata.name,
          ready: true,
        });
        for (const container of pod.spec.containers) {
          expect(container.securityContext).toMatchObject({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
          });
          expect(await runtimeIdentity({ cluster }, pod.metadata.name, container.name)).toBe('65532 EROFS');
        }
      }
    }
    const components = (await listPods(zoneA.cluster, releaseNamespace)).map(
      (pod) => pod.metadata.labels?.['app.kubernetes.io/component'],
    );
    expect(components.sort()).toEqual(['contract-provider', 'operator', 'operator', 'pki']);
    expect((await listPods(mesh.hub, releaseNamespace)).length).toBe(1);
  });

  it('has the provider and operator reach the PKI by its Service DNS name, resolved by CoreDNS', async () => {
    for (const zone of mesh.zones) {
      const clusterIp = await zone.cluster.kubectl([
        '-n',
        releaseNamespace,
        'get',
        'service',
        `${zoneRelease}-pki`,
        '-o',
        'jsonpath={.spec.clusterIP}',
      ]);
      for (const component of ['contract-provider', 'operator']) {
        const config = await zone.cluster.kubectl([
          '-n',
          releaseNamespace,
          'get',
          'configmap',
          `${zoneRelease}-${component}-config`,
          '-o',
          'jsonpath={.data.config\\.yaml}',
        ]);
        const pkiAddress = /^pkiAddress: "([^"]+)"/m.exec(config.stdout)?.[1];
        expect({ component, pkiAddress }).toEqual({
          component,
          pkiAddress: `${zoneRelease}-pki.${releaseNamespace}.svc:8443`,
        });
        const [pod] = await listPods(
          zone.cluster,
          releaseNamespace,
          `app.kubernetes.io/component=${component}`,
        );
        const resolved = await zone.cluster.kubectl([
          '-n',
          releaseNamespace,
          'exec',
          pod?.metadata.name ?? 'missing',
          '--',
          'node',
          '-e',
          `require('dns').lookup('${zoneRelease}-pki.${releaseNamespace}.svc', (e, a) => console.log(e ? e.code : a))`,
        ]);
        expect({ component, resolved: resolved.stdout }).toEqual({ component, resolved: clusterIp.stdout });
      }
    }
  });

  it('injects Envoy and the translator as native sidecars into the legacy workloads, and the pods run them', async () => {
    await mesh.deployLegacyWorkloads();
    for (const zone of mesh.zones) {
      const [pod] = await listPods(zone.cluster, meshNamespace, `app=${legacyApp}`);
      expect(pod && isPodReady(pod)).toBe(true);
      const sidecars = (pod?.spec.initContainers ?? []).map((container) => [
        container.name,
        container.restartPolicy,
      ]);
      expect(sidecars).toEqual([
        ['accord-translator', 'Always'],
        ['accord-envoy', 'Always'],
      ]);
      for (const status of pod?.status.initContainerStatuses ?? []) {
        expect({
          name: status.name,
          running: status.state?.running !== undefined,
          ready: status.ready,
        }).toEqual({
          name: status.name,
          running: true,
          ready: true,
        });
      }
      const workload = await getJson<{ status?: { injectedPods?: number } }>(zone.cluster, [
        'meshworkload',
        '-n',
        meshNamespace,
        legacyApp,
      ]);
      expect(workload.status?.injectedPods).toBe(1);
    }
  });

  it("refuses zone A's call to zone B before any contract: the mTLS handshake fails", async () => {
    // Zone A's Envoy answers 503 itself, the call never reaching zone B: the upstream TLS handshake
    // failed ("upstream connect error"), or the translator's outbound check failed first (ext_authz
    // fails closed with an empty 503; seen once at load 40). The handshake below shows the mTLS
    // refusal itself: zone B's Envoy rejects zone A's SVID.
    const call = await mesh.callPartner(zoneA);
    expect(call.status).toBe(503);
    expect(call.seenByPartner).toBeUndefined();
    expect(await mesh.handshakeWithPartner(zoneA)).toMatch(/alert certificate unknown|alert unknown ca/);
  });

  it('kubectl apply in both zones: the contract turns Active, the bundle Secrets appear, and the same pods call each other', async () => {
    await mesh.applyContract(zoneA, 'ab');
    await mesh.applyContract(zoneB, 'ab');
    await untilContractState(zoneA, 'ab', 'Active');
    await untilContractState(zoneB, 'ab', 'Active');
    await pollUntil(
      'the bundle Secrets hold the partner zones',
      async () =>
        (await mesh.bundleSecretKeys(zoneA)).includes('zone-b.example.pem') &&
        (await mesh.bundleSecretKeys(zoneB)).includes('zone-a.example.pem')
          ? true
          : undefined,
      convergeMs,
      500,
    );
    const call = await untilCallSucceeds(zoneA);
    const [partnerUser] = zoneB.partnerCredentials.split(':');
    expect(call.seenByPartner?.user).toBe(partnerUser);
    expect(call.seenByPartner?.headers.authorization).toBe(
      `Basic ${Buffer.from(zoneB.partnerCredentials).toString('base64')}`,
    );
    expect(call.seenByPartner?.headers['accord-workload']).toBe(zoneA.legacyWorkloadId);
    expect((await untilCallSucceeds(zoneB)).seenByPartner?.headers['accord-workload']).toBe(
      zoneB.legacyWorkloadId,
    );
    expect(await mesh.handshakeWithPartner(zoneA)).toBe('accepted');
  });

  it('fault: the operator leader pod is deleted, and the other replica finishes the work', async () => {
    const leaseHolder = async () =>
      (
        await zoneA.cluster.kubectl([
          '-n',
          releaseNamespace,
          'get',
          'lease',
          `${zoneRelease}-operator`,
          '-o',
          'jsonpath={.spec.holderIdentity}',
        ])
      ).stdout;
    const leader = await leaseHolder();
    expect(leader).toMatch(/^accord-operator-/);
    const deleted = await zoneA.cluster.kubectl([
      '-n',
      releaseNamespace,
      'delete',
      'pod',
      leader,
      '--wait=false',
    ]);
    expect(deleted.code).toBe(0);
    await mesh.applyContract(zoneA, 'ab-2');
    await mesh.applyContract(zoneB, 'ab-2');
    await untilContractState(zoneA, 'ab-2', 'Active');
    await untilContractState(zoneB, 'ab-2', 'Active');
    const newLeader = await leaseHolder();
    expect(newLeader).not.toBe(leader);
    await untilDeploymentsReady(zoneA.cluster, releaseNamespace, convergeMs);
  });

  it('fault: the repository and PKI pods are deleted; nothing acknowledged is lost, trust is unchanged, the pods come back Ready', async () => {
    const auditEntries = async () =>
      (
        await mesh.hub.kubectl([
          '-n',
          releaseNamespace,
          'get',
          'configmaps',
          '-l',
          auditLogSelector('accord-audit'),
          '-o',
          'jsonpath={.items[*].metadata.name}',
        ])
      ).stdout
        .split(' ')
        .filter((name) => name !== '')
        .sort();
    const entriesBefore = await auditEntries();
    expect(entriesBefore.length).toBeGreaterThanOrEqual(6); // two contracts: propose, two approvals each
    const rootsBefore = await Promise.all(mesh.zones.map((zone) => mesh.readZoneRoot(zone)));
    const deletions = [
      mesh.hub.kubectl([
        '-n',
        releaseNamespace,
        'delete',
        'pod',
        '-l',
        'app.kubernetes.io/component=contract-repo',
      ]),
      ...mesh.zones.map((zone) =>
        zone.cluster.kubectl([
          '-n',
          releaseNamespace,
          'delete',
          'pod',
          '-l',
          'app.kubernetes.io/component=pki',
        ]),
      ),
    ];
    for (const deletion of await Promise.all(deletions)) expect(deletion.code).toBe(0);
    await Promise.all(
      mesh.clusters.map((cluster) => untilDeploymentsReady(cluster, releaseNamespace, convergeMs)),
    );
    expect((await auditEntries()).slice(0, entriesBefore.length)).toEqual(entriesBefore);
    expect(await Promise.all(mesh.zones.map((zone) => mesh.readZoneRoot(zone)))).toEqual(rootsBefore);
    for (const zone of mesh.zones) {
      expect(await mesh.contractState(zone, 'ab')).toBe('Active');
      expect(await mesh.contractState(zone, 'ab-2')).toBe('Active');
    }
    // The restarted repository takes new work: revoking ab-2 from zone A reaches zone B.
    expect((await zoneA.cluster.kubectl(['delete', 'trustcontract', 'ab-2', '--timeout=120s'])).code).toBe(0);
    await untilContractState(zoneB, 'ab-2', 'Revoked');
    expect((await untilCallSucceeds(zoneA)).status).toBe(200);
  });

  it('helm upgrade with a values change rolls the pods, and the mesh keeps working', async () => {
    const values = join(mesh.directory, 'zone-a-upgrade.values.json');
    await mesh.writeValues(values, mesh.zoneValues(zoneA, { logLevel: 'debug' }));
    await mesh.helm(zoneA.cluster, [
      'upgrade',
      zoneRelease,
      mesh.chart,
      '-n',
      releaseNamespace,
      '-f',
      values,
    ]);
    await untilDeploymentsReady(zoneA.cluster, releaseNamespace, convergeMs);
    const config = await zoneA.cluster.kubectl([
      '-n',
      releaseNamespace,
      'get',
      'configmap',
      `${zoneRelease}-operator-config`,
      '-o',
      'jsonpath={.data.config\\.yaml}',
    ]);
    expect(config.stdout).toContain('level: "debug"');
    expect((await untilCallSucceeds(zoneA)).status).toBe(200);
  });

  it('kubectl delete in one zone: calls are refused again within seconds', async () => {
    expect((await zoneB.cluster.kubectl(['delete', 'trustcontract', 'ab', '--wait=false'])).code).toBe(0);
    const deletedAt = performance.now();
    const refused = await mesh.untilCallRefused(zoneA, refusedWithinMs);
    expect(performance.now() - deletedAt).toBeLessThan(refusedWithinMs);
    expect(refused.seenByPartner).toBeUndefined();
    await untilContractState(zoneA, 'ab', 'Revoked');
  });

  it("refuses helm uninstall while TrustContracts or MeshWorkloads carry the operator's finalizers, deleting nothing", async () => {
    const refused = await zoneA.cluster.helm(
      ['uninstall', zoneRelease, '-n', releaseNamespace, '--wait', '--timeout', '120s'],
      {
        timeoutMs: 180_000,
      },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `Job/${releaseNamespace}/${zoneRelease}-uninstall-check not ready. status: Failed`,
    );
    const job = await zoneA.cluster.kubectl([
      '-n',
      releaseNamespace,
      'logs',
      `job/${zoneRelease}-uninstall-check`,
    ]);
    expect(job.stdout).toContain(
      `not uninstalling: delete TrustContracts ab and MeshWorkloads ${meshNamespace}/${legacyApp} first`,
    );
    await untilDeploymentsReady(zoneA.cluster, releaseNamespace, convergeMs);
    expect((await zoneA.cluster.helm(['status', zoneRelease, '-n', releaseNamespace])).code).toBe(0);
  });

  it('helm uninstall (after the TrustContracts and MeshWorkloads) leaves only the data it keeps on purpose', async () => {
    for (const zone of mesh.zones) {
      expect((await zone.cluster.kubectl(['delete', 'trustcontract', '--all', '--timeout=120s'])).code).toBe(
        0,
      );
      const workloads = await zone.cluster.kubectl([
        '-n',
        meshNamespace,
        'delete',
        'meshworkload',
        '--all',
        '--timeout=120s',
      ]);
      expect(workloads.code).toBe(0);
    }
    const uninstalls: [NodeCluster, string, string[]][] = [
      // The provider's memory of withdrawn contracts is kept like the zone's CA (docs/helm.md): a
      // reinstall must not forget them, or a compromised repository could serve them as active again.
      [
        zoneA.cluster,
        zoneRelease,
        [`configmap/${zoneRelease}-contract-provider-memory`, `secret/${zoneRelease}-pki-ca`],
      ],
      [
        zoneB.cluster,
        zoneRelease,
        [`configmap/${zoneRelease}-contract-provider-memory`, `secret/${zoneRelease}-pki-ca`],
      ],
      [mesh.hub, hubRelease, []],
    ];
    for (const [cluster, release, keptOnPurpose] of uninstalls) {
      await mesh.helm(cluster, ['uninstall', release, '-n', releaseNamespace, '--wait', '--timeout', '120s']);
      const left = async (namespace: string, kinds: string) =>
        (await cluster.kubectl(['get', kinds, '-n', namespace, '-o', 'name'])).stdout
          .split('\n')
          .filter(
            (name) =>
              name !== '' && !kubernetesDefaults.includes(name) && !mesh.inputsOf(cluster).includes(name),
          );
      const inRelease = await pollUntil(
        `${cluster.name}: the release's pods gone`,
        async () => {
          const names = await left(
            releaseNamespace,
            'all,configmaps,secrets,leases,roles,rolebindings,serviceaccounts',
          );
          return names.some((name) => name.startsWith('pod/')) ? undefined : names;
        },
        convergeMs,
        500,
      );
      // The audit log is the hub's record of every contract: kept, like the zone's root CA (docs/helm.md).
      expect(inRelease.filter((name) => !/^configmap\/accord-audit-\d+$/.test(name))).toEqual(keptOnPurpose);
      if (cluster !== mesh.hub) {
        expect(await left(meshNamespace, 'configmaps,secrets,leases')).toEqual([]);
        const cluster_scoped = await cluster.kubectl([
          'get',
          'clusterroles,clusterrolebindings,mutatingwebhookconfigurations',
          '-o',
          'name',
        ]);
        expect(cluster_scoped.stdout).not.toContain('accord');
        const targetPort = await cluster.kubectl([
          '-n',
          meshNamespace,
          'get',
          'service',
          legacyApp,
          '-o',
          'jsonpath={.spec.ports[0].targetPort}',
        ]);
        expect(targetPort.stdout).toBe('8080');
      }
    }
  });
});
