import { FailedPreconditionError } from '../lib/errors/accord-error.js';
import type { Clock } from '../lib/time/clock.js';
import type { CaState } from './ca-state.js';
import type { CaStore } from './ca-store.js';
import { createRoot, type RootPolicy } from './create-ca-state.js';
import { planRootRotation } from './root-retention.js';

/** Inputs of a root rotation. */
export interface RootRotation {
  store: CaStore;
  trustDomain: string;
  clock: Clock;
  rootPolicy: RootPolicy;
  /**
   * How long the retiring root stays in the bundle: the longest SVID lifetime plus the interval at
   * which running PKIs reload the store (they may sign with the old root until they notice).
   */
  retainSeconds: number;
}

/**
 * Introduces a new signing root (used by `accord-pki rotate`). Running PKI servers pick it up on
 * their next store reload; the old root stays in the bundle for `retainSeconds`.
 */
export async function rotateRoot(rotation: RootRotation): Promise<CaState> {
  const current = await rotation.store.load();
  if (current === undefined)
    throw new FailedPreconditionError('there is no CA yet: start the PKI once first');
  const now = rotation.clock.now();
  const newRoot = await createRoot(rotation.trustDomain, now, rotation.rootPolicy);
  const next = planRootRotation(current, newRoot, now, rotation.retainSeconds);
  await rotation.store.replace(next, current.version);
  return next;
}
