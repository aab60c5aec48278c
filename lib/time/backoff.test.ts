import { backoffDelayMs } from './backoff.js';

const policy = { initialDelayMs: 1000, maxDelayMs: 60_000 };

describe('backoffDelayMs', () => {
  it.each([
    [0, 1000],
    [1, 2000],
    [3, 8000],
    [9, 60_000],
    [999, 60_000],
  ])('waits before retry %i the nominal %i ms without jitter', (attempt, expected) => {
    expect(backoffDelayMs(attempt, policy)).toBe(expected);
  });

  it.each([
    ['the least jitter', 2, 0, 2000],
    ['the most jitter', 2, 0.999_999, 4000],
    ['a capped delay', 20, 0.5, 45_000],
    ['a negative attempt', -1, 0, 500],
  ])('keeps %s between half and all of the nominal delay', (_name, attempt, random, expected) => {
    expect(backoffDelayMs(attempt, policy, () => random)).toBe(expected);
  });
});
