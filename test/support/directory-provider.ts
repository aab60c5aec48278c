import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ContractProvider } from '../../contract-provider/contract-provider.js';
import { DirectoryBundleWriter } from '../../contract-provider/directory-bundle-writer.js';
import { defaultMemoryFileName } from '../../contract-provider/provider-config.js';
import { ProviderMetrics } from '../../contract-provider/provider-metrics.js';
import { FileWithdrawnContractStore } from '../../contract-provider/withdrawn-contract-store.js';
import { contractRepositoryOverGrpc } from '../../lib/contract/contract-repository-client.js';
import type { GrpcClient } from '../../lib/grpc/grpc-client.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { systemTimers } from '../../lib/time/timers.js';
import type { ContractService } from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import type { TestZone } from './test-zone.js';

/** The provider's production default: runs observe the Watch path, not the safety-net resync. */
const resyncIntervalMs = 300_000;

/**
 * Starts a real `ContractProvider` for `zone` in this process, as benchmarks and scale tests use
 * it: the repository's Watch over mTLS through `client` (the zone's provider SVID), every approval
 * verified, bundles written as files into `bundleDirectory` (`DirectoryBundleWriter`), its memory of
 * withdrawn contracts beside them, announced roots acknowledged, as in local mode.
 */
export async function startDirectoryProvider(
  zone: Pick<TestZone, 'trustDomain' | 'rootSha256'>,
  client: GrpcClient<typeof ContractService>,
  bundleDirectory: string,
): Promise<ContractProvider> {
  await mkdir(bundleDirectory, { recursive: true });
  const repository = contractRepositoryOverGrpc(client);
  const provider = new ContractProvider({
    source: repository,
    // As the binary does: an announced root it installed is acknowledged to the repository.
    acknowledgeRoot: async ({ contractId, trustDomain, rootSha256 }) => {
      await repository.acknowledgeRoot(contractId, trustDomain, rootSha256);
    },
    loadOwnZone: () =>
      Promise.resolve({ trustDomain: zone.trustDomain, rootSha256s: new Set([zone.rootSha256]) }),
    writer: new DirectoryBundleWriter(bundleDirectory, silentLogger),
    memory: new FileWithdrawnContractStore(join(bundleDirectory, defaultMemoryFileName)),
    metrics: new ProviderMetrics(new Registry()),
    logger: silentLogger,
    clock: systemClock,
    timers: systemTimers,
    random: Math.random,
    resyncIntervalMs,
    backoff: { initialDelayMs: 250, maxDelayMs: 5000 },
  });
  provider.start();
  return provider;
}
