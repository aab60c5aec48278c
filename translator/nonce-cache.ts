import type { Clock } from '../lib/time/clock.js';

/** The answer of `NonceCache.admit`. */
export type NonceAdmission = 'accepted' | 'replayed' | 'full';

/** Bounds of a `NonceCache`. */
export interface NonceCacheOptions {
  /** Most nonces remembered at once; beyond it new requests are refused, never old nonces forgotten. */
  maxEntries: number;
  clock: Clock;
}

/**
 * Remembers the nonces of accepted signatures until their signature can no longer be accepted,
 * so a captured request cannot be replayed within its validity window. It is bounded: when every
 * slot holds a nonce that is still live it refuses (`full`) instead of evicting one, because
 * forgetting a live nonce would reopen exactly the replay it guards against; fail closed, and
 * let the metric on the refusal reason tell the operator to raise the bound. Signature lifetimes
 * are capped by the verifier, so entries always expire within minutes.
 */
export class NonceCache {
  readonly #expiryMsByKey = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #clock: Clock;
  /** No entry expires before this, so a sweep earlier than it would free nothing. */
  #earliestExpiryMs = Number.POSITIVE_INFINITY;

  constructor(options: NonceCacheOptions) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1)
      throw new RangeError('maxEntries must be a positive integer');
    this.#maxEntries = options.maxEntries;
    this.#clock = options.clock;
  }

  /** Nonces currently remembered (expired ones may linger until the next sweep). */
  get size(): number {
    return this.#expiryMsByKey.size;
  }

  /**
   * Admits `key` (the signer's identity and its nonce: nonces are unique per sender, not
   * globally) once: `accepted` the first time, then `replayed` until `rememberUntil` has passed;
   * `full` when no slot is free.
   */
  admit(key: string, rememberUntil: Date): NonceAdmission {
    const nowMs = this.#clock.now().getTime();
    const knownUntilMs = this.#expiryMsByKey.get(key);
    if (knownUntilMs !== undefined && knownUntilMs >= nowMs) return 'replayed';
    if (knownUntilMs === undefined && this.#expiryMsByKey.size >= this.#maxEntries) {
      this.#sweep(nowMs);
      if (this.#expiryMsByKey.size >= this.#maxEntries) return 'full';
    }
    const untilMs = rememberUntil.getTime();
    this.#expiryMsByKey.set(key, untilMs);
    this.#earliestExpiryMs = Math.min(this.#earliestExpiryMs, untilMs);
    return 'accepted';
  }

  /** Forgets expired nonces; skipped while nothing can have expired. */
  #sweep(nowMs: number): void {
    if (nowMs <= this.#earliestExpiryMs) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, untilMs] of this.#expiryMsByKey) {
      if (untilMs < nowMs) this.#expiryMsByKey.delete(key);
      else earliest = Math.min(earliest, untilMs);
    }
    this.#earliestExpiryMs = earliest;
  }
}
