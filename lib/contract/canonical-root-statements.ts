import { createHash } from 'node:crypto';
import type { RootActivation, RootAnnouncementTerms, RootRevocation } from './root-rotation.js';

/** The `type` tags of the three root statements; a new encoding gets a new tag, never a silent change. */
export const rootStatementTypes = {
  announcement: 'accord.dev/root-announcement/v1',
  activation: 'accord.dev/root-activation/v1',
  revocation: 'accord.dev/root-revocation/v1',
} as const;

/**
 * The exact bytes both signers of a root announcement sign (the replaced root's key and the
 * approver): UTF-8 JSON without whitespace, keys in this fixed order:
 *
 *   {"type":"accord.dev/root-announcement/v1","contractId":…,"contractTermsSha256":…,
 *    "trustDomain":…,"sequence":N,"previousRootSha256":…,"rootSha256":…,"announcedAt":RFC3339}
 *
 * Every string is a DNS label, a trust domain, lower-case hex or `Date.toISOString()`, and the
 * sequence a safe integer, so JSON escaping and number rendering never vary between encoders. The
 * type tag keeps these bytes apart from everything else a root key signs (DER TBS certificates,
 * base64url JWS inputs, the other statements).
 */
export function canonicalRootAnnouncementBytes(terms: RootAnnouncementTerms): Uint8Array {
  return encode({
    type: rootStatementTypes.announcement,
    contractId: terms.contractId,
    contractTermsSha256: terms.contractTermsSha256,
    trustDomain: terms.trustDomain,
    sequence: terms.sequence,
    previousRootSha256: terms.previousRootSha256,
    rootSha256: terms.rootSha256,
    announcedAt: terms.announcedAt.toISOString(),
  });
}

/**
 * The exact bytes the new root's key signs to activate it:
 *
 *   {"type":"accord.dev/root-activation/v1","trustDomain":…,"sequence":N,"previousRootSha256":…,
 *    "rootSha256":…,"activatedAt":RFC3339,"previousRootRetireAfter":RFC3339}
 */
export function canonicalRootActivationBytes(activation: Omit<RootActivation, 'signature'>): Uint8Array {
  return encode({
    type: rootStatementTypes.activation,
    trustDomain: activation.trustDomain,
    sequence: activation.sequence,
    previousRootSha256: activation.previousRootSha256,
    rootSha256: activation.rootSha256,
    activatedAt: activation.activatedAt.toISOString(),
    previousRootRetireAfter: activation.previousRootRetireAfter.toISOString(),
  });
}

/**
 * The exact bytes the revoked root's key signs; the free-text reason is bound by its SHA-256 so
 * that JSON escaping stays out of the bytes:
 *
 *   {"type":"accord.dev/root-revocation/v1","trustDomain":…,"rootSha256":…,"revokedAt":RFC3339,
 *    "reasonSha256":…}
 */
export function canonicalRootRevocationBytes(revocation: Omit<RootRevocation, 'signature'>): Uint8Array {
  return encode({
    type: rootStatementTypes.revocation,
    trustDomain: revocation.trustDomain,
    rootSha256: revocation.rootSha256,
    revokedAt: revocation.revokedAt.toISOString(),
    reasonSha256: createHash('sha256').update(revocation.reason, 'utf8').digest('hex'),
  });
}

function encode(document: Record<string, string | number>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(document));
}
