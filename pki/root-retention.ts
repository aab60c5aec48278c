import type { CaState, StoredRoot } from './ca-state.js';

/** Whether a retired root has served out its time: every certificate it signed has expired. */
function isRemoved(root: StoredRoot, now: Date): boolean {
  return root.removeFromBundleAfter !== undefined && Date.parse(root.removeFromBundleAfter) <= now.getTime();
}

/**
 * The roots that belong in the bundle at `now`: the signing root and every retired root that may
 * still have valid certificates out there. Removing a root early would break its workloads;
 * keeping it longer would trust certificates nobody should still hold.
 */
export function rootsInBundle(state: CaState, now: Date): StoredRoot[] {
  return state.roots.filter((root) => !isRemoved(root, now));
}

/**
 * The bundle's `spiffe_sequence` at `now`. Roots leave the bundle by the passage of time, without
 * a write, so the sequence counts those departures on top of the stored value; it therefore only
 * grows, and grows exactly when the key set changes.
 */
export function bundleSequence(state: CaState, now: Date): number {
  return state.sequence + state.roots.filter((root) => isRemoved(root, now)).length;
}

/**
 * The state after introducing `newRoot` at `now`: it signs from now on; the previous signing root
 * retires and leaves the bundle once the longest SVID it could have issued (maxSvidTtlSeconds,
 * plus the backdating) has expired. Roots already removed are dropped from the state.
 */
export function planRootRotation(
  state: CaState,
  newRoot: StoredRoot,
  now: Date,
  retainSeconds: number,
): CaState {
  const removeFromBundleAfter = new Date(now.getTime() + retainSeconds * 1000).toISOString();
  const kept = rootsInBundle(state, now).map((root) =>
    root.removeFromBundleAfter === undefined ? { ...root, removeFromBundleAfter } : root,
  );
  return {
    ...state,
    version: state.version + 1,
    sequence: bundleSequence(state, now) + 1,
    roots: [newRoot, ...kept],
  };
}
