import type { RootChainContract } from './participant-roots.js';
import type { VerifiedSvid } from '../spiffe/x509-svid.js';
import { canonicalApprovalBytes } from './canonical-consent.js';
import { signConsent, verifyConsent } from './consent-signature.js';
import type { ContractApproval } from './trust-contract.js';
import type { ConsentSigner } from './zone-approvers.js';

/**
 * Signs `participantName`'s approval of `contract` over the canonical approval bytes, timestamped
 * by the signer's zone PKI. The result is verified before it is returned, so a signer holding the
 * wrong zone's key, or one that is not a designated approver, learns it here instead of from the
 * repository.
 */
export async function signApproval(
  contract: RootChainContract,
  participantName: string,
  signer: ConsentSigner,
  signedAt: Date,
): Promise<ContractApproval> {
  const approval = await signConsent(
    canonicalApprovalBytes(contract, participantName, signedAt),
    participantName,
    signer,
    signedAt,
  );
  verifyApproval(contract, approval);
  return approval;
}

/**
 * Verifies one approval of `contract` with `verifyConsent` over the canonical approval bytes;
 * returns the signer's verified SVID or throws (`InvalidArgumentError` for malformed input,
 * `PermissionDeniedError` when it does not prove the participant's consent).
 */
export function verifyApproval(contract: RootChainContract, approval: ContractApproval): VerifiedSvid {
  return verifyConsent(
    contract,
    approval,
    (participant) => canonicalApprovalBytes(contract, participant.name, approval.signedAt),
    'approval',
  );
}
