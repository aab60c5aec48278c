import type { CaState } from './ca-state.js';

/**
 * Where the zone's CA state lives. Deliberately small so a Kubernetes Secret can implement it:
 * create-if-absent (so two replicas starting at once end up with one root) and compare-and-swap
 * replace (so two rotations cannot overwrite each other).
 */
export interface CaStore {
  /** The stored state, or undefined when none was created yet. */
  load(): Promise<CaState | undefined>;
  /** Stores `state` unless a state exists; returns the state stored afterwards, whoever wrote it. */
  createIfAbsent(state: CaState): Promise<CaState>;
  /**
   * Replaces the stored state if its version is still `expectedVersion`; throws
   * `FailedPreconditionError` when someone else changed it first.
   */
  replace(state: CaState, expectedVersion: number): Promise<void>;
}
