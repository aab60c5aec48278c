import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { InvalidConfigError } from '../lib/config/load-config.js';
import { contractRepositoryOverGrpc } from '../lib/contract/contract-repository-client.js';
import { createGrpcClient } from '../lib/grpc/grpc-client.js';
import { startOpsServer } from '../lib/http/ops-server.js';
import { startZoneIdentity } from '../lib/identity/zone-identity.js';
import { coreApiClient } from '../lib/kube/kube-client.js';
import type { Logger } from '../lib/log/logger.js';
import type { Clock } from '../lib/time/clock.js';
import { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import { PkiService } from '../proto/gen/accord/pki/v1/pki_pb.js';
import type { BundleWriter } from './bundle-writer.js';
import { ContractProvider } from './contract-provider.js';
import { DirectoryBundleWriter } from './directory-bundle-writer.js';
import { loadOwnZoneFromPki } from './pki-own-zone.js';
import { defaultMemoryFileName, type ProviderConfig } from './provider-config.js';
import { ConfigMapWithdrawnContractStore } from './config-map-withdrawn-contract-store.js';
import { FileWithdrawnContractStore, type WithdrawnContractStore } from './withdrawn-contract-store.js';
import { ProviderMetrics } from './provider-metrics.js';
import { SecretBundleWriter } from './secret-bundle-writer.js';
import { systemTimers } from '../lib/time/timers.js';

/** A running provider: its ops port, and how to stop everything it started. */
export interface RunningProvider {
  readonly provider: ContractProvider;
  readonly opsPort: number;
  close(): Promise<void>;
}

/**
 * Wires a provider from its config: an SVID from the zone PKI (bootstrap token, renewed at 2/3 of
 * its life), a repository client that always presents the current SVID, the zone's own roots from
 * GetCA (again at every renewal), the bundle writer of the configured output and the ops server. Used by `main.ts` and by loopback tests.
 */
export async function startContractProvider(
  config: ProviderConfig,
  dependencies: { logger: Logger; registry: Registry; clock: Clock },
): Promise<RunningProvider> {
  const { logger, registry, clock } = dependencies;
  const { svids, repositoryTls } = await startZoneIdentity(config, { clock, logger });
  const repository = createGrpcClient(ContractService, config.repositoryAddress, repositoryTls);
  const pki = createGrpcClient(PkiService, config.pkiAddress, () => ({ caPems: svids.current().rootsPem }));
  const repositoryClient = contractRepositoryOverGrpc(repository);
  const provider = new ContractProvider({
    source: repositoryClient,
    acknowledgeRoot: async ({ contractId, trustDomain, rootSha256 }) => {
      await repositoryClient.acknowledgeRoot(contractId, trustDomain, rootSha256);
    },
    loadOwnZone: () => loadOwnZoneFromPki(pki),
    writer: createBundleWriter(config, logger),
    memory: createWithdrawnContractStore(config),
    metrics: new ProviderMetrics(registry),
    logger,
    clock,
    timers: systemTimers,
    random: Math.random,
    resyncIntervalMs: config.resyncIntervalMs,
    backoff: config.backoff,
  });
  provider.start();
  // Our zone's roots change at the PKI and reach us with a renewed SVID (docs/root-rotation.md).
  const unsubscribe = svids.onUpdate(() => {
    provider.refreshOwnRoots();
  });
  const ops = await startOpsServer({
    host: config.ops.host,
    port: config.ops.port,
    registry,
    isReady: () => provider.isReady(),
    logger,
  });
  return {
    provider,
    opsPort: ops.port,
    close: async () => {
      unsubscribe();
      await provider.stop();
      svids.stop();
      repository.close();
      pki.close();
      await ops.close();
    },
  };
}

/**
 * The writer of the configured output: Secrets through the Kubernetes API in cluster mode, files
 * in local mode. The schema lets exactly one through; a config built by hand gets the same error.
 */
function createBundleWriter(config: ProviderConfig, logger: Logger): BundleWriter {
  const { kubernetesSecrets, outputDirectory } = config;
  if (kubernetesSecrets !== undefined) {
    return new SecretBundleWriter(coreApiClient(kubernetesSecrets.kubeconfig), {
      namespaces: kubernetesSecrets.namespaces,
      owner: kubernetesSecrets.owner,
      log: logger,
    });
  }
  if (outputDirectory === undefined) throw new InvalidConfigError('set outputDirectory or kubernetesSecrets');
  return new DirectoryBundleWriter(outputDirectory, logger);
}

/**
 * The store of the provider's memory of withdrawn contracts: a ConfigMap beside the Secrets in
 * cluster mode, a file in local mode (by default a hidden file in the output directory, which the
 * directory writer leaves alone).
 */
function createWithdrawnContractStore(config: ProviderConfig): WithdrawnContractStore {
  const { kubernetesSecrets, outputDirectory, memory } = config;
  if (kubernetesSecrets !== undefined) {
    if (memory.configMap === undefined) throw new InvalidConfigError('cluster mode needs memory.configMap');
    return new ConfigMapWithdrawnContractStore(coreApiClient(kubernetesSecrets.kubeconfig), memory.configMap);
  }
  if (outputDirectory === undefined) throw new InvalidConfigError('set outputDirectory or kubernetesSecrets');
  return new FileWithdrawnContractStore(memory.file ?? join(outputDirectory, defaultMemoryFileName));
}
