import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createServer, type Server, type Socket } from 'node:net';
import { coreApiClient, makeKubeApiClient } from '../../lib/kube/kube-client.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

let cluster: KubeApiServer;

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'kube-client' });
}, 180_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

describe('coreApiClient', () => {
  it('talks to a real API server with the kubeconfig it is given', async () => {
    const core = coreApiClient(cluster.adminKubeconfig);
    await core.createNamespace({ body: { metadata: { name: 'from-client-node' } } });
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((namespace) => namespace.metadata?.name)).toContain('from-client-node');
  });
});

describe('makeKubeApiClient', () => {
  /** A TCP server that accepts connections and never answers: a hung API server. */
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

  it('aborts a call to an API server that never answers after its deadline', async () => {
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'hung', server: `https://127.0.0.1:${address.port}`, skipTLSVerify: true }],
      users: [{ name: 'nobody', token: 'unused' }],
      contexts: [{ name: 'hung', cluster: 'hung', user: 'nobody' }],
      currentContext: 'hung',
    });
    const startedMs = Date.now();
    await expect(makeKubeApiClient(config, CoreV1Api, 300).listNamespace()).rejects.toThrow(/abort/i);
    expect(Date.now() - startedMs).toBeLessThan(20_000);
  });
});
