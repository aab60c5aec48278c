import { errorMessage } from '../errors/accord-error.js';
import { verifyApproval } from './approval-signature.js';
import type { TrustContract } from './trust-contract.js';

/** Which participants have proven consent, which have not, and why an approval did not count. */
export interface ApprovalReport {
  /** Participants with at least one approval that verifies, in contract order. */
  readonly approved: readonly string[];
  /** Participants without a verifying approval, in contract order. */
  readonly missing: readonly string[];
  /** Approvals that were present but failed verification, with the reason. */
  readonly invalid: readonly { readonly participant: string; readonly reason: string }[];
}

/**
 * Verifies every approval of `contract` cryptographically. Providers and accordctl use this rather
 * than the `state` field, because the repository is not trusted to declare a contract active.
 */
export function approvalReport(contract: TrustContract): ApprovalReport {
  const approved = new Set<string>();
  const invalid: { participant: string; reason: string }[] = [];
  for (const approval of contract.approvals) {
    try {
      verifyApproval(contract, approval);
      approved.add(approval.participant);
    } catch (error) {
      invalid.push({ participant: approval.participant, reason: errorMessage(error) });
    }
  }
  const names = contract.participants.map((participant) => participant.name);
  return {
    approved: names.filter((name) => approved.has(name)),
    missing: names.filter((name) => !approved.has(name)),
    invalid,
  };
}

/** Whether every participant has an approval that verifies: the only ground for trusting the contract. */
export function isFullyApproved(contract: TrustContract): boolean {
  return approvalReport(contract).missing.length === 0;
}

/**
 * Whether `contract` establishes trust right now: not revoked, and fully approved by verified
 * signatures. A revocation always wins, whatever the approvals say.
 */
export function isTrustEstablished(contract: TrustContract): boolean {
  return contract.state !== 'revoked' && contract.revocation === undefined && isFullyApproved(contract);
}
