import type { CaState, StoredRoot } from './ca-state.js';
import { bundleSequence, planRootRotation, rootsInBundle } from './root-retention.js';

const now = new Date('2026-03-01T00:00:00Z');
const root = (name: string, removeFromBundleAfter?: string): StoredRoot => ({
  certificatePem: name,
  privateKeyPem: `${name}-key`,
  ...(removeFromBundleAfter === undefined ? {} : { removeFromBundleAfter }),
});
const state = (...roots: StoredRoot[]): CaState => ({
  version: 4,
  sequence: 7,
  roots,
});

describe('rootsInBundle and bundleSequence', () => {
  it.each([
    ['a single signing root', state(root('a')), ['a'], 7],
    [
      'a retired root still in its retention',
      state(root('b'), root('a', '2026-03-02T00:00:00Z')),
      ['b', 'a'],
      7,
    ],
    ['a retired root past its retention', state(root('b'), root('a', '2026-02-28T00:00:00Z')), ['b'], 8],
    ['a root retiring exactly now', state(root('b'), root('a', now.toISOString())), ['b'], 8],
  ])('with %s, keeps the expected roots and sequence', (_name, input, roots, sequence) => {
    expect(rootsInBundle(input, now).map((kept) => kept.certificatePem)).toEqual(roots);
    expect(bundleSequence(input, now)).toBe(sequence);
  });
});

describe('planRootRotation', () => {
  it('puts the new root first, retires the signing root, drops removed roots and bumps version and sequence', () => {
    const before = state(root('b'), root('a', '2026-02-01T00:00:00Z'));
    const after = planRootRotation(before, root('c'), now, 3600);
    expect(after.roots).toEqual([
      { ...root('c'), rotationSequence: 1 },
      root('b', '2026-03-01T01:00:00.000Z'),
    ]);
    expect(after.version).toBe(5);
    expect(after.sequence).toBe(9);
    expect(bundleSequence(after, now)).toBeGreaterThan(bundleSequence(before, now));
  });
});
