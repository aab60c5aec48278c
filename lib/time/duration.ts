import { InvalidArgumentError } from '../errors/accord-error.js';

/** Nanoseconds per unit of Go's `time.ParseDuration` (`us`, `µs` and `μs` are the same unit). */
const nanosecondsPerUnit: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1000n],
  ['µs', 1000n], // U+00B5 micro sign
  ['μs', 1000n], // U+03BC Greek small letter mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Go's `time.Duration` is an int64 of nanoseconds: `-maxNanoseconds - 1` … `maxNanoseconds`. */
const maxNanoseconds = 2n ** 63n - 1n;

const units = 'units: ns, us, ms, s, m, h';

/** Every refusal says the accepted form first, so a user learns it whatever the mistake was. */
function notADuration(text: string, detail?: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${JSON.stringify(text)} is not a duration: use a number and a unit, e.g. 30s, 5m, 1h30m` +
      (detail === undefined ? '' : ` (${detail})`),
  );
}

/**
 * Parses a duration in the syntax of Go's `time.ParseDuration`, which is what Kubernetes objects
 * (`metav1.Duration`), kubectl flags (`--timeout=30s`) and Helm values use: an optional sign, then
 * one or more decimal numbers each with a unit (`300ms`, `1.5h`, `2h45m`), or `0` alone. Returns
 * nanoseconds as a bigint, computed as Go computes them (fractions through float64, digits beyond
 * int64 precision ignored), so that a value Go tools accept is accepted here with the same value,
 * and one they refuse is refused. Throws InvalidArgumentError naming the problem: no number, a
 * missing or unknown unit, or a value outside Go's int64 nanoseconds (about ±292 years).
 */
export function parseDuration(text: string): bigint {
  const outOfRange = () => notADuration(text, "out of range: Go's limit is about 2562047h");
  let rest = text;
  let isNegative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    isNegative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw notADuration(text);
  let total = 0n;
  while (rest !== '') {
    const [component = '', whole = '', fraction, unit = ''] = /^(\d*)(?:\.(\d*))?([^\d.]*)/.exec(rest) ?? [];
    if (whole === '' && (fraction ?? '') === '') throw notADuration(text);
    if (unit === '') throw notADuration(text, `a unit is missing; ${units}`);
    const perUnit = nanosecondsPerUnit.get(unit);
    if (perUnit === undefined) throw notADuration(text, `unknown unit ${JSON.stringify(unit)}; ${units}`);
    const value = BigInt(whole === '' ? '0' : whole);
    if (value > (maxNanoseconds + 1n) / perUnit) throw outOfRange();
    let nanoseconds = value * perUnit;
    const { digits, scale } = leadingFraction(fraction ?? '');
    if (digits > 0n) {
      // Go: v += uint64(float64(f) * (float64(unit) / scale))
      nanoseconds += BigInt(Math.trunc(Number(digits) * (Number(perUnit) / scale)));
    }
    total += nanoseconds;
    if (total > maxNanoseconds + 1n) throw outOfRange();
    rest = rest.slice(component.length);
  }
  if (isNegative) return -total;
  if (total > maxNanoseconds) throw outOfRange();
  return total;
}

/** Go's `leadingFraction`: the fraction's digits as an integer, ignoring those beyond int64 precision. */
function leadingFraction(fraction: string): { digits: bigint; scale: number } {
  let digits = 0n;
  let scale = 1;
  for (const digit of fraction) {
    if (digits > maxNanoseconds / 10n) break;
    const next = digits * 10n + BigInt(digit);
    if (next > maxNanoseconds + 1n) break;
    digits = next;
    scale *= 10;
  }
  return { digits, scale };
}

/**
 * The syntax `parseDuration` accepts, without a minus sign, as a regular expression (valid in
 * ECMAScript and in Go's RE2): for schemas that cannot call the parser, such as the Helm chart's
 * values.schema.json, which checks durations before the daemons read them. It cannot check Go's
 * range (about 2562047h); the daemons do, at start. lib/time/duration.test.ts runs Go's cases
 * through both.
 */
export const nonNegativeDurationPattern = /^\+?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$/;

/**
 * A human-facing timeout (`accordctl … --timeout 2m`, spelt as kubectl spells it) in whole
 * milliseconds, rounded: `parseDuration`'s syntax, with negative values refused.
 */
export function parseDurationMs(text: string): number {
  const nanoseconds = parseDuration(text);
  if (nanoseconds < 0n) throw notADuration(text, 'it must not be negative');
  return Math.round(Number(nanoseconds) / 1_000_000);
}
