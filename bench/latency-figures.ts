import type { BenchFigure } from './bench-figure.js';
import { summarizeLatencies } from './percentiles.js';

/** The standard latency lines of one benchmark: sample count, p50, p99 and max in milliseconds. */
export function latencyFigures(name: string, samplesMs: readonly number[]): BenchFigure[] {
  const summary = summarizeLatencies(samplesMs);
  return [
    { name, metric: 'count', value: summary.count, unit: '' },
    { name, metric: 'p50', value: summary.p50Ms, unit: 'ms' },
    { name, metric: 'p99', value: summary.p99Ms, unit: 'ms' },
    { name, metric: 'max', value: summary.maxMs, unit: 'ms' },
  ];
}
