/** One measured figure, printed as `BENCH <name> <metric>=<number><unit>`. */
export interface BenchFigure {
  /** The benchmark and variant, e.g. `propagation-activate` or `get-certificates-10000`. */
  readonly name: string;
  /** e.g. `p99`, `throughput`, `count`. */
  readonly metric: string;
  readonly value: number;
  /** e.g. `ms`, `/s`, or `''` for a plain count. */
  readonly unit: string;
}

/**
 * Formats a figure as the one-line form scripts grep for (`BENCH propagation-activate p99=182ms`).
 * Values keep three significant digits at most below 100 and are whole numbers above, so lines stay
 * short and a run-to-run diff shows only changes that matter.
 */
export function formatBenchFigure(figure: BenchFigure): string {
  return `BENCH ${figure.name} ${figure.metric}=${formatValue(figure.value)}${figure.unit}`;
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100 || Number.isInteger(value)) return String(Math.round(value));
  if (magnitude >= 10) return String(Number(value.toFixed(1)));
  if (magnitude >= 1) return String(Number(value.toFixed(2)));
  return String(Number(value.toFixed(3)));
}
