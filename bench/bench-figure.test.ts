import { formatBenchFigure } from './bench-figure.js';

describe('formatBenchFigure', () => {
  it.each([
    [
      'a latency above 100 ms as a whole number',
      'propagation-activate',
      'p99',
      182.4,
      'ms',
      'BENCH propagation-activate p99=182ms',
    ],
    [
      'a latency between 10 and 100 ms with one decimal',
      'propagation-revoke',
      'p50',
      15.54,
      'ms',
      'BENCH propagation-revoke p50=15.5ms',
    ],
    [
      'a latency between 1 and 10 ms with two decimals',
      'get-certificates-100',
      'p50',
      7.456,
      'ms',
      'BENCH get-certificates-100 p50=7.46ms',
    ],
    ['a sub-millisecond latency with three decimals', 'x', 'p50', 0.12345, 'ms', 'BENCH x p50=0.123ms'],
    ['a count without a unit', 'propagation', 'zones', 20, '', 'BENCH propagation zones=20'],
    [
      'a throughput with its unit',
      'get-certificates-10000',
      'throughput',
      1234.5,
      '/s',
      'BENCH get-certificates-10000 throughput=1235/s',
    ],
    ['trailing zeros dropped', 'x', 'p50', 12.0001, 'ms', 'BENCH x p50=12ms'],
  ])('formats %s', (_case, name, metric, value, unit, expected) => {
    expect(formatBenchFigure({ name, metric, value, unit })).toBe(expected);
  });

  it('prints lines that match the documented BENCH form', () => {
    const line = formatBenchFigure({
      name: 'propagation-activate',
      metric: 'p99',
      value: 3.14159,
      unit: 'ms',
    });
    expect(line).toMatch(/^BENCH [a-z0-9-]+ [a-z0-9-]+=-?[0-9.]+[a-z/%]*$/);
  });
});
