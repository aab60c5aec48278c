import { createHash } from 'node:crypto';
import type { ContractTerms } from './trust-contract.js';

/** The `type` tag of the canonical approval bytes; a new encoding gets a new tag, never a silent change. */
export const approvalBytesType = 'accord.dev/contract-approval/v1';

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
  const document = {
    type: approvalBytesType,
    ...termsDocument(contract),
    participant: participantName,
    signedAt: signedAt.toISOString(),
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/**
 * The lower-case hex SHA-256 of a contract's terms (id, creation time, participants with their root
 * fingerprints): exactly what every approval binds, so it names "this contract" where the id alone
 * would not (a re-proposal under a deleted id has other terms). Root announcements bind it.
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
