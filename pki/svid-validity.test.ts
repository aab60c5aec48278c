import { decideSvidValidity } from './svid-validity.js';

const now = new Date('2026-03-01T00:00:00Z');
const policy = { defaultTtlSeconds: 86_400, maxTtlSeconds: 172_800, backdateSeconds: 60 };
const farRoot = new Date('2030-01-01T00:00:00Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('decideSvidValidity', () => {
  it.each([
    ['0 (the default)', 0, farRoot, at(86_400)],
    ['less than the maximum', 600, farRoot, at(600)],
    ['more than the maximum', 1_000_000, farRoot, at(172_800)],
    ['past the root notAfter', 0, at(3600), at(3600)],
  ])('ends a requested TTL of %s at the right time', (_name, requested, rootNotAfter, expected) => {
    expect(decideSvidValidity(now, requested, policy, rootNotAfter)).toEqual({
      notBefore: at(-60),
      notAfter: expected,
    });
  });

  it.each([
    ['a negative TTL', -1, farRoot, 'non-negative integer'],
    ['a fractional TTL', 1.5, farRoot, 'non-negative integer'],
    ['an expired root', 0, now, 'the signing root has expired'],
  ])('rejects %s', (_name, requested, rootNotAfter, reason) => {
    expect(() => decideSvidValidity(now, requested, policy, rootNotAfter)).toThrow(reason);
  });
});
