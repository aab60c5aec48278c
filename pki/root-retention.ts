import { FailedPreconditionError } from '../lib/errors/accord-error.js';
import type { CaState, StoredRoot } from './ca-state.js';

/** Whether a retired root has served out its time: every certificate it signed has expired. */
function isRemoved(root: StoredRoot, now: Date): boolean {
  return root.removeFromBundleAfter !== undefined && Date.parse(root.removeFromBundleAfter) <= now.getTime();
}

/**
 * The signing root and every retired root that may still have valid certificates out there at
 * `now`: the roots a rotation keeps. Removing a root early would break its workloads; keeping it
 * longer would trust certificates nobody should still hold.
 */
export function retainedRoots(state: CaState, now: Date): StoredRoot[] {
  return state.roots.filter((root) => !isRemoved(root, now));
}

/**
 * The roots that belong in the bundle at `now`: the retained roots (signing root first) and the
 * prepared next root, which signs nothing yet but must be known before it does.
 */
export function rootsInBundle(state: CaState, now: Date): StoredRoot[] {
  return state.nextRoot === undefined
    ? retainedRoots(state, now)
    : [...retainedRoots(state, now), state.nextRoot];
}

/**
 * The bundle's `spiffe_sequence` at `now`. Roots leave the bundle by the passage of time, without
 * a write, so the sequence counts those departures on top of the stored value; it therefore only
 * grows, and grows exactly when the key set changes.
 */
export function bundleSequence(state: CaState, now: Date): number {
  return state.sequence + state.roots.filter((root) => isRemoved(root, now)).length;
}

/** The rotation sequence the next new root gets: one more than any root of the zone ever had. */
export function nextRotationSequence(state: CaState): number {
  return (state.rotationSequence ?? 0) + 1;
}

/**
 * The state after introducing `newRoot` at `now` without announcing it (`accord-pki rotate`): it
 * signs from now on; the previous signing root retires and leaves the bundle once the longest SVID
 * it could have issued (maxSvidTtlSeconds, plus the backdating) has expired. Roots already removed
 * are dropped from the state. Refused while a rotation is prepared: that one is activated instead.
 */
export function planRootRotation(
  state: CaState,
  newRoot: StoredRoot,
  now: Date,
  retainSeconds: number,
): CaState {
  if (state.nextRoot !== undefined) {
    throw new FailedPreconditionError(
      'a root rotation is prepared: activate it (ActivateRootRotation) or cancel it first',
    );
  }
  const sequence = nextRotationSequence(state);
  return {
    ...state,
    version: state.version + 1,
    sequence: bundleSequence(state, now) + 1,
    rotationSequence: sequence,
    roots: [{ ...newRoot, rotationSequence: sequence }, ...retireSigningRoot(state, now, retainSeconds)],
  };
}

/**
 * The retained roots at `now`, the signing one marked to leave the bundle `retainSeconds` from
 * now: what every rotation that installs a new signing root keeps of the old ones.
 */
export function retireSigningRoot(state: CaState, now: Date, retainSeconds: number): StoredRoot[] {
  const removeFromBundleAfter = new Date(now.getTime() + retainSeconds * 1000).toISOString();
  return retainedRoots(state, now).map((root) =>
    root.removeFromBundleAfter === undefined ? { ...root, removeFromBundleAfter } : root,
  );
}
