import { renewalDelayMs } from './renewal-schedule.js';

const t = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);

describe('renewalDelayMs', () => {
  it.each([
    ['at issuance', 0, 2000_000],
    ['halfway to the renewal point', 1000, 1000_000],
    ['exactly at 2/3 of the lifetime', 2000, 0],
    ['after expiry', 4000, 0],
  ])('renews a 3000 s certificate %s after the right delay', (_name, nowSeconds, expectedMs) => {
    expect(renewalDelayMs(t(0), t(3000), t(nowSeconds))).toBe(expectedMs);
  });
});
