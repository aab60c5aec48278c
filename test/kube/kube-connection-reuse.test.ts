import { CoreV1Api } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config/load-config.js';
import { coreApiClient } from '../../lib/kube/kube-client.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { contractRepoConfigSchema } from '../../contract-repo/contract-repo-config.js';
import { startContractRepo } from '../../contract-repo/start-contract-repo.js';
import { SecretBundleWriter } from '../../contract-provider/secret-bundle-writer.js';
import { createContractRepoFixture } from '../contract-repo/contract-repo-fixture.js';
import { startTcpRelay, type TcpRelay } from '../operator/tcp-relay.js';
import { createTestZone } from '../support/test-zone.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

// Issue 13: the contract repository's Kubernetes store and the provider's Secret writer, built from
// a kubeconfig as their entrypoints build them, send their calls over kept-alive connections: N
// calls open a connection or two, not N (client-node opened one, with a TLS handshake, per call).
// Each component's kubeconfig points at a TCP relay in front of a REAL kube-apiserver that counts
// the connections it accepts.

const storeNamespace = 'accord-system';
const meshNamespace = 'mesh';
/** Connections a component may open for its concurrent calls (e.g. a write beside a follow read). */
const connectionsInFlightMax = 2;

let cluster: KubeApiServer;
let directory: string;
let relay: TcpRelay;
/** The admin kubeconfig with its server set to the relay. */
let relayedKubeconfig: string;

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'connection-reuse' });
  const setup = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  for (const name of [storeNamespace, meshNamespace])
    await setup.createNamespace({ body: { metadata: { name } } });
  directory = await mkdtemp(join(tmpdir(), 'accord-connection-reuse-'));
  relay = await startTcpRelay(new URL(cluster.server).host);
  const kubeconfig = JSON.parse(await readFile(cluster.adminKubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const entry of kubeconfig.clusters) entry.cluster.server = `https://${relay.address}`;
  relayedKubeconfig = join(directory, 'relayed-kubeconfig');
  await writeFile(relayedKubeconfig, JSON.stringify(kubeconfig), { mode: 0o600 });
}, 180_000);

afterAll(async () => {
  await relay.close();
  await cluster.stop();
  await rm(directory, { recursive: true, force: true });
}, 60_000);

describe('Kubernetes connections of the repository and the provider', () => {
  it('the repository on the Kubernetes store keeps its connections across 20 contract creations', async () => {
    const fixture = await createContractRepoFixture();
    const config = parseConfig(contractRepoConfigSchema, {
      ...fixture.configFields,
      dataDir: undefined,
      kubernetesStore: { namespace: storeNamespace, logName: 'reuse', kubeconfig: relayedKubeconfig },
    });
    const before = relay.acceptedConnections();
    const repository = await startContractRepo(config, silentLogger, systemClock);
    const admin = fixture.client(repository.grpcPort, fixture.admin);
    try {
      for (let index = 0; index < 20; index += 1) {
        await admin.create({
          contract: {
            id: `reuse-${String(index)}`,
            participants: [{ ...fixture.zoneA.participant }, { ...fixture.zoneB.participant }],
          },
        });
      }
      // Every creation is a ConfigMap in the store's namespace: 20 writes besides the start's reads.
      const stored = await coreApiClient(cluster.adminKubeconfig).listNamespacedConfigMap({
        namespace: storeNamespace,
        labelSelector: 'accord.dev/audit-log=reuse',
      });
      expect(stored.items).toHaveLength(20);
      expect(relay.acceptedConnections() - before).toBeLessThanOrEqual(connectionsInFlightMax);
    } finally {
      admin.close();
      await repository.close();
      await fixture.cleanup();
    }
  }, 60_000);

  it('the provider’s Secret writer sends 20 bundle changes (over 60 calls) over one connection', async () => {
    const zones = await Promise.all([createTestZone('zone-b'), createTestZone('zone-c')]);
    const before = relay.acceptedConnections();
    const writer = new SecretBundleWriter(coreApiClient(relayedKubeconfig), {
      namespaces: [meshNamespace],
      log: silentLogger,
    });
    for (let change = 0; change < 20; change += 1) {
      // Alternating one zone and two: the first sync lists; each creates or deletes a Secret and replaces the map.
      const shown = change % 2 === 0 ? zones : zones.slice(0, 1);
      const result = await writer.sync(
        new Map(shown.map((zone) => [zone.trustDomain, { rootsPem: [zone.rootPem], contractIds: ['bc'] }])),
      );
      expect(result.written.length + result.removed.length).toBeGreaterThan(0);
    }
    expect(relay.acceptedConnections() - before).toBe(1);
  }, 60_000);
});
