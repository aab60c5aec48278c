import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestZone, type TestSvid, type TestZone } from '../test/support/test-zone.js';
import type { BenchFigure } from './bench-figure.js';
import { runBoundedLoad } from './bounded-load.js';
import { percentile } from './percentiles.js';
import { startRepositoryProcess, type RepositoryProcess } from './repository-process.js';
import { seedContractStore } from './seed-contract-store.js';

/** Sizes and bounds of the GetCertificates runs. */
export interface GetCertificatesOptions {
  /** Stored contracts per run, e.g. `[100, 10_000]`: the same measurement is repeated for each. */
  readonly totals: readonly number[];
  /** Active contracts of the calling zone, the same in every run. */
  readonly callerContracts: number;
  readonly calls: number;
  readonly concurrency: number;
  /** Unmeasured calls first (TLS handshake, JIT), also used to check the answer. */
  readonly warmupCalls: number;
  /** Per run, bounds the measured calls' wall time. */
  readonly maxDurationMs: number;
  readonly progress: (message: string) => void;
}

interface Identity {
  readonly zone: TestZone;
  readonly svid: TestSvid;
}

const otherZoneCount = 20;

/**
 * Measures GetCertificates over mTLS against a repository process holding `total` stored
 * contracts, of which the calling zone is in a fixed few. Repeating it for a small and a large
 * total shows whether the call's cost follows the caller's contracts (it should: the repository
 * indexes contracts by trust domain) or the size of the store.
 */
export async function runGetCertificatesBenchmark(options: GetCertificatesOptions): Promise<BenchFigure[]> {
  const hub = await createTestZone('hub');
  const admin = await hub.issue('/accord/admin');
  const identity = async (name: string): Promise<Identity> => {
    const zone = await createTestZone(name);
    return { zone, svid: await zone.issue('/accord/contract-provider') };
  };
  const caller = await identity('caller');
  const partners = await Promise.all(
    Array.from({ length: options.callerContracts }, (_, index) => identity(`partner-${index}`)),
  );
  const otherZones = await Promise.all(
    Array.from({ length: otherZoneCount }, (_, index) => createTestZone(`other-${index}`)),
  );
  const figures: BenchFigure[] = [];
  for (const total of options.totals) {
    const directory = await mkdtemp(join(tmpdir(), 'accord-bench-get-certificates-'));
    let repository: RepositoryProcess | undefined;
    try {
      options.progress(`get-certificates: seeding ${total} contracts`);
      await seedContractStore({
        dataDir: join(directory, 'data'),
        admin,
        caller,
        partners,
        otherZones,
        totalContracts: total,
        progress: (message) => options.progress(`get-certificates: ${message}`),
      });
      const startedMs = performance.now();
      repository = await startRepositoryProcess({
        directory,
        hub,
        admins: [admin.spiffeId],
        zones: [caller.zone],
      });
      const startupMs = performance.now() - startedMs;
      const client = repository.client(caller.svid);
      try {
        for (let index = 0; index < options.warmupCalls; index += 1) {
          const response = await client.getCertificates({});
          if (response.partners.length !== options.callerContracts) {
            throw new Error(
              `GetCertificates returned ${response.partners.length} partners, expected ${options.callerContracts}`,
            );
          }
        }
        options.progress(`get-certificates: ${options.calls} calls against ${total} contracts`);
        const result = await runBoundedLoad({
          calls: options.calls,
          concurrency: options.concurrency,
          maxDurationMs: options.maxDurationMs,
          call: async () => {
            await client.getCertificates({});
          },
        });
        const name = `get-certificates-${total}`;
        figures.push(
          { name, metric: 'calls', value: result.latenciesMs.length, unit: '' },
          {
            name,
            metric: 'throughput',
            value: (result.latenciesMs.length / result.elapsedMs) * 1000,
            unit: '/s',
          },
          { name, metric: 'p50', value: percentile(result.latenciesMs, 0.5), unit: 'ms' },
          { name, metric: 'p99', value: percentile(result.latenciesMs, 0.99), unit: 'ms' },
          { name, metric: 'startup', value: startupMs, unit: 'ms' },
        );
      } finally {
        client.close();
      }
    } finally {
      await repository?.close();
      await rm(directory, { recursive: true, force: true });
    }
  }
  return figures;
}
