import { percentile, summarizeLatencies } from './percentiles.js';

const oneToHundred = Array.from({ length: 100 }, (_, index) => index + 1);

describe('percentile', () => {
  it.each([
    ['the median of an odd count is the middle sample', [3, 1, 2], 0.5, 2],
    ['the median of an even count is the lower middle sample', [4, 1, 3, 2], 0.5, 2],
    ['p99 of 1..100 is the 99th sample, not an interpolation', oneToHundred, 0.99, 99],
    ['p99 of ten samples is the largest', [5, 1, 9, 2, 8, 3, 7, 4, 6, 10], 0.99, 10],
    ['p100 is the maximum', [7, 42, 3], 1, 42],
    ['a single sample is every percentile', [12.5], 0.5, 12.5],
  ])('%s', (_name, samples, fraction, expected) => {
    expect(percentile(samples, fraction)).toBe(expected);
  });

  it('leaves the samples in their original order', () => {
    const samples = [3, 1, 2];
    percentile(samples, 0.5);
    expect(samples).toEqual([3, 1, 2]);
  });

  it.each([
    ['no samples', [], 0.5],
    ['a zero fraction', [1], 0],
    ['a fraction above one', [1], 1.5],
  ])('rejects %s', (_name, samples, fraction) => {
    expect(() => percentile(samples, fraction)).toThrow(RangeError);
  });
});

describe('summarizeLatencies', () => {
  it('reports count, p50, p99 and max of the samples', () => {
    expect(summarizeLatencies(oneToHundred)).toEqual({ count: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 });
  });
});
