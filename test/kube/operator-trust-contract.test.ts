import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../../lib/config/load-config.js';
import { KubeStatus } from '../../lib/kube/kube-errors.js';
import { trustContractResource } from '../../lib/kube/trust-contract-api.js';
import { silentLogger } from '../../lib/log/logger.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { pemToDerList } from '../../lib/x509/pem.js';
import { systemClock } from '../../lib/time/clock.js';
import { operatorConfigSchema } from '../../operator/operator-config.js';
import { startOperator, type RunningOperator } from '../../operator/start-operator.js';
import { revokeOnDeleteFinalizer } from '../../operator/trust-contract/trust-contract-spec.js';
import { pollUntil } from '../e2e/poll-until.js';
import { startTcpRelay, type TcpRelay } from '../operator/tcp-relay.js';
import { repositoryServerId, startLoopbackHub, type LoopbackHub } from '../../demo/loopback-hub.js';
import { startZonePki, type StartedZonePki } from '../../demo/loopback-zone-pki.js';
import { installAccordCrds } from './accord-crds.js';
import { clientNodeApi, isClientNodeStatus } from './client-node-api.js';
import { startKubeApiServer, type KubeApiServer } from './kube-api-server.js';

// Two zones, each a REAL kube-apiserver with the CRDs and a REAL zone PKI, one REAL contract
// repository (through a TCP relay the tests can cut), and each zone's operator started as its
// binary does (leader election on, SVID from its PKI). Zone A's operator is a repository admin,
// so it may propose; zone B's only approves.

const rootNamespace = 'accord-system';
const operatorPath = '/accord/operator';
const waitMs = 60_000;

interface Zone {
  readonly name: string;
  readonly trustDomain: string;
  readonly cluster: KubeApiServer;
  readonly pki: StartedZonePki;
  readonly rootPem: string;
  readonly customObjects: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly registry: Registry;
  operator: RunningOperator | undefined;
}

let directory: string;
let hub: LoopbackHub;
let relay: TcpRelay;
let a: Zone;
let b: Zone;

async function startZone(name: string, cluster: KubeApiServer): Promise<Zone> {
  const trustDomain = `${name}.example`;
  const pki = await startZonePki({
    directory,
    name,
    trustDomain,
    spiffePaths: [operatorPath],
    logger: silentLogger,
  });
  const core = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  await installAccordCrds(cluster.adminKubeconfig);
  await core.createNamespace({ body: { metadata: { name: rootNamespace } } });
  return {
    name,
    trustDomain,
    cluster,
    pki,
    rootPem: await readFile(pki.rootsFile, 'utf8'),
    customObjects: clientNodeApi(cluster.adminKubeconfig, CustomObjectsApi),
    core,
    registry: new Registry(),
    operator: undefined,
  };
}

async function startZoneOperator(zone: Zone): Promise<RunningOperator> {
  const config = parseConfig(operatorConfigSchema, {
    zone: { name: zone.name, trustDomain: zone.trustDomain },
    repositoryAddress: relay.address,
    repositoryCaFile: hub.rootsFile,
    repositoryServerId,
    pkiAddress: zone.pki.pkiAddress,
    pkiCaFile: zone.pki.rootsFile,
    bootstrapTokenFile: zone.pki.tokenFile(operatorPath),
    kubeconfig: zone.cluster.adminKubeconfig,
    rootNamespace,
    leaderElection: { namespace: rootNamespace, identity: `${zone.name}-operator-0` },
    resyncInterval: '1s',
    backoff: { initialDelay: '100ms', maxDelay: '2s' },
    ops: { port: 0 },
    // Zone A runs injection too: its MeshWorkload controller renders the zones these contracts make Active.
    ...(zone.name === 'zone-a'
      ? {
          injection: {
            namespace: rootNamespace,
            host: '127.0.0.1',
            port: 0,
            envoy: { image: 'envoyproxy/envoy:v1.40.0' },
            translator: { image: 'ghcr.io/accord/accord:0.1.0' },
            remoteZones: [
              {
                trustDomain: 'zone-b.example',
                hostSuffix: 'zone-b',
                endpoint: { host: '127.0.0.1', port: 15443 },
              },
            ],
          },
        }
      : {}),
  });
  return startOperator(config, { logger: silentLogger, registry: zone.registry, clock: systemClock });
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-operator-it-'));
  const [clusterA, clusterB] = await Promise.all([
    startKubeApiServer({ name: 'zone-a' }),
    startKubeApiServer({ name: 'zone-b' }),
  ]);
  [a, b] = await Promise.all([startZone('zone-a', clusterA), startZone('zone-b', clusterB)]);
  hub = await startLoopbackHub({
    directory,
    logger: silentLogger,
    admins: [`spiffe://${a.trustDomain}${operatorPath}`],
    zones: [a.pki, b.pki],
    store: { dataDir: join(directory, 'hub-data') },
  });
  relay = await startTcpRelay(hub.repositoryAddress);
  // zone A reads zone B's root from a Secret in its own root namespace.
  await a.core.createNamespacedSecret({
    namespace: rootNamespace,
    body: { metadata: { name: 'zone-b-root' }, stringData: { 'ca.crt': b.rootPem } },
  });
  a.operator = await startZoneOperator(a);
  b.operator = await startZoneOperator(b);
}, 240_000);

afterAll(async () => {
  // Whatever beforeAll got to start, in reverse.
  const zones = [a, b] as (Zone | undefined)[];
  for (const zone of zones) await zone?.operator?.close();
  await (relay as TcpRelay | undefined)?.close();
  await (hub as LoopbackHub | undefined)?.close();
  for (const zone of zones) {
    await zone?.pki.pki.close();
    await zone?.cluster.stop();
  }
  await rm(directory, { recursive: true, force: true });
}, 120_000);

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

interface TrustContractJson {
  metadata: { name: string; resourceVersion: string; finalizers?: string[]; uid: string };
  status?: {
    state?: string;
    approvedBy?: string[];
    participants?: unknown[];
    rotatingParticipants?: number;
    conditions?: Condition[];
  };
}

const apiPath = {
  group: trustContractResource.group,
  version: trustContractResource.version,
  plural: trustContractResource.plural,
};

function rootSha256(zone: Zone): string {
  const [der] = pemToDerList(zone.rootPem);
  if (der === undefined) throw new Error(`${zone.name} has no root`);
  return sha256Hex(der);
}

function participant(zone: Zone, root: Record<string, unknown> = { pem: zone.rootPem }) {
  return { name: zone.name, trustDomain: zone.trustDomain, root };
}

const bRootInA = { secretKeyRef: { namespace: rootNamespace, name: 'zone-b-root', key: 'ca.crt' } };

async function apply(zone: Zone, name: string, participants: readonly unknown[]): Promise<void> {
  await zone.customObjects.createClusterCustomObject({
    ...apiPath,
    body: {
      apiVersion: `${apiPath.group}/${apiPath.version}`,
      kind: trustContractResource.kind,
      metadata: { name },
      spec: { participants },
    },
  });
}

async function read(zone: Zone, name: string): Promise<TrustContractJson | undefined> {
  try {
    return (await zone.customObjects.getClusterCustomObject({ ...apiPath, name })) as TrustContractJson;
  } catch (error) {
    if (isClientNodeStatus(error, KubeStatus.notFound)) return undefined;
    throw error;
  }
}

function condition(object: TrustContractJson | undefined, type: string): Condition | undefined {
  return object?.status?.conditions?.find((candidate) => candidate.type === type);
}

/** Waits until the object's `type` condition matches `expected`; returns the object. */
async function untilCondition(
  zone: Zone,
  name: string,
  type: string,
  expected: Partial<Condition>,
): Promise<TrustContractJson> {
  return pollUntil(
    `${zone.name}: ${name} ${type} ${JSON.stringify(expected)}`,
    async () => {
      const object = await read(zone, name);
      const found = condition(object, type);
      const isMatch =
        found !== undefined &&
        Object.entries(expected).every(([key, value]) => found[key as keyof Condition] === value);
      return isMatch ? object : undefined;
    },
    waitMs,
    200,
  );
}

const meshNamespace = 'shop';
const meshWorkloadPath = { group: 'accord.dev', version: 'v1alpha1', plural: 'meshworkloads' };

/** Zone A's MeshWorkload `orders` once its Ready condition has `reason`. */
async function untilWorkloadReady(reason: string): Promise<Condition> {
  return pollUntil(
    `orders Ready ${reason}`,
    async () => {
      const workload = (await a.customObjects.getNamespacedCustomObject({
        ...meshWorkloadPath,
        namespace: meshNamespace,
        name: 'orders',
      })) as { status?: { conditions?: Condition[] } };
      const ready = workload.status?.conditions?.[0];
      return ready?.reason === reason ? ready : undefined;
    },
    waitMs,
    200,
  );
}

async function events(zone: Zone, name: string) {
  const list = await zone.core.listNamespacedEvent({
    namespace: 'default',
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items.map((event) => ({
    type: event.type,
    reason: event.reason,
    kind: event.involvedObject.kind,
    component: event.source?.component,
  }));
}

async function reconcileCount(zone: Zone): Promise<number> {
  const metric = await zone.registry.getSingleMetric('accord_operator_reconciles_total')?.get();
  return (metric?.values ?? []).reduce((sum, value) => sum + value.value, 0);
}

async function readyz(zone: Zone): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${String(zone.operator?.opsPort)}/readyz`);
  return response.status;
}

describe('accord-operator against real API servers and a real contract repository', () => {
  it('is ready and leads in each zone once it listed the TrustContracts', async () => {
    for (const zone of [a, b]) {
      await pollUntil(
        `${zone.name} leads`,
        () => Promise.resolve(zone.operator?.isLeader() === true ? true : undefined),
        waitMs,
      );
      await pollUntil(
        `${zone.name} ready`,
        async () => ((await readyz(zone)) === 200 ? true : undefined),
        waitMs,
      );
    }
    const leader = await a.registry.getSingleMetric('accord_operator_is_leader')?.get();
    expect(leader?.values[0]?.value).toBe(1);
  });

  it('proposes and approves an applied TrustContract, with its finalizer, conditions and Events', async () => {
    await apply(a, 'ab', [participant(a), participant(b, bRootInA)]);
    const proposed = await untilCondition(a, 'ab', 'Approved', {
      status: 'True',
      reason: 'ApprovedByThisZone',
    });
    expect(proposed.metadata.finalizers).toEqual([revokeOnDeleteFinalizer]);
    expect(condition(proposed, 'Proposed')).toMatchObject({ status: 'True', reason: 'ContractProposed' });
    expect(condition(proposed, 'Active')).toMatchObject({ status: 'False', reason: 'WaitingForApprovals' });
    expect(proposed.status).toMatchObject({ state: 'Proposed', approvedBy: ['zone-a'] });
    const recorded = await pollUntil(
      'Events of ab',
      async () => {
        const found = await events(a, 'ab');
        return found.length >= 2 ? found : undefined;
      },
      waitMs,
    );
    expect(recorded).toEqual(
      expect.arrayContaining([
        { type: 'Normal', reason: 'ContractProposed', kind: 'TrustContract', component: 'accord-operator' },
        { type: 'Normal', reason: 'ApprovedByThisZone', kind: 'TrustContract', component: 'accord-operator' },
      ]),
    );
  });

  it('turns the contract Active in both zones once zone B applies it too', async () => {
    await apply(b, 'ab', [participant(a), participant(b)]);
    const inB = await untilCondition(b, 'ab', 'Active', {
      status: 'True',
      reason: 'ApprovedByAllParticipants',
    });
    expect(inB.status).toMatchObject({ state: 'Active', approvedBy: ['zone-a', 'zone-b'] });
    // Each participant's root as zone B verified it, accepted by the API server's status schema.
    expect(inB.status?.rotatingParticipants).toBe(0);
    expect(inB.status?.participants).toEqual(
      [a, b].map((zone) => ({
        name: zone.name,
        trustDomain: zone.trustDomain,
        phase: 'Stable',
        currentRoot: expect.objectContaining({ sha256: rootSha256(zone), sequence: 0 }) as unknown,
      })),
    );
    // Zone A learns it from the repository at its periodic resync: nothing changed in its cluster.
    const inA = await untilCondition(a, 'ab', 'Active', { status: 'True' });
    expect(inA.status?.state).toBe('Active');
    expect((await events(b, 'ab')).map((event) => event.reason)).toContain('ApprovedByAllParticipants');
  });

  it('writes nothing in a steady state: resyncs change no resourceVersion and record no Events', async () => {
    await untilCondition(a, 'ab', 'Active', { status: 'True' });
    const [beforeA, beforeB] = await Promise.all([read(a, 'ab'), read(b, 'ab')]);
    const eventsBefore = [(await events(a, 'ab')).length, (await events(b, 'ab')).length];
    const head = hub.repository.repository.head.sequence;
    const countsBefore = [await reconcileCount(a), await reconcileCount(b)];
    await pollUntil(
      'three resyncs in each zone',
      async () =>
        (await reconcileCount(a)) >= (countsBefore[0] ?? 0) + 3 &&
        (await reconcileCount(b)) >= (countsBefore[1] ?? 0) + 3
          ? true
          : undefined,
      waitMs,
      100,
    );
    expect((await read(a, 'ab'))?.metadata.resourceVersion).toBe(beforeA?.metadata.resourceVersion);
    expect((await read(b, 'ab'))?.metadata.resourceVersion).toBe(beforeB?.metadata.resourceVersion);
    expect([(await events(a, 'ab')).length, (await events(b, 'ab')).length]).toEqual(eventsBefore);
    expect(hub.repository.repository.head.sequence).toBe(head);
  });

  it("routes the Active partner in zone A's sidecar config (the MeshWorkload controller runs on the leader)", async () => {
    await a.core.createNamespace({ body: { metadata: { name: meshNamespace } } });
    await a.core.createNamespacedSecret({
      namespace: meshNamespace,
      body: { metadata: { name: 'orders-users' }, stringData: { 'users.yaml': 'users: {}\n' } },
    });
    await a.customObjects.createNamespacedCustomObject({
      ...meshWorkloadPath,
      namespace: meshNamespace,
      body: {
        apiVersion: 'accord.dev/v1alpha1',
        kind: 'MeshWorkload',
        metadata: { name: 'orders' },
        spec: {
          selector: { matchLabels: { app: 'orders' } },
          port: 8080,
          outbound: { type: 'basic', basic: { usersSecretName: 'orders-users' } },
        },
      },
    });
    const ready = await untilWorkloadReady('ConfigRendered');
    expect(ready).toMatchObject({ status: 'True', message: 'sidecar config rendered for zone-b.example' });
    const configMap = await a.core.readNamespacedConfigMap({
      namespace: meshNamespace,
      name: 'accord-sidecar-orders',
    });
    expect(configMap.data?.['envoy.yaml']).toContain('zone_zone-b');
  });

  it('revokes the contract when its TrustContract is deleted, then lets it go; zone B reports it Revoked', async () => {
    await a.customObjects.deleteClusterCustomObject({ ...apiPath, name: 'ab' });
    await pollUntil(
      'ab gone from zone A',
      async () => ((await read(a, 'ab')) === undefined ? true : undefined),
      waitMs,
    );
    const inB = await untilCondition(b, 'ab', 'Revoked', { status: 'True', reason: 'RevokedByParticipant' });
    expect(inB.status?.state).toBe('Revoked');
    expect(condition(inB, 'Active')).toMatchObject({ status: 'False', reason: 'RevokedByParticipant' });
    expect(await events(b, 'ab')).toContainEqual(
      expect.objectContaining({ type: 'Warning', reason: 'RevokedByParticipant' }),
    );
  });

  it("reports zone A's workload NoActiveContracts once the contract is gone; the route stays, trust refuses", async () => {
    await untilWorkloadReady('NoActiveContracts');
    const configMap = await a.core.readNamespacedConfigMap({
      namespace: meshNamespace,
      name: 'accord-sidecar-orders',
    });
    expect(configMap.data?.['envoy.yaml']).toContain('zone_zone-b');
  });

  it('refuses a spec with a bad PEM as InvalidSpec with a Warning Event, writing nothing to the repository', async () => {
    const head = hub.repository.repository.head.sequence;
    const badPem = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
    await apply(a, 'bad-pem', [participant(a), participant(b, { pem: badPem })]);
    const object = await untilCondition(a, 'bad-pem', 'Proposed', { status: 'False', reason: 'InvalidSpec' });
    expect(condition(object, 'Proposed')?.message).toMatch(/spec\.participants\[1\]\.root/);
    await pollUntil(
      'InvalidSpec Event',
      async () =>
        (await events(a, 'bad-pem')).some(
          (event) => event.type === 'Warning' && event.reason === 'InvalidSpec',
        )
          ? true
          : undefined,
      waitMs,
    );
    expect(hub.repository.repository.head.sequence).toBe(head);
  });

  it('refuses a root Secret without the referenced key as InvalidSpec, writing nothing to the repository', async () => {
    const head = hub.repository.repository.head.sequence;
    const missingKey = {
      secretKeyRef: { namespace: rootNamespace, name: 'zone-b-root', key: 'missing.crt' },
    };
    await apply(a, 'missing-key', [participant(a), participant(b, missingKey)]);
    const object = await untilCondition(a, 'missing-key', 'Proposed', {
      status: 'False',
      reason: 'InvalidSpec',
    });
    expect(condition(object, 'Proposed')?.message).toContain('has no key "missing.crt"');
    expect(hub.repository.repository.head.sequence).toBe(head);
  });

  it('refuses a root outside its root namespace as InvalidSpec', async () => {
    const elsewhere = { configMapKeyRef: { namespace: 'default', name: 'zone-b-root', key: 'ca.crt' } };
    await apply(a, 'other-namespace', [participant(a), participant(b, elsewhere)]);
    const object = await untilCondition(a, 'other-namespace', 'Proposed', { reason: 'InvalidSpec' });
    expect(condition(object, 'Proposed')?.message).toContain(
      `only reads roots from namespace ${rootNamespace}`,
    );
  });

  it('reports RepositoryUnavailable while the repository is down, and recovers when it returns', async () => {
    await relay.stop();
    try {
      await apply(a, 'while-down', [participant(a), participant(b, bRootInA)]);
      const down = await untilCondition(a, 'while-down', 'Proposed', { reason: 'RepositoryUnavailable' });
      expect(condition(down, 'Proposed')?.status).toBe('Unknown');
      expect(down.metadata.finalizers).toEqual([revokeOnDeleteFinalizer]);
      expect(await events(a, 'while-down')).toContainEqual(
        expect.objectContaining({ type: 'Warning', reason: 'RepositoryUnavailable' }),
      );
      const unavailable = await a.registry
        .getSingleMetric('accord_operator_repository_unavailable_total')
        ?.get();
      expect(unavailable?.values[0]?.value).toBeGreaterThan(0);
      expect(await readyz(a)).toBe(200);
    } finally {
      await relay.start();
    }
    await untilCondition(a, 'while-down', 'Proposed', { status: 'True', reason: 'ContractProposed' });
    await untilCondition(a, 'while-down', 'Approved', { status: 'True' });
  });
});
