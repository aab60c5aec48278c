import { CoreV1Api } from '@kubernetes/client-node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectKube, KubeClient, type WatchEventHandler } from '../../lib/kube/kube-client.js';
import { loadKubeConnectionSettings } from '../../lib/kube/kube-config.js';
import { corePath, KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { isKubeStatus, KubeApiError, kubeErrorReason, KubeStatus } from '../../lib/kube/kube-errors.js';
import { startTcpRelay, type TcpRelay } from '../operator/tcp-relay.js';
import { mintServiceAccountToken } from '../pki-kube/service-account-cluster.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

// Accord's Kubernetes client against a REAL kube-apiserver: the calls, their errors and deadlines,
// watches, token files, and that a client keeps its connections (one TLS handshake, not one per call).

const namespace = 'kube-client';
let cluster: KubeApiServer;
let directory: string;

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'kube-client' });
  await clientNodeApi(cluster.adminKubeconfig, CoreV1Api).createNamespace({
    body: { metadata: { name: namespace } },
  });
  directory = await mkdtemp(join(tmpdir(), 'accord-kube-client-'));
}, 180_000);

afterAll(async () => {
  await cluster.stop();
  await rm(directory, { recursive: true, force: true });
}, 60_000);

/** A client for the admin kubeconfig whose connections go through `relay`, which counts them. */
function clientThrough(relay: TcpRelay, timeoutMs?: number): KubeClient {
  const settings = loadKubeConnectionSettings(cluster.adminKubeconfig);
  return new KubeClient(
    { ...settings, server: `https://${relay.address}` },
    timeoutMs === undefined ? {} : { timeoutMs },
  );
}

describe('KubeCoreApi on a KubeClient', () => {
  it('creates, reads and lists page by page, and refuses with the API server’s status and reason', async () => {
    const core = new KubeCoreApi(connectKube(cluster.adminKubeconfig));
    for (const name of ['one', 'two', 'three']) {
      await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name, labels: { set: 'paged' } }, data: { name } },
      });
    }
    expect((await core.readNamespacedConfigMap({ namespace, name: 'two' })).data).toEqual({ name: 'two' });

    const names: string[] = [];
    let next: string | undefined;
    do {
      const page = await core.listNamespacedConfigMap({
        namespace,
        labelSelector: 'set=paged',
        limit: 2,
        ...(next === undefined ? {} : { continue: next }),
      });
      names.push(...page.items.map((item) => item.metadata?.name ?? ''));
      next = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (next !== undefined);
    expect(names.sort()).toEqual(['one', 'three', 'two']);

    const duplicate = await core
      .createNamespacedConfigMap({ namespace, body: { metadata: { name: 'one' } } })
      .catch((error: unknown) => error);
    expect(isKubeStatus(duplicate, KubeStatus.conflict)).toBe(true);
    expect(kubeErrorReason(duplicate)).toBe('HTTP 409: configmaps "one" already exists');
    const missing = await core
      .readNamespacedConfigMap({ namespace, name: 'none' })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(KubeApiError);
    expect((missing as KubeApiError).message).toBe(
      `GET /api/v1/namespaces/${namespace}/configmaps/none: HTTP 404: configmaps "none" not found`,
    );
  });

  it('replaces only the resourceVersion it read, and deletes only under a matching precondition', async () => {
    const core = new KubeCoreApi(connectKube(cluster.adminKubeconfig));
    const created = await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'versioned' }, stringData: { key: 'first' } },
    });
    const replaced = await core.replaceNamespacedSecret({
      namespace,
      name: 'versioned',
      body: { ...created, data: { key: Buffer.from('second').toString('base64') } },
    });
    const stale = await core
      .replaceNamespacedSecret({ namespace, name: 'versioned', body: created })
      .catch((error: unknown) => error);
    expect(isKubeStatus(stale, KubeStatus.conflict)).toBe(true);
    const staleDelete = await core
      .deleteNamespacedSecret({
        namespace,
        name: 'versioned',
        body: { preconditions: { resourceVersion: created.metadata?.resourceVersion ?? '' } },
      })
      .catch((error: unknown) => error);
    expect(isKubeStatus(staleDelete, KubeStatus.conflict)).toBe(true);
    await core.deleteNamespacedSecret({
      namespace,
      name: 'versioned',
      body: { preconditions: { resourceVersion: replaced.metadata?.resourceVersion ?? '' } },
    });
    const gone = await core
      .readNamespacedSecret({ namespace, name: 'versioned' })
      .catch((error: unknown) => error);
    expect(isKubeStatus(gone, KubeStatus.notFound)).toBe(true);
  });
});

describe('KubeClient connections', () => {
  let relay: TcpRelay;

  beforeEach(async () => {
    relay = await startTcpRelay(new URL(cluster.server).host);
  });

  afterEach(async () => {
    await relay.close();
  });

  it('sends every call of a client over one kept-alive connection', async () => {
    const client = clientThrough(relay);
    const core = new KubeCoreApi(client);
    for (let call = 0; call < 20; call += 1) await core.listNamespacedSecret({ namespace });
    expect(relay.acceptedConnections()).toBe(1);
    // Views with another deadline share the connections.
    await new KubeCoreApi(client.withTimeout(5_000)).listNamespacedSecret({ namespace });
    expect(relay.acceptedConnections()).toBe(1);
    client.close();
  });

  it('opens a connection per call in flight, then reuses them', async () => {
    const client = clientThrough(relay);
    const core = new KubeCoreApi(client);
    await Promise.all(Array.from({ length: 4 }, () => core.listNamespacedSecret({ namespace })));
    const afterBurst = relay.acceptedConnections();
    expect(afterBurst).toBeLessThanOrEqual(4);
    for (let call = 0; call < 10; call += 1) await core.listNamespacedSecret({ namespace });
    expect(relay.acceptedConnections()).toBe(afterBurst);
    client.close();
  });

  it('calls on a new connection after the old one was cut while idle', async () => {
    const client = clientThrough(relay);
    const core = new KubeCoreApi(client);
    await core.listNamespacedSecret({ namespace });
    await relay.stop();
    await relay.start();
    expect((await core.listNamespacedSecret({ namespace })).items).toBeDefined();
    expect(relay.acceptedConnections()).toBe(2);
    client.close();
  });
});

describe('KubeClient.watch', () => {
  it('delivers each event, then calls done with null when the server ends the watch', async () => {
    const client = connectKube(cluster.adminKubeconfig);
    const core = new KubeCoreApi(client);
    const { metadata } = await core.listNamespacedConfigMap({ namespace });
    const events: string[] = [];
    const onEvent: WatchEventHandler = (type, object) =>
      events.push(`${type} ${(object as { metadata?: { name?: string } }).metadata?.name ?? ''}`);
    const done = new Promise<unknown>((resolve) => {
      void client.watch(
        corePath('configmaps', namespace),
        { resourceVersion: metadata?.resourceVersion, timeoutSeconds: 2 },
        onEvent,
        resolve,
      );
    });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'watched' } } });
    expect(await done).toBeNull();
    expect(events).toEqual(['ADDED watched']);
  });

  it('ends with the API server’s error status when it refuses the watch', async () => {
    const restricted = connectKube(await cluster.kubeconfigFor('nobody'));
    const error = await new Promise<unknown>((resolve) => {
      void restricted.watch(corePath('configmaps', namespace), {}, () => undefined, resolve);
    });
    expect(isKubeStatus(error, 403)).toBe(true);
  });
});

describe('KubeClient authentication and deadlines', () => {
  it('sends the token of a token file named relative to the kubeconfig, with a relative CA file', async () => {
    await clientNodeApi(cluster.adminKubeconfig, CoreV1Api).createNamespacedServiceAccount({
      namespace,
      body: { metadata: { name: 'reader' } },
    });
    const token = await mintServiceAccountToken(cluster, namespace, 'reader', cluster.serviceAccountIssuer);
    await writeFile(join(directory, 'token'), token);
    await writeFile(join(directory, 'ca.pem'), cluster.caPem);
    const kubeconfig = join(directory, 'kubeconfig.yaml');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{ name: c, cluster: { server: '${cluster.server}', certificate-authority: ca.pem } }]`,
        'users: [{ name: u, user: { tokenFile: token } }]',
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
      ].join('\n'),
    );
    // The ServiceAccount may do nothing: the refusal names who the API server saw.
    const refused = await new KubeCoreApi(connectKube(kubeconfig))
      .listNamespacedSecret({ namespace })
      .catch((error: unknown) => error);
    expect(kubeErrorReason(refused)).toContain(
      `User "system:serviceaccount:${namespace}:reader" cannot list`,
    );
  });

  describe('against an API server that accepts connections and never answers', () => {
    let silent: Server;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('aborts a call after its deadline', async () => {
      const address = silent.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      const client = new KubeClient(
        { server: `https://127.0.0.1:${String(address.port)}`, isServerCertificateUnchecked: true },
        { timeoutMs: 300 },
      );
      const startedMs = Date.now();
      await expect(new KubeCoreApi(client).listNamespacedSecret({ namespace })).rejects.toThrow(
        'Kubernetes API call GET /api/v1/namespaces/kube-client/secrets aborted at its deadline',
      );
      expect(Date.now() - startedMs).toBeLessThan(20_000);
    });
  });
});
