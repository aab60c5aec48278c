import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

let cluster: KubeApiServer;

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'client-node' });
}, 180_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

it('@kubernetes/client-node talks to the harness API server with its kubeconfig', async () => {
  const config = new KubeConfig();
  config.loadFromFile(cluster.adminKubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'from-client-node' } } });
  const namespaces = await core.listNamespace();
  expect(namespaces.items.map((namespace) => namespace.metadata?.name)).toContain('from-client-node');
});
