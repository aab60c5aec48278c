import type { GetCertificatesOptions } from './get-certificates.js';
import type { PropagationOptions } from './propagation.js';

/** How big each benchmark runs; `--quick` picks the reduced set. */
export interface BenchSizes {
  readonly propagation: Pick<PropagationOptions, 'zoneCount' | 'changeCount' | 'maxDurationMs'>;
  readonly getCertificates: Omit<GetCertificatesOptions, 'progress'>;
}

/** Issue #2's sizes: 20 zones and at least 100 changes; 10,000 stored contracts against 100. */
export const fullSizes: BenchSizes = {
  propagation: { zoneCount: 20, changeCount: 100, maxDurationMs: 300_000 },
  getCertificates: {
    totals: [100, 10_000],
    callerContracts: 10,
    calls: 2000,
    concurrency: 8,
    warmupCalls: 50,
    maxDurationMs: 120_000,
  },
};

/** Small enough that `npm run bench -- --quick` finishes within a minute on two cores. */
export const quickSizes: BenchSizes = {
  propagation: { zoneCount: 6, changeCount: 20, maxDurationMs: 20_000 },
  getCertificates: {
    totals: [100, 1000],
    callerContracts: 10,
    calls: 500,
    concurrency: 8,
    warmupCalls: 20,
    maxDurationMs: 10_000,
  },
};
