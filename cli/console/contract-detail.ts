import { X509Certificate } from 'node:crypto';
import { verifyApproval } from '../../lib/contract/approval-signature.js';
import { canonicalApprovalBytes } from '../../lib/contract/canonical-consent.js';
import {
  participantOfTrustDomain,
  type ContractApproval,
  type TrustContract,
} from '../../lib/contract/trust-contract.js';
import { errorMessage } from '../../lib/errors/accord-error.js';
import { spiffeIdOfCertificate } from '../../lib/spiffe/x509-svid.js';
import { contractSummary } from './contract-summary.js';
import type { ApprovalDetail, ConsentPreview, ContractDetail, ParticipantDetail } from './console-api.js';

/**
 * A contract as its detail page shows it, built in the console process: each participant's root
 * as the contract pins it (subject, validity now), each approval verified here with the same
 * `verifyApproval` providers use, and — when this zone may still approve — exactly the bytes its
 * approval would sign at `now`.
 */
export function contractDetail(contract: TrustContract, selfTrustDomain: string, now: Date): ContractDetail {
  const summary = contractSummary(contract, selfTrustDomain);
  const participants: ParticipantDetail[] = contract.participants.map((participant, index) => {
    const view = summary.participants[index];
    const notBefore = new Date(participant.root.validFrom);
    const notAfter = new Date(participant.root.validTo);
    return {
      name: participant.name,
      trustDomain: participant.trustDomain,
      rootSha256: participant.rootSha256,
      hasVerifiedApproval: view?.hasVerifiedApproval ?? false,
      rootSubject: participant.root.subject.replace(/\n/g, ', '),
      rootNotBefore: notBefore.toISOString(),
      rootNotAfter: notAfter.toISOString(),
      isRootValidNow: notBefore <= now && now <= notAfter,
    };
  });
  const yours = participantOfTrustDomain(contract, selfTrustDomain);
  const mayApprove =
    yours !== undefined &&
    contract.state === 'proposed' &&
    contract.revocation === undefined &&
    !summary.participants.some((p) => p.name === yours.name && p.hasVerifiedApproval);
  return {
    contract: summary,
    participants,
    approvals: contract.approvals.map((approval) => approvalDetail(contract, approval)),
    yourParticipant: yours?.name ?? null,
    approvalPreview: mayApprove ? approvalPreview(contract, yours.name, now) : null,
  };
}

/**
 * The canonical approval bytes of `participant` at `signedAt`, as text (they are UTF-8 JSON): what
 * the confirmation shows and what an approval request sends back to be compared.
 */
export function approvalPreview(
  contract: TrustContract,
  participant: string,
  signedAt: Date,
): ConsentPreview {
  const at = new Date(Math.floor(signedAt.getTime()));
  return {
    participant,
    signedAt: at.toISOString(),
    canonicalBytes: new TextDecoder().decode(canonicalApprovalBytes(contract, participant, at)),
  };
}

function approvalDetail(contract: TrustContract, approval: ContractApproval): ApprovalDetail {
  let signer: string | null = null;
  try {
    const [leaf] = approval.certificateChainDer;
    if (leaf !== undefined) signer = spiffeIdOfCertificate(new X509Certificate(leaf)).uri;
  } catch {
    signer = null;
  }
  let reason: string | null = null;
  try {
    verifyApproval(contract, approval);
  } catch (error) {
    reason = errorMessage(error);
  }
  return {
    participant: approval.participant,
    signer,
    signedAt: approval.signedAt.toISOString(),
    isVerified: reason === null,
    reason,
  };
}
