import { z } from 'zod';
import { durationMs, durationSeconds, withUnitNames } from './config-fields.js';
import { parseConfig } from './load-config.js';

/** A config with one field of each duration kind, as a component schema declares them. */
const schema = z
  .object({
    interval: durationMs({ min: '100ms', max: '1h' }).prefault('30s'),
    lifetime: durationSeconds({ min: '1s' }).prefault('24h'),
    skew: durationSeconds().prefault('0s'),
  })
  .strict()
  .transform(withUnitNames({ interval: 'intervalMs', lifetime: 'lifetimeSeconds', skew: 'skewSeconds' }));

const parse = (value: Record<string, unknown>) => parseConfig(schema, value);

describe('duration config fields', () => {
  it('take their defaults as durations and hand the code numbers in the unit of their new name', () => {
    expect(parse({})).toEqual({ intervalMs: 30_000, lifetimeSeconds: 86_400, skewSeconds: 0 });
  });

  it.each<[string, Record<string, unknown>, Record<string, number>]>([
    ['milliseconds', { interval: '250ms' }, { intervalMs: 250 }],
    ['a fraction of a second', { interval: '1.5s' }, { intervalMs: 1500 }],
    ['microseconds adding up to whole milliseconds', { interval: '200000us' }, { intervalMs: 200 }],
    ['the micro sign', { interval: '300000µs' }, { intervalMs: 300 }],
    ['hours and minutes', { interval: '1h' }, { intervalMs: 3_600_000 }],
    ['the upper bound itself', { interval: '60m' }, { intervalMs: 3_600_000 }],
    ['the lower bound itself', { interval: '0.1s' }, { intervalMs: 100 }],
    ['a long lifetime', { lifetime: '8760h' }, { lifetimeSeconds: 31_536_000 }],
    ['a compound lifetime', { lifetime: '1h30m15s' }, { lifetimeSeconds: 5415 }],
    ['milliseconds adding up to whole seconds', { lifetime: '1500ms500ms' }, { lifetimeSeconds: 2 }],
    ['a zero without a unit', { skew: '0' }, { skewSeconds: 0 }],
    ['an explicit plus sign', { skew: '+5s' }, { skewSeconds: 5 }],
  ])('accept %s', (_case, value, expected) => {
    expect(parse(value)).toMatchObject(expected);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a number (YAML `30`)',
      { interval: 30 },
      'interval: must be a duration string such as 30s, 5m or 1h30m',
    ],
    [
      'a number without a unit in a string',
      { interval: '30' },
      'interval: "30" is not a duration: use a number and a unit, e.g. 30s, 5m, 1h30m (a unit is missing',
    ],
    [
      'days',
      { lifetime: '1d' },
      'lifetime: "1d" is not a duration: use a number and a unit, e.g. 30s, 5m, 1h30m (unknown unit "d"',
    ],
    ['garbage', { interval: 'soon' }, 'interval: "soon" is not a duration: use a number and a unit'],
    ['an empty string', { interval: '' }, 'interval: "" is not a duration'],
    ['a negative value', { skew: '-1s' }, 'skew: must not be negative, got -1s'],
    ['a negative value below a bound', { interval: '-1h' }, 'interval: must not be negative'],
    ['a value below the minimum', { interval: '99ms' }, 'interval: must be at least 100ms, got 99ms'],
    ['a value above the maximum', { interval: '1h0m0.001s' }, 'interval: must be at most 1h, got 1h0m0.001s'],
    [
      'a value Go cannot hold',
      { lifetime: '2562048h' },
      'lifetime: "2562048h" is not a duration: use a number and a unit, e.g. 30s, 5m, 1h30m (out of range',
    ],
    [
      'milliseconds where whole seconds are kept',
      { lifetime: '1500ms' },
      'lifetime: must be a whole number of seconds, got 1500ms',
    ],
    [
      'microseconds where whole milliseconds are kept',
      { interval: '100.5ms' },
      'interval: must be a whole number of milliseconds, got 100.5ms',
    ],
    ['the code-side name in a file', { intervalMs: 1000 }, 'Unrecognized key: "intervalMs"'],
  ])('refuse %s, naming the field', (_case, value, message) => {
    expect(() => parse(value)).toThrow(message);
  });

  it('keep every other field of the object as it is', () => {
    const rename = withUnitNames({ timeout: 'timeoutMs' });
    expect(rename({ timeout: 5, name: 'x', nested: { timeout: 1 } })).toEqual({
      timeoutMs: 5,
      name: 'x',
      nested: { timeout: 1 },
    });
  });
});
