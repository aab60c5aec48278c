import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { coreApiClient } from '../../lib/kube/kube-client.js';
import type { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { KubeApiError } from '../../lib/kube/kube-errors.js';
import type { V1Secret } from '../../lib/kube/kube-objects.js';
import { silentLogger } from '../../lib/log/logger.js';
import {
  spiffeBundleRoots,
  witSvidBundleKey,
  type SpiffeBundleDocument,
} from '../../lib/spiffe/spiffe-bundle.js';
import type { DesiredBundles } from '../../contract-provider/bundle-writer.js';
import { bundleMapSecretName, bundleSecretName } from '../../lib/bundle/bundle-secret-layout.js';
import {
  type SecretApi,
  type SecretBundleWriterOptions,
  SecretBundleWriter,
} from '../../contract-provider/secret-bundle-writer.js';
import { FileWithdrawnContractStore } from '../../contract-provider/withdrawn-contract-store.js';
import { startScriptedProvider } from '../contract-provider/scripted-provider.js';
import { waitFor } from '../contract-provider/wait-for.js';
import { approvedContract } from '../support/test-contracts.js';
import { createTestZone, type TestZone } from '../support/test-zone.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';
import { grantRole, untilAllowed } from './rbac-grant.js';

const namespaces = ['mesh-a', 'mesh-b'] as const;
const [meshA, meshB] = namespaces;
const bundleLabels = {
  'app.kubernetes.io/name': 'accord',
  'app.kubernetes.io/component': 'trust-bundle',
  'accord.dev/trust-bundle': 'true',
};

/** The provider's user, granted what the chart grants it on Secrets. */
const providerUser = 'accord-contract-provider';

let cluster: KubeApiServer;
/** Accord's client, as the provider uses it, with admin rights (also for what others do behind its back). */
let core: KubeCoreApi;
/** Accord's client with exactly the chart's RBAC on Secrets: list, create, update, delete. */
let providerCore: KubeCoreApi;
/** client-node, for what the provider never does (namespaces, clearing them). */
let setup: CoreV1Api;
let a: TestZone;
let b: TestZone;
let c: TestZone;
let d: TestZone;

beforeAll(async () => {
  [cluster, a, b, c, d] = await Promise.all([
    startKubeApiServer({ name: 'secret-bundle-writer' }),
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
    createTestZone('zone-d', 'team_d.corp.example'),
  ]);
  core = coreApiClient(cluster.adminKubeconfig);
  setup = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  for (const namespace of namespaces) {
    await setup.createNamespace({ body: { metadata: { name: namespace } } });
    // The chart's Role in every mesh namespace (charts/accord/templates/contract-provider.yaml).
    await grantRole(cluster.adminKubeconfig, namespace, providerUser, [
      { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'create', 'update', 'delete'] },
    ]);
  }
  const providerKubeconfig = await cluster.kubeconfigFor(providerUser);
  for (const namespace of namespaces) await untilAllowed(providerKubeconfig, namespace, 'update', 'secrets');
  providerCore = coreApiClient(providerKubeconfig);
}, 180_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

beforeEach(async () => {
  for (const namespace of namespaces) await setup.deleteCollectionNamespacedSecret({ namespace });
});

function desired(...zones: (TestZone | [TestZone, string[]])[]): DesiredBundles {
  return new Map(
    zones.map((entry) => {
      const [zone, rootsPem] = Array.isArray(entry) ? entry : [entry, [entry.rootPem]];
      return [zone.trustDomain, { rootsPem, contractIds: ['ab'] }];
    }),
  );
}

/**
 * The real API (`base`), recording every call as it is made, failed ones too: the namespace of
 * every list, and the name of every call that changes something.
 */
function recordingApi(base: SecretApi = core): { api: SecretApi; writes: string[]; lists: string[] } {
  const writes: string[] = [];
  const lists: string[] = [];
  const api: SecretApi = {
    listNamespacedSecret: async (param) => {
      lists.push(param.namespace);
      return base.listNamespacedSecret(param);
    },
    createNamespacedSecret: async (param) => {
      writes.push(`create ${param.namespace}`);
      return base.createNamespacedSecret(param);
    },
    replaceNamespacedSecret: async (param) => {
      writes.push(`replace ${param.namespace}/${param.name}`);
      return base.replaceNamespacedSecret(param);
    },
    deleteNamespacedSecret: async (param) => {
      writes.push(`delete ${param.namespace}/${param.name}`);
      return base.deleteNamespacedSecret(param);
    },
  };
  return { api, writes, lists };
}

/** Empties the records of `recordingApi`. */
function clear(...records: string[][]): void {
  for (const record of records) record.length = 0;
}

function writer(api: SecretApi = core, options: Partial<SecretBundleWriterOptions> = {}): SecretBundleWriter {
  return new SecretBundleWriter(api, { namespaces, log: silentLogger, ...options });
}

/** Every Secret of a namespace, labelled or not, by name. */
async function secretsIn(namespace: string): Promise<Map<string, V1Secret>> {
  const list = await core.listNamespacedSecret({ namespace });
  return new Map(list.items.map((secret) => [secret.metadata?.name ?? '', secret]));
}

async function secret(namespace: string, name: string): Promise<V1Secret> {
  return core.readNamespacedSecret({ namespace, name });
}

/** Stores `change(current)` as someone else than the provider would (admin, any change). */
async function changeBehindItsBack(
  namespace: string,
  name: string,
  change: (current: V1Secret) => V1Secret,
): Promise<void> {
  await core.replaceNamespacedSecret({ namespace, name, body: change(await secret(namespace, name)) });
}

function text(secret: V1Secret, key: string): string {
  const encoded = secret.data?.[key];
  if (encoded === undefined) throw new Error(`Secret ${secret.metadata?.name ?? ''} has no key ${key}`);
  return Buffer.from(encoded, 'base64').toString('utf8');
}

async function resourceVersions(): Promise<Record<string, string | undefined>> {
  const versions: Record<string, string | undefined> = {};
  for (const namespace of namespaces) {
    for (const [name, found] of await secretsIn(namespace)) {
      versions[`${namespace}/${name}`] = found.metadata?.resourceVersion;
    }
  }
  return versions;
}

describe('SecretBundleWriter against a real API server', () => {
  it('creates one Secret per zone and the bundle map in every mesh namespace', async () => {
    expect(await writer().sync(desired(b, c))).toEqual({
      written: [b.trustDomain, c.trustDomain],
      removed: [],
    });
    for (const namespace of namespaces) {
      expect([...(await secretsIn(namespace)).keys()].sort()).toEqual(
        [bundleMapSecretName, bundleSecretName(b.trustDomain), bundleSecretName(c.trustDomain)].sort(),
      );
      const zoneB = await secret(namespace, bundleSecretName(b.trustDomain));
      expect(zoneB.type).toBe('Opaque');
      expect(zoneB.metadata?.labels).toEqual(bundleLabels);
      expect(zoneB.metadata?.annotations).toEqual({ 'accord.dev/trust-domain': b.trustDomain });
      expect(Object.keys(zoneB.data ?? {}).sort()).toEqual(['bundle.spiffe.json', 'ca.pem']);
      expect(new X509Certificate(text(zoneB, 'ca.pem')).fingerprint256).toBe(b.root.fingerprint256);
      const bundle = JSON.parse(text(zoneB, 'bundle.spiffe.json')) as SpiffeBundleDocument;
      expect(bundle.spiffe_sequence).toBe(1);
      expect(spiffeBundleRoots(bundle)).toEqual([b.root.raw.toString('base64')]);
      expect(bundle.keys.filter((key) => key.use === 'wit-svid')).toEqual([witSvidBundleKey(b.rootPem)]);
      const map = await secret(namespace, bundleMapSecretName);
      expect(map.metadata?.labels).toEqual(bundleLabels);
      const bundleMap = JSON.parse(text(map, 'bundle-map.json')) as Record<string, SpiffeBundleDocument>;
      expect(Object.keys(bundleMap)).toEqual([b.trustDomain, c.trustDomain]);
      expect(bundleMap[b.trustDomain]).toEqual(bundle);
      // Mounted whole, the map Secret is local mode's bundle directory.
      expect(Object.keys(map.data ?? {}).sort()).toEqual([
        'bundle-map.json',
        `${b.trustDomain}.pem`,
        `${b.trustDomain}.spiffe.json`,
        `${c.trustDomain}.pem`,
        `${c.trustDomain}.spiffe.json`,
      ]);
      expect(text(map, `${b.trustDomain}.pem`)).toBe(text(zoneB, 'ca.pem'));
      expect(text(map, `${b.trustDomain}.spiffe.json`)).toBe(text(zoneB, 'bundle.spiffe.json'));
    }
  });

  it('writes nothing when the Secrets already match: no write call, every resourceVersion unchanged', async () => {
    await writer().sync(desired(b, c));
    const before = await resourceVersions();
    const { api, writes } = recordingApi();
    expect(await writer(api).sync(desired(b, c))).toEqual({ written: [], removed: [] });
    expect(writes).toEqual([]);
    expect(await resourceVersions()).toEqual(before);
  });

  it('replaces a zone Secret in place when its roots change and leaves the other zones alone', async () => {
    await writer().sync(desired(b, c));
    const [oldB, oldC] = await Promise.all([
      secret(meshA, bundleSecretName(b.trustDomain)),
      secret(meshA, bundleSecretName(c.trustDomain)),
    ]);
    const { api, writes } = recordingApi();
    const result = await writer(api).sync(desired([b, [b.rootPem, d.rootPem]], c));
    expect(result).toEqual({ written: [b.trustDomain], removed: [] });
    expect(writes.sort()).toEqual(
      namespaces.flatMap((namespace) => [
        `replace ${namespace}/${bundleMapSecretName}`,
        `replace ${namespace}/${bundleSecretName(b.trustDomain)}`,
      ]),
    );
    const [newB, newC] = await Promise.all([
      secret(meshA, bundleSecretName(b.trustDomain)),
      secret(meshA, bundleSecretName(c.trustDomain)),
    ]);
    expect(newB.metadata?.uid).toBe(oldB.metadata?.uid);
    expect(newB.metadata?.resourceVersion).not.toBe(oldB.metadata?.resourceVersion);
    expect(text(newB, 'ca.pem')).toContain(d.rootPem.trim());
    expect((JSON.parse(text(newB, 'bundle.spiffe.json')) as SpiffeBundleDocument).spiffe_sequence).toBe(2);
    expect(newC.metadata?.resourceVersion).toBe(oldC.metadata?.resourceVersion);
  });

  it("deletes a revoked zone's Secrets in every namespace and keeps the other zones'", async () => {
    await writer().sync(desired(b, c));
    expect(await writer().sync(desired(c))).toEqual({ written: [], removed: [b.trustDomain] });
    for (const namespace of namespaces) {
      const names = [...(await secretsIn(namespace)).keys()];
      expect(names.sort()).toEqual([bundleMapSecretName, bundleSecretName(c.trustDomain)].sort());
      const map = await secret(namespace, bundleMapSecretName);
      expect(Object.keys(JSON.parse(text(map, 'bundle-map.json')) as object)).toEqual([c.trustDomain]);
      expect(Object.keys(map.data ?? {}).filter((key) => key.startsWith(b.trustDomain))).toEqual([]);
    }
  });

  it('never touches an unlabelled Secret, and fails rather than take over one holding its name', async () => {
    const similar = 'accord-bundle-zone-b-example';
    const squatter = bundleSecretName(c.trustDomain);
    for (const name of [similar, squatter]) {
      await core.createNamespacedSecret({
        namespace: meshB,
        body: { metadata: { name }, stringData: { 'ca.pem': 'not ours' } },
      });
    }
    const before = await secretsIn(meshB);
    await expect(writer().sync(desired(b, c))).rejects.toBeInstanceOf(KubeApiError);
    await writer().sync(new Map());
    const after = await secretsIn(meshB);
    for (const name of [similar, squatter]) {
      expect(after.get(name)?.metadata?.resourceVersion).toBe(before.get(name)?.metadata?.resourceVersion);
      expect(text(after.get(name) ?? {}, 'ca.pem')).toBe('not ours');
    }
  });

  it('throws when the API server fails mid-sync and deletes nothing', async () => {
    await writer().sync(desired(b, c));
    const before = await resourceVersions();
    const { api, writes } = recordingApi();
    const failing: SecretApi = {
      ...api,
      listNamespacedSecret: async (param) => {
        if (param.namespace === meshB) {
          throw new KubeApiError(500, '{"message":"etcdserver: request timed out"}', 'GET secrets');
        }
        return api.listNamespacedSecret(param);
      },
    };
    await expect(writer(failing).sync(desired(b, c))).rejects.toThrow('request timed out');
    expect(writes).toEqual([]);
    expect(await resourceVersions()).toEqual(before);
  });

  it('gives a trust domain with dots and underscores a valid Secret name', async () => {
    expect(await writer().sync(desired(d))).toEqual({ written: [d.trustDomain], removed: [] });
    const name = bundleSecretName(d.trustDomain);
    expect(name).toMatch(/^accord-bundle-team-d-corp-example-[0-9a-f]{8}$/);
    const zoneD = await secret(meshA, name);
    expect(zoneD.metadata?.annotations?.['accord.dev/trust-domain']).toBe(d.trustDomain);
  });

  it('references a namespaced owner only from the Secrets in its own namespace', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace: meshA,
      body: { metadata: { name: `owner-${String(Date.now())}` } },
    });
    const { name = '', uid = '' } = owner.metadata ?? {};
    await writer(core, {
      owner: { apiVersion: 'v1', kind: 'ConfigMap', name, uid, namespace: meshA },
    }).sync(desired(b));
    const inOwnNamespace = await secret(meshA, bundleSecretName(b.trustDomain));
    const elsewhere = await secret(meshB, bundleSecretName(b.trustDomain));
    expect(inOwnNamespace.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'v1', kind: 'ConfigMap', name, uid }),
    ]);
    expect(elsewhere.metadata?.ownerReferences).toBeUndefined();
  });
});

describe('SecretBundleWriter remembering what it wrote (the chart RBAC: list, create, update, delete)', () => {
  const zoneB = () => bundleSecretName(b.trustDomain);
  const zoneC = () => bundleSecretName(c.trustDomain);

  it('lists each namespace once, then writes a change without listing: its writes alone, nothing in a steady state', async () => {
    const { api, writes, lists } = recordingApi(providerCore);
    const remembering = writer(api);
    await remembering.sync(desired(b));
    expect(lists).toEqual([meshA, meshB]);
    clear(writes, lists);

    // A new zone: two calls per namespace (create, replace the map) where a list made it three.
    expect(await remembering.sync(desired(b, c))).toEqual({ written: [c.trustDomain], removed: [] });
    expect(writes).toEqual(
      namespaces.flatMap((ns) => [`create ${ns}`, `replace ${ns}/${bundleMapSecretName}`]),
    );
    clear(writes);
    // A zone's roots change: the remembered bundle moves its spiffe_sequence on, as a listed one does.
    expect(await remembering.sync(desired([b, [b.rootPem, d.rootPem]], c))).toEqual({
      written: [b.trustDomain],
      removed: [],
    });
    expect(writes).toEqual(
      namespaces.flatMap((ns) => [`replace ${ns}/${zoneB()}`, `replace ${ns}/${bundleMapSecretName}`]),
    );
    const rotated = JSON.parse(
      text(await secret(meshB, zoneB()), 'bundle.spiffe.json'),
    ) as SpiffeBundleDocument;
    expect(rotated.spiffe_sequence).toBe(2);
    clear(writes);
    // A zone no longer trusted: its Secret deleted under the revision the writer itself stored.
    expect(await remembering.sync(desired(c))).toEqual({ written: [], removed: [b.trustDomain] });
    expect(writes).toEqual(
      namespaces.flatMap((ns) => [`replace ${ns}/${bundleMapSecretName}`, `delete ${ns}/${zoneB()}`]),
    );
    clear(writes);
    expect(await remembering.sync(desired(c))).toEqual({ written: [], removed: [] });
    expect([...writes, ...lists]).toEqual([]);

    // What it remembers is what is stored: a writer that lists finds nothing to change.
    const fresh = recordingApi(providerCore);
    expect(await writer(fresh.api).sync(desired(c))).toEqual({ written: [], removed: [] });
    expect(fresh.writes).toEqual([]);
    for (const namespace of namespaces)
      expect([...(await secretsIn(namespace)).keys()].sort()).toEqual([bundleMapSecretName, zoneC()].sort());
  });

  it('repairs at a resync a Secret deleted or edited behind its back, which a sync from memory does not see', async () => {
    const { api, writes, lists } = recordingApi(providerCore);
    const remembering = writer(api);
    await remembering.sync(desired(b, c));
    await core.deleteNamespacedSecret({ namespace: meshA, name: zoneB() });
    await changeBehindItsBack(meshB, zoneC(), (current) => ({
      ...current,
      data: { ...current.data, 'ca.pem': Buffer.from('tampered').toString('base64') },
    }));
    clear(writes, lists);

    expect(await remembering.sync(desired(b, c))).toEqual({ written: [], removed: [] });
    expect([...writes, ...lists]).toEqual([]);

    expect(await remembering.sync(desired(b, c), { isResync: true })).toEqual({
      written: [b.trustDomain, c.trustDomain],
      removed: [],
    });
    expect(lists).toEqual([meshA, meshB]);
    expect(writes).toEqual([`create ${meshA}`, `replace ${meshB}/${zoneC()}`]);
    const repairedB = new X509Certificate(text(await secret(meshA, zoneB()), 'ca.pem'));
    const repairedC = new X509Certificate(text(await secret(meshB, zoneC()), 'ca.pem'));
    expect(repairedB.fingerprint256).toBe(b.root.fingerprint256);
    expect(repairedC.fingerprint256).toBe(c.root.fingerprint256);
  });

  it('lists again and converges when a write from memory meets a Secret changed (409) or deleted (404) meanwhile', async () => {
    const { api, writes, lists } = recordingApi(providerCore);
    const remembering = writer(api);
    await remembering.sync(desired(b, c));
    // Someone else labels the map Secret in mesh-a and annotates zone B's Secret in mesh-b: both
    // resourceVersions move.
    await changeBehindItsBack(meshA, bundleMapSecretName, (current) => ({
      ...current,
      metadata: { ...current.metadata, labels: { ...current.metadata?.labels, team: 'payments' } },
    }));
    await changeBehindItsBack(meshB, zoneB(), (current) => ({
      ...current,
      metadata: { ...current.metadata, annotations: { ...current.metadata?.annotations, note: 'edited' } },
    }));
    clear(writes, lists);

    expect(await remembering.sync(desired(c))).toEqual({ written: [], removed: [b.trustDomain] });
    expect(lists).toEqual([meshA, meshB]);
    expect(writes).toEqual([
      `replace ${meshA}/${bundleMapSecretName}`, // 409: the revision it remembered is gone
      `replace ${meshA}/${bundleMapSecretName}`,
      `delete ${meshA}/${zoneB()}`,
      `replace ${meshB}/${bundleMapSecretName}`,
      `delete ${meshB}/${zoneB()}`, // 409: the precondition's revision is gone
      `delete ${meshB}/${zoneB()}`,
    ]);
    const mapA = await secret(meshA, bundleMapSecretName);
    expect(mapA.metadata?.labels).toEqual({ ...bundleLabels, team: 'payments' });
    expect(Object.keys(JSON.parse(text(mapA, 'bundle-map.json')) as object)).toEqual([c.trustDomain]);
    for (const namespace of namespaces) expect((await secretsIn(namespace)).has(zoneB())).toBe(false);

    await core.deleteNamespacedSecret({ namespace: meshA, name: bundleMapSecretName });
    clear(writes, lists);
    expect(await remembering.sync(desired(b, c))).toEqual({ written: [b.trustDomain], removed: [] });
    expect(lists).toEqual([meshA]);
    expect(writes).toEqual([
      `create ${meshA}`,
      `replace ${meshA}/${bundleMapSecretName}`, // 404: deleted behind its back
      `create ${meshA}`,
      `create ${meshB}`,
      `replace ${meshB}/${bundleMapSecretName}`,
    ]);
    for (const namespace of namespaces) {
      const map = await secret(namespace, bundleMapSecretName);
      expect(Object.keys(JSON.parse(text(map, 'bundle-map.json')) as object)).toEqual([
        b.trustDomain,
        c.trustDomain,
      ]);
    }
  });

  it('still fails rather than take over an unlabelled Secret holding a name it remembered as its own', async () => {
    const { api, writes, lists } = recordingApi(providerCore);
    const remembering = writer(api);
    await remembering.sync(desired(b, c));
    // Someone replaces zone C's Secret in mesh-a with an unlabelled one of the same name.
    await core.deleteNamespacedSecret({ namespace: meshA, name: zoneC() });
    await core.createNamespacedSecret({
      namespace: meshA,
      body: { metadata: { name: zoneC() }, stringData: { 'ca.pem': 'not ours' } },
    });
    clear(writes, lists);
    await expect(
      remembering.sync(desired([b, [b.rootPem, d.rootPem]], [c, [c.rootPem, d.rootPem]])),
    ).rejects.toThrow('HTTP 409');
    // From memory, replace under a revision that is gone (409); listed, the name is not the
    // provider's: create, AlreadyExists (409). Nothing after it, in that namespace or the next.
    expect(lists).toEqual([meshA]);
    expect(writes).toEqual([`replace ${meshA}/${zoneB()}`, `replace ${meshA}/${zoneC()}`, `create ${meshA}`]);
    expect(text(await secret(meshA, zoneC()), 'ca.pem')).toBe('not ours');
  });

  it('forgets a namespace after a failed call and lists it again at the next sync', async () => {
    const { api, writes, lists } = recordingApi(providerCore);
    let isFailing = false;
    const failing: SecretApi = {
      ...api,
      createNamespacedSecret: async (param) => {
        if (isFailing && param.namespace === meshB)
          throw new KubeApiError(500, '{"message":"etcdserver: request timed out"}', 'POST secrets');
        return api.createNamespacedSecret(param);
      },
    };
    const remembering = writer(failing);
    await remembering.sync(desired(b));
    isFailing = true;
    await expect(remembering.sync(desired(b, c))).rejects.toThrow('request timed out');
    isFailing = false;
    clear(writes, lists);
    expect(await remembering.sync(desired(b, c))).toEqual({ written: [c.trustDomain], removed: [] });
    expect(lists).toEqual([meshB]);
    expect(writes).toEqual([`create ${meshB}`, `replace ${meshB}/${bundleMapSecretName}`]);
  });

  it("repairs a deleted bundle Secret at the provider's resync", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'accord-secret-resync-'));
    const { provider, source } = startScriptedProvider({
      ownZone: a,
      writer: writer(providerCore),
      memory: new FileWithdrawnContractStore(join(directory, 'withdrawn-contracts.json')),
      logger: silentLogger,
    });
    try {
      await waitFor(() => source.streams.length === 1, 15_000);
      const ab = await approvedContract('ab', [a, b]);
      source.current.send({ kind: 'snapshot', contracts: [{ id: ab.id, contract: ab }] });
      await waitFor(() => provider.isReady(), 15_000);
      await provider.whenIdle();
      await core.deleteNamespacedSecret({ namespace: meshA, name: zoneB() });
      provider.resync();
      await waitFor(async () => (await secretsIn(meshA)).has(zoneB()), 15_000);
    } finally {
      await provider.stop();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
