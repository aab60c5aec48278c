import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { FailedPreconditionError, UnavailableError } from '../../lib/errors/accord-error.js';
import type { CaState } from '../../pki/ca-state.js';
import { caSecretLabels, caStateSecretKey } from '../../pki/kube-secret-ca-store.js';
import { openCaStore } from '../../pki/open-ca-store.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';
import { kubectl } from './kubectl.js';
import { grantRole, untilAllowed } from './rbac-grant.js';

const namespace = 'accord-system';

const state = (name: string, version = 1): CaState => ({
  version,
  sequence: 1,
  roots: [{ certificatePem: name, privateKeyPem: `${name}-key` }],
});

const encoded = (text: string) => Buffer.from(text).toString('base64');

let cluster: KubeApiServer;
let admin: CoreV1Api;

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'ca-secret' });
  admin = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  await admin.createNamespace({ body: { metadata: { name: namespace } } });
}, 180_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

let secretCount = 0;
/** A Secret name no other test uses, so tests never see each other's state. */
const freshName = () => `pki-ca-${++secretCount}`;

/** A store with its own client, as a separate PKI replica would have. */
const storeFor = (name: string, kubeconfig = cluster.adminKubeconfig) =>
  openCaStore({ caSecret: { namespace, name, kubeconfig } });

const readSecret = (name: string) => admin.readNamespacedSecret({ name, namespace });

describe('KubeSecretCaStore against a real API server', () => {
  it('loads nothing while the Secret does not exist', async () => {
    expect(await storeFor(freshName()).load()).toBeUndefined();
  });

  it('stores the first state in one labelled Opaque Secret under ca-state.json', async () => {
    const name = freshName();
    expect(await storeFor(name).createIfAbsent(state('first'))).toEqual(state('first'));
    const secret = await readSecret(name);
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata?.labels).toEqual(caSecretLabels);
    expect(Object.keys(secret.data ?? {})).toEqual([caStateSecretKey]);
    expect(JSON.parse(Buffer.from(secret.data?.[caStateSecretKey] ?? '', 'base64').toString())).toEqual(
      state('first'),
    );
    expect(await storeFor(name).load()).toEqual(state('first'));
  });

  it('ends every round of two stores racing to create with one state both of them return', async () => {
    for (let round = 0; round < 5; round++) {
      const name = freshName();
      const [a, b] = await Promise.all([
        storeFor(name).createIfAbsent(state(`a-${round}`)),
        storeFor(name).createIfAbsent(state(`b-${round}`)),
      ]);
      expect(a).toEqual(b);
      expect(await storeFor(name).load()).toEqual(a);
    }
  });

  it('replaces with the expected version and refuses a stale one, leaving the stored state as it was', async () => {
    const name = freshName();
    const store = storeFor(name);
    await store.createIfAbsent(state('first'));
    await store.replace(state('second', 2), 1);
    expect(await store.load()).toEqual(state('second', 2));
    const before = await readSecret(name);

    await expect(store.replace(state('third', 3), 1)).rejects.toThrow(FailedPreconditionError);
    expect(await store.load()).toEqual(state('second', 2));
    expect((await readSecret(name)).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('keeps keys and annotations others added to the Secret when replacing', async () => {
    const name = freshName();
    const store = storeFor(name);
    await store.createIfAbsent(state('first'));
    const asAdmin = (...args: string[]) => kubectl(cluster.adminKubeconfig, '-n', namespace, ...args);
    expect(await asAdmin('annotate', 'secret', name, 'backup.example/last=today')).toMatchObject({ code: 0 });
    const addKey = JSON.stringify({ data: { 'notes.txt': encoded('hello') } });
    expect(await asAdmin('patch', 'secret', name, '-p', addKey)).toMatchObject({ code: 0 });

    await store.replace(state('second', 2), 1);
    const replaced = await readSecret(name);
    expect(replaced.metadata?.annotations).toEqual({ 'backup.example/last': 'today' });
    expect(replaced.data?.['notes.txt']).toBe(encoded('hello'));
    expect(await store.load()).toEqual(state('second', 2));
  });

  it('lets only one of two concurrent replacements of the same version win', async () => {
    const name = freshName();
    await storeFor(name).createIfAbsent(state('first'));
    const outcomes = await Promise.allSettled([
      storeFor(name).replace(state('a', 2), 1),
      storeFor(name).replace(state('b', 2), 1),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const [refusal] = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(refusal?.reason).toBeInstanceOf(FailedPreconditionError);
  });

  it.each<[string, Record<string, string>, string]>([
    [
      'not JSON',
      { [caStateSecretKey]: encoded('{"version": 1, "roots": [') },
      'key ca-state.json: not valid JSON',
    ],
    ['without the key', { 'other.json': encoded('{}') }, 'has no key ca-state.json'],
    [
      'holding something else',
      { [caStateSecretKey]: encoded(JSON.stringify({ ...state('x'), roots: [] })) },
      'key ca-state.json: not a CA state (roots: ',
    ],
  ])('reports a Secret %s precisely and never overwrites it', async (_case, data, message) => {
    const name = freshName();
    const corrupted: V1Secret = { metadata: { name, namespace }, type: 'Opaque', data };
    const { metadata } = await admin.createNamespacedSecret({ namespace, body: corrupted });
    const store = storeFor(name);

    await expect(store.load()).rejects.toThrow(`Secret ${namespace}/${name}`);
    await expect(store.load()).rejects.toThrow(message);
    await expect(store.createIfAbsent(state('new'))).rejects.toThrow(message);
    await expect(store.replace(state('new', 2), 1)).rejects.toThrow(message);
    const after = await readSecret(name);
    expect(after.data).toEqual(data);
    expect(after.metadata?.resourceVersion).toBe(metadata?.resourceVersion);
  });

  it('reads a state written with a separate WIT key (before WITs were signed by the root) and drops that key', async () => {
    const name = freshName();
    const legacy = { ...state('legacy'), witSigningKeyPem: 'legacy-wit-key' };
    await admin.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name, namespace },
        type: 'Opaque',
        data: { [caStateSecretKey]: encoded(JSON.stringify(legacy)) },
      },
    });
    const store = storeFor(name);

    await expect(store.load()).resolves.toEqual(state('legacy'));
    await store.replace(state('legacy', 2), 1);
    const stored = JSON.parse(
      Buffer.from((await readSecret(name)).data?.[caStateSecretKey] ?? '', 'base64').toString(),
    ) as Record<string, unknown>;
    expect(stored).toEqual(state('legacy', 2));
  });

  it('works with only create on Secrets and get and update on its own Secret, as documented', async () => {
    const name = freshName();
    const user = 'accord-pki-test';
    await grantRole(cluster.adminKubeconfig, namespace, user, [
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: [name], verbs: ['get', 'update'] },
    ]);
    const kubeconfig = await cluster.kubeconfigFor(user);
    await untilAllowed(kubeconfig, namespace, 'update', `secrets/${name}`);

    const store = storeFor(name, kubeconfig);
    expect(await store.load()).toBeUndefined();
    await store.createIfAbsent(state('first'));
    await store.replace(state('second', 2), 1);
    expect(await store.load()).toEqual(state('second', 2));

    const other = storeFor(freshName(), kubeconfig).load();
    await expect(other).rejects.toThrow(UnavailableError);
    await expect(storeFor(freshName(), kubeconfig).load()).rejects.toThrow(
      /HTTP 403: secrets "pki-ca-\d+" is forbidden/,
    );
  });
});
