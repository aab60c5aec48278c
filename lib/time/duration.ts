import { InvalidArgumentError } from '../errors/accord-error.js';

const millisecondsPerUnit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const durationPattern = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const termPattern = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * Parses a duration the way kubectl's `--timeout` and Kubernetes resources spell it (Go's
 * `time.ParseDuration` with the units ms, s, m and h): `30s`, `1.5h`, `2h45m`. One spelling for
 * every human-facing duration, so users need not learn a second one per tool; the result is
 * whole milliseconds. Throws `InvalidArgumentError` naming the accepted form.
 */
export function parseDurationMs(text: string): number {
  if (!durationPattern.test(text)) {
    throw new InvalidArgumentError(
      `"${text}" is not a duration: use a number and a unit, e.g. 30s, 5m, 1h30m`,
    );
  }
  let totalMs = 0;
  for (const [, amount = '', unit = ''] of text.matchAll(termPattern)) {
    totalMs += Number(amount) * (millisecondsPerUnit[unit] ?? 0);
  }
  return Math.round(totalMs);
}
