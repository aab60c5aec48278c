/** Latency figures of one benchmark, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * The nearest-rank percentile of `samples` (`fraction` in (0, 1]): the smallest sample such that at
 * least that fraction of all samples are less than or equal to it. Nearest-rank never interpolates,
 * so every reported figure is a latency that was really observed, and with 100 samples p99 is the
 * second-largest one rather than a blend of the two largest.
 */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples');
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction ${fraction} is not in (0, 1]`);
  const sorted = [...samples].sort((left, right) => left - right);
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[rank - 1] ?? Number.NaN;
}

/** p50, p99 and max of `samples`: the three figures every latency benchmark reports. */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50Ms: percentile(samples, 0.5),
    p99Ms: percentile(samples, 0.99),
    maxMs: percentile(samples, 1),
  };
}
