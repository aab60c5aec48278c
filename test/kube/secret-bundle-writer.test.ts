import { X509Certificate } from 'node:crypto';
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
import { createTestZone, type TestZone } from '../support/test-zone.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

const namespaces = ['mesh-a', 'mesh-b'] as const;
const [meshA, meshB] = namespaces;
const bundleLabels = {
  'app.kubernetes.io/name': 'accord',
  'app.kubernetes.io/component': 'trust-bundle',
  'accord.dev/trust-bundle': 'true',
};

let cluster: KubeApiServer;
/** Accord's client, as the provider uses it. */
let core: KubeCoreApi;
/** client-node, for what the provider never does (namespaces, clearing them). */
let setup: CoreV1Api;
let b: TestZone;
let c: TestZone;
let d: TestZone;

beforeAll(async () => {
  [cluster, b, c, d] = await Promise.all([
    startKubeApiServer({ name: 'secret-bundle-writer' }),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
    createTestZone('zone-d', 'team_d.corp.example'),
  ]);
  core = coreApiClient(cluster.adminKubeconfig);
  setup = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  for (const namespace of namespaces)
    await setup.createNamespace({ body: { metadata: { name: namespace } } });
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

/** The real API, recording the name of every call that changes something. */
function recordingApi(): { api: SecretApi; writes: string[] } {
  const writes: string[] = [];
  const api: SecretApi = {
    listNamespacedSecret: async (param) => core.listNamespacedSecret(param),
    createNamespacedSecret: async (param) => {
      writes.push(`create ${param.namespace}`);
      return core.createNamespacedSecret(param);
    },
    replaceNamespacedSecret: async (param) => {
      writes.push(`replace ${param.namespace}/${param.name}`);
      return core.replaceNamespacedSecret(param);
    },
    deleteNamespacedSecret: async (param) => {
      writes.push(`delete ${param.namespace}/${param.name}`);
      return core.deleteNamespacedSecret(param);
    },
  };
  return { api, writes };
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
