import { CoreV1Api } from '@kubernetes/client-node';
import {
  ConfigMapWithdrawnContractStore,
  withdrawnContractsConfigMapKey,
} from '../../contract-provider/config-map-withdrawn-contract-store.js';
import { SecretBundleWriter } from '../../contract-provider/secret-bundle-writer.js';
import { WithdrawnContracts, withdrawnContract } from '../../contract-provider/withdrawn-contracts.js';
import { bundleSecretLabels, bundleSecretName } from '../../lib/bundle/bundle-secret-layout.js';
import type { ContractEvent } from '../../lib/contract/contract-stream.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { coreApiClient } from '../../lib/kube/kube-client.js';
import { silentLogger, type Logger } from '../../lib/log/logger.js';
import { startScriptedProvider, type ScriptedProvider } from '../contract-provider/scripted-provider.js';
import { waitFor } from '../contract-provider/wait-for.js';
import { approvedContract, revokedContract } from '../support/test-contracts.js';
import { createTestZone, type TestZone } from '../support/test-zone.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';
import { grantRole, untilAllowed } from './rbac-grant.js';

// Issue 11, item 2 in cluster mode: the provider's memory of withdrawn contracts lives in a
// ConfigMap of a real API server, written with exactly the RBAC the chart grants, and survives a
// provider restart.

const providerNamespace = 'accord-system';
const meshNamespace = 'shop';
const memoryName = 'accord-contract-provider-memory';
const user = 'accord-contract-provider';

let cluster: KubeApiServer;
let admin: CoreV1Api;
let providerKubeconfig: string;
let a: TestZone;
let b: TestZone;
const running: ScriptedProvider['provider'][] = [];

beforeAll(async () => {
  [cluster, a, b] = await Promise.all([
    startKubeApiServer({ name: 'withdrawn-contracts' }),
    createTestZone('zone-a'),
    createTestZone('zone-b'),
  ]);
  admin = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  for (const name of [providerNamespace, meshNamespace])
    await admin.createNamespace({ body: { metadata: { name } } });
  // The chart's Roles (charts/accord/templates/contract-provider.yaml).
  await grantRole(cluster.adminKubeconfig, providerNamespace, user, [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    { apiGroups: [''], resources: ['configmaps'], resourceNames: [memoryName], verbs: ['get', 'update'] },
  ]);
  await grantRole(cluster.adminKubeconfig, meshNamespace, user, [
    { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'create', 'update', 'delete'] },
  ]);
  providerKubeconfig = await cluster.kubeconfigFor(user);
  await untilAllowed(providerKubeconfig, providerNamespace, 'update', `configmaps/${memoryName}`);
}, 180_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((provider) => provider.stop()));
  await admin.deleteCollectionNamespacedConfigMap({ namespace: providerNamespace });
  await admin.deleteCollectionNamespacedSecret({ namespace: meshNamespace });
});

function store(name = memoryName): ConfigMapWithdrawnContractStore {
  return new ConfigMapWithdrawnContractStore(coreApiClient(providerKubeconfig), {
    namespace: providerNamespace,
    name,
  });
}

/** Starts zone-a's provider in cluster mode, as a (re)started pod would: its own clients, the stored memory. */
function startProvider(): ScriptedProvider & { warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (message, fields) => warnings.push(`${message}: ${String(fields?.error)}`),
    child: () => logger,
  };
  const started = startScriptedProvider({
    ownZone: a,
    writer: new SecretBundleWriter(coreApiClient(providerKubeconfig), {
      namespaces: [meshNamespace],
      log: silentLogger,
    }),
    memory: store(),
    logger,
  });
  running.push(started.provider);
  return { ...started, warnings };
}

function snapshot(...contracts: TrustContract[]): ContractEvent {
  return { kind: 'snapshot', contracts: contracts.map((contract) => ({ id: contract.id, contract })) };
}

async function hasBundleSecretOf(zone: TestZone): Promise<boolean> {
  const secrets = await admin.listNamespacedSecret({ namespace: meshNamespace });
  return secrets.items.some((secret) => secret.metadata?.name === bundleSecretName(zone.trustDomain));
}

async function storedMemory(): Promise<string[]> {
  const configMap = await admin.readNamespacedConfigMap({ namespace: providerNamespace, name: memoryName });
  return WithdrawnContracts.parse(configMap.data?.[withdrawnContractsConfigMapKey] ?? '', 'ConfigMap')
    .entries()
    .map((entry) => `${entry.contractId} ${entry.withdrawal}`);
}

describe('the provider memory in a ConfigMap of a real API server', () => {
  it('remembers a revocation across a provider restart and refuses the contract served again', async () => {
    const ab = await approvedContract('ab', [a, b]);
    const first = startProvider();
    await waitFor(() => first.source.streams.length === 1, 15_000);
    first.source.current.send(snapshot(ab));
    await waitFor(() => hasBundleSecretOf(b), 15_000);

    first.source.current.send({
      kind: 'change',
      contract: { id: ab.id, contract: await revokedContract(ab, b) },
    });
    await waitFor(async () => !(await hasBundleSecretOf(b)), 15_000);
    expect(await storedMemory()).toEqual(['ab revoked']);
    await first.provider.stop();

    // A restarted provider, and a repository that serves the revoked contract as active again.
    const second = startProvider();
    await waitFor(() => second.source.streams.length === 1, 15_000);
    second.source.current.send(snapshot(ab));
    await waitFor(() => second.provider.isReady(), 15_000);
    await second.provider.whenIdle();
    expect(await hasBundleSecretOf(b)).toBe(false);

    // A new contract with fresh approvals is trusted.
    second.source.current.send({
      kind: 'change',
      contract: { id: 'ab', contract: await approvedContract('ab', [a, b]) },
    });
    await waitFor(() => hasBundleSecretOf(b), 15_000);
  });

  it('merges two writers instead of losing either one’s withdrawals', async () => {
    const [one, two] = [store(), store()];
    expect((await one.load()).size).toBe(0);
    expect((await two.load()).size).toBe(0);
    const ab = await approvedContract('ab', [a, b]);
    const cd = await approvedContract('cd', [a, b]);
    await one.save(new WithdrawnContracts([withdrawnContract(ab, 'revoked', new Date())]));
    await two.save(new WithdrawnContracts([withdrawnContract(cd, 'deleted', new Date())]));
    expect((await storedMemory()).sort()).toEqual(['ab revoked', 'cd deleted']);
  });

  it('refuses to start from a memory it cannot read, and leaves the bundles alone', async () => {
    await admin.createNamespacedConfigMap({
      namespace: providerNamespace,
      body: { metadata: { name: memoryName }, data: { [withdrawnContractsConfigMapKey]: '{"kind":"x"}' } },
    });
    const installed = bundleSecretName(b.trustDomain);
    await admin.createNamespacedSecret({
      namespace: meshNamespace,
      body: { metadata: { name: installed, labels: bundleSecretLabels }, data: {} },
    });
    await expect(store().load()).rejects.toThrow(
      `ConfigMap ${providerNamespace}/${memoryName}: apiVersion: Invalid input: expected "accord.dev/v1alpha1"`,
    );
    const { provider, source, warnings } = startProvider();
    await waitFor(() => warnings.length >= 2, 15_000);
    expect(warnings[0]).toContain(`ConfigMap ${providerNamespace}/${memoryName}: apiVersion`);
    expect(provider.isReady()).toBe(false);
    expect(source.streams).toEqual([]);
    expect(await hasBundleSecretOf(b)).toBe(true);
  });
});
