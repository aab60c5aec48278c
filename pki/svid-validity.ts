import { InvalidArgumentError } from '../lib/errors/accord-error.js';

/** The PKI's lifetime policy for X509-SVIDs. */
export interface SvidLifetimePolicy {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  /** notBefore is moved this far into the past so peers with a slightly slow clock accept new SVIDs. */
  backdateSeconds: number;
}

/** The validity period of one certificate. */
export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/**
 * Decides an SVID's validity: the requested TTL (0 = the default), capped by the maximum, and never
 * past the signing root's own notAfter (a leaf outliving its root would fail verification anyway).
 */
export function decideSvidValidity(
  now: Date,
  requestedTtlSeconds: number,
  policy: SvidLifetimePolicy,
  rootNotAfter: Date,
): Validity {
  if (!Number.isInteger(requestedTtlSeconds) || requestedTtlSeconds < 0) {
    throw new InvalidArgumentError('ttl_seconds must be a non-negative integer');
  }
  const ttlSeconds = Math.min(
    requestedTtlSeconds === 0 ? policy.defaultTtlSeconds : requestedTtlSeconds,
    policy.maxTtlSeconds,
  );
  const notAfterMs = Math.min(now.getTime() + ttlSeconds * 1000, rootNotAfter.getTime());
  if (notAfterMs <= now.getTime()) throw new InvalidArgumentError('the signing root has expired');
  return {
    notBefore: new Date(now.getTime() - policy.backdateSeconds * 1000),
    notAfter: new Date(notAfterMs),
  };
}
