import { InvalidArgumentError } from '../errors/accord-error.js';
import { nonNegativeDurationPattern, parseDuration, parseDurationMs } from './duration.js';

const ns = 1n;
const us = 1000n * ns;
const ms = 1000n * us;
const s = 1000n * ms;
const m = 60n * s;
const h = 60n * m;

/** The cases of Go's own time.TestParseDuration, with the values Go returns. */
const accepted: readonly [string, bigint][] = [
  ['0', 0n],
  ['5s', 5n * s],
  ['30s', 30n * s],
  ['1478s', 1478n * s],
  ['-5s', -5n * s],
  ['+5s', 5n * s],
  ['-0', 0n],
  ['+0', 0n],
  ['5.0s', 5n * s],
  ['5.6s', 5n * s + 600n * ms],
  ['5.s', 5n * s],
  ['.5s', 500n * ms],
  ['1.0s', 1n * s],
  ['1.00s', 1n * s],
  ['1.004s', 1n * s + 4n * ms],
  ['1.0040s', 1n * s + 4n * ms],
  ['100.00100s', 100n * s + 1n * ms],
  ['10ns', 10n * ns],
  ['11us', 11n * us],
  ['12µs', 12n * us], // U+00B5
  ['12μs', 12n * us], // U+03BC
  ['13ms', 13n * ms],
  ['14s', 14n * s],
  ['15m', 15n * m],
  ['16h', 16n * h],
  ['3h30m', 3n * h + 30n * m],
  ['10.5s4m', 4n * m + 10n * s + 500n * ms],
  ['-2m3.4s', -(2n * m + 3n * s + 400n * ms)],
  ['1h2m3s4ms5us6ns', 1n * h + 2n * m + 3n * s + 4n * ms + 5n * us + 6n * ns],
  ['39h9m14.425s', 39n * h + 9n * m + 14n * s + 425n * ms],
  ['52763797000ns', 52_763_797_000n * ns],
  ['0.3333333333333333333h', 20n * m],
  ['9007199254740993ns', 9_007_199_254_740_993n * ns],
  ['9223372036854775807ns', 9_223_372_036_854_775_807n],
  ['9223372036854775.807us', 9_223_372_036_854_775_807n],
  ['9223372036s854ms775us807ns', 9_223_372_036_854_775_807n],
  ['-9223372036854775808ns', -9_223_372_036_854_775_808n],
  ['-9223372036854775.808us', -9_223_372_036_854_775_808n],
  ['0.100000000000000000000h', 6n * m],
  ['0.830103483285477580700h', 49n * m + 48n * s + 372_539_827n * ns],
  // What Accord's configs and charts write.
  ['250ms', 250n * ms],
  ['8760h', 8760n * h],
  ['1h30m', 90n * m],
];

const form = '" is not a duration: use a number and a unit, e.g. 30s, 5m, 1h30m';
const unitsList = 'units: ns, us, ms, s, m, h';
/** Refusals: the case, the text, what the error says. */
const refused: readonly [string, string, string][] = [
  ['nothing', '', `"${form}`],
  ['a number without a unit', '3', `"3${form} (a unit is missing; ${unitsList})`],
  ['a sign alone', '-', `"-${form}`],
  ['a unit alone', 's', `"s${form}`],
  ['a dot alone', '.', `".${form}`],
  ['a sign and a dot', '-.', `"-.${form}`],
  ['a dot and a unit', '.s', `".s${form}`],
  ['a sign, a dot and a unit', '+.s', `"+.s${form}`],
  ['two signs', '+-1s', `"+-1s${form}`],
  ['days, which Go does not know', '1d', `"1d${form} (unknown unit "d"; ${unitsList})`],
  ['a space between parts', '1h 30m', `"1h 30m${form} (unknown unit "h "; ${unitsList})`],
  ['a leading space', ' 5s', `" 5s${form}`],
  ['a word as unit', '5sec', `"5sec${form} (unknown unit "sec"; ${unitsList})`],
  ['an exponent', '1e3s', `"1e3s${form} (unknown unit "e"; ${unitsList})`],
  ['a second component without a unit', '1h30', `"1h30${form} (a unit is missing; ${unitsList})`],
  ['one nanosecond beyond int64', '9223372036854775808ns', "out of range: Go's limit is about 2562047h"],
  ['beyond int64 in microseconds', '9223372036854775.808us', 'out of range'],
  ['beyond int64 over three parts', '9223372036s854ms775us808ns', 'out of range'],
  ['below int64', '-9223372036854775809ns', 'out of range'],
  ['an hour count beyond int64', '2562048h', `"2562048h${form} (out of range: Go's limit is about 2562047h)`],
  ['a huge number', '99999999999999999999999s', 'out of range'],
];

describe('parseDuration', () => {
  it.each(accepted)('reads %s as Go does', (text, nanoseconds) => {
    expect(parseDuration(text)).toBe(nanoseconds);
  });

  it.each(refused)('refuses %s (%j), naming the accepted form and the problem', (_case, text, message) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
    expect(() => parseDuration(text)).toThrow(message);
  });
});

describe('nonNegativeDurationPattern', () => {
  it.each(accepted)('matches %s exactly when parseDuration reads it and it has no minus sign', (text) => {
    expect(nonNegativeDurationPattern.test(text)).toBe(!text.startsWith('-'));
  });

  it.each(refused)(
    'does not match %s (%j) unless only its range is wrong, which the daemons check at start',
    (_case, text, message) => {
      const isOnlyOutOfRange = message.includes('out of range') && !text.startsWith('-');
      expect(nonNegativeDurationPattern.test(text)).toBe(isOnlyOutOfRange);
    },
  );
});

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['1m30s', 90_000],
    ['0s', 0],
    ['0', 0],
    ['.5s', 500],
    ['0.0005s', 1],
    ['400us', 0],
  ])('reads %s as %i ms, rounded', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });

  it.each(['', '60', 's', '5 s', '5sec', '1d', '1h 30m', '5s!', ' 5s'])(
    'refuses "%s" with an InvalidArgumentError naming the accepted form',
    (text) => {
      expect(() => parseDurationMs(text)).toThrow(InvalidArgumentError);
      expect(() => parseDurationMs(text)).toThrow(/is not a duration: use a number and a unit, e\.g\. 30s/);
    },
  );

  it('refuses a negative timeout', () => {
    expect(() => parseDurationMs('-5s')).toThrow(
      '"-5s" is not a duration: use a number and a unit, e.g. 30s, 5m, 1h30m (it must not be negative)',
    );
  });
});
