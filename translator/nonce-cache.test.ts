import { ManualClock } from '../test/support/manual-clock.js';
import { NonceCache } from './nonce-cache.js';

const start = new Date('2026-11-23T12:00:00Z');
const inSeconds = (clock: ManualClock, seconds: number) => new Date(clock.now().getTime() + seconds * 1000);

describe('NonceCache', () => {
  it('accepts a nonce once and reports every later use as a replay while it is remembered', () => {
    const clock = new ManualClock(start);
    const cache = new NonceCache({ maxEntries: 10, clock });
    expect(cache.admit('spiffe://a/w|n1', inSeconds(clock, 60))).toBe('accepted');
    expect(cache.admit('spiffe://a/w|n1', inSeconds(clock, 60))).toBe('replayed');
    clock.advance(59_000);
    expect(cache.admit('spiffe://a/w|n1', inSeconds(clock, 60))).toBe('replayed');
  });

  it('keeps nonces of different senders apart', () => {
    const clock = new ManualClock(start);
    const cache = new NonceCache({ maxEntries: 10, clock });
    expect(cache.admit('spiffe://a/w|n1', inSeconds(clock, 60))).toBe('accepted');
    expect(cache.admit('spiffe://b/w|n1', inSeconds(clock, 60))).toBe('accepted');
  });

  it('refuses new nonces when full of live ones instead of forgetting one (fail closed)', () => {
    const clock = new ManualClock(start);
    const cache = new NonceCache({ maxEntries: 2, clock });
    expect(cache.admit('n1', inSeconds(clock, 60))).toBe('accepted');
    expect(cache.admit('n2', inSeconds(clock, 60))).toBe('accepted');
    expect(cache.admit('n3', inSeconds(clock, 60))).toBe('full');
    expect(cache.admit('n1', inSeconds(clock, 60))).toBe('replayed');
    expect(cache.size).toBe(2);
  });

  it('frees the slots of expired nonces when full, then accepts again', () => {
    const clock = new ManualClock(start);
    const cache = new NonceCache({ maxEntries: 2, clock });
    cache.admit('n1', inSeconds(clock, 10));
    cache.admit('n2', inSeconds(clock, 120));
    clock.advance(11_000);
    expect(cache.admit('n3', inSeconds(clock, 60))).toBe('accepted');
    expect(cache.admit('n4', inSeconds(clock, 60))).toBe('full');
    expect(cache.admit('n2', inSeconds(clock, 60))).toBe('replayed');
  });

  it('accepts a nonce again once its remembered window has passed (its signature has expired too)', () => {
    const clock = new ManualClock(start);
    const cache = new NonceCache({ maxEntries: 1, clock });
    cache.admit('n1', inSeconds(clock, 10));
    clock.advance(11_000);
    expect(cache.admit('n1', inSeconds(clock, 10))).toBe('accepted');
  });

  it('still refuses a nonce at the last millisecond it is remembered', () => {
    const clock = new ManualClock(start);
    const cache = new NonceCache({ maxEntries: 10, clock });
    const until = inSeconds(clock, 60);
    cache.admit('n1', until);
    clock.advance(60_000);
    expect(cache.admit('n1', inSeconds(clock, 60))).toBe('replayed');
    clock.advance(1);
    expect(cache.admit('n1', inSeconds(clock, 60))).toBe('accepted');
  });

  it('keeps, when it sweeps, a nonce whose last remembered millisecond is now', () => {
    const clock = new ManualClock(start);
    const cache = new NonceCache({ maxEntries: 2, clock });
    cache.admit('n1', inSeconds(clock, 10));
    cache.admit('n2', inSeconds(clock, 20));
    clock.advance(20_000);
    expect(cache.admit('n3', inSeconds(clock, 60))).toBe('accepted');
    expect(cache.admit('n4', inSeconds(clock, 60))).toBe('full');
    expect(cache.admit('n2', inSeconds(clock, 60))).toBe('replayed');
  });

  it('sweeps again as soon as the earliest nonce left by the previous sweep expires', () => {
    const clock = new ManualClock(start);
    const cache = new NonceCache({ maxEntries: 3, clock });
    cache.admit('n1', inSeconds(clock, 10));
    cache.admit('n2', inSeconds(clock, 30));
    cache.admit('n3', inSeconds(clock, 60));
    clock.advance(11_000);
    expect(cache.admit('n4', inSeconds(clock, 60))).toBe('accepted');
    clock.advance(20_000);
    expect(cache.admit('n5', inSeconds(clock, 60))).toBe('accepted');
    expect(cache.admit('n6', inSeconds(clock, 60))).toBe('full');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses to be built with maxEntries %p', (maxEntries) => {
    expect(() => new NonceCache({ maxEntries, clock: new ManualClock(start) })).toThrow(RangeError);
    expect(() => new NonceCache({ maxEntries, clock: new ManualClock(start) })).toThrow(
      'maxEntries must be a positive integer',
    );
  });
});
