import { createHash } from 'node:crypto';
import type { ContractTerms } from './trust-contract.js';

/** The `type` tag of the canonical approval bytes; a new encoding gets a new tag, never a silent change. */
export const approvalBytesType = 'accord.dev/contract-approval/v1';

/** The `type` tag of the canonical revocation bytes. */
export const revocationBytesType = 'accord.dev/contract-revocation/v1';

/**
 * The exact bytes a participant signs to approve a contract: UTF-8 JSON without whitespace, keys
 * in this fixed order:
 *
 *   {"type":"accord.dev/contract-approval/v1","contractId":…,"createdAt":RFC3339,
 *    "participants":[{"name":…,"trustDomain":…,"rootSha256":…}, … sorted by name],
 *    "participant":…,"signedAt":RFC3339}
 *
 * Timestamps are `Date.prototype.toISOString()` (UTC, milliseconds, `Z`). Every string is a DNS
 * label, trust domain, lower-case hex or timestamp, so JSON escaping never varies between encoders.
 * Binding the id, the creation time and every participant's root fingerprint means an approval
 * cannot be replayed onto another contract, another participant set, a re-proposal under the same
 * id, or a contract whose root was swapped.
 */
export function canonicalApprovalBytes(
  contract: ContractTerms,
  participantName: string,
  signedAt: Date,
): Uint8Array {
  return encode({
    type: approvalBytesType,
    ...termsDocument(contract),
    participant: participantName,
    signedAt: signedAt.toISOString(),
  });
}

/**
 * The exact bytes a participant signs to revoke a contract: the approval bytes' shape with the
 * revocation type tag, plus the SHA-256 of the reason (UTF-8, lower-case hex) last:
 *
 *   {"type":"accord.dev/contract-revocation/v1","contractId":…,"createdAt":…,"participants":[…],
 *    "participant":…,"signedAt":…,"reasonSha256":…}
 *
 * The reason is free text, so it is bound by its hash and JSON escaping stays out of the bytes. A
 * revocation can be moved neither to another contract nor to another participant, and its reason
 * cannot be changed after signing.
 */
export function canonicalRevocationBytes(
  contract: ContractTerms,
  participantName: string,
  signedAt: Date,
  reason: string,
): Uint8Array {
  return encode({
    type: revocationBytesType,
    ...termsDocument(contract),
    participant: participantName,
    signedAt: signedAt.toISOString(),
    reasonSha256: createHash('sha256').update(reason, 'utf8').digest('hex'),
  });
}

/**
 * The lower-case hex SHA-256 of a contract's terms (id, creation time, participants with their root
 * fingerprints): exactly what every consent signature binds, so it names "this contract" where the
 * id alone would not (a re-proposal under a deleted id has other terms and needs fresh approvals).
 * Providers remember withdrawn contracts by it; root announcements bind it.
 */
export function contractTermsSha256(contract: ContractTerms): string {
  return createHash('sha256')
    .update(JSON.stringify({ type: 'accord.dev/contract-terms/v1', ...termsDocument(contract) }))
    .digest('hex');
}

function termsDocument(contract: ContractTerms) {
  const participants = [...contract.participants]
    .sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0))
    .map((participant) => ({
      name: participant.name,
      trustDomain: participant.trustDomain,
      rootSha256: participant.rootSha256,
    }));
  return { contractId: contract.id, createdAt: contract.createdAt.toISOString(), participants };
}

function encode(document: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(document));
}
