/** Bounds for retry delays. */
export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * The delay before retry `attempt` (0 for the first retry): capped exponential, the one backoff
 * of every retry loop (SVID renewal, repository reconnects, bundle writes). With `random` (a number
 * in [0, 1)) it applies "equal jitter" (half fixed, half random) so that many clients that lost
 * the same server do not retry in lockstep, yet never faster than half the nominal delay; without
 * it the delay is the nominal one.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random?: () => number): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const nominal = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  if (random === undefined) return nominal;
  const half = nominal / 2;
  return Math.round(half + random() * half);
}
