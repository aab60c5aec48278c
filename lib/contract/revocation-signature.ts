import type { RootChainContract } from './participant-roots.js';
import type { VerifiedSvid } from '../spiffe/x509-svid.js';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { canonicalRevocationBytes } from './canonical-consent.js';
import { signConsent, verifyConsent } from './consent-signature.js';
import type { ContractRevocation, ParticipantSignature } from './trust-contract.js';
import type { ConsentSigner } from './zone-approvers.js';

/**
 * Signs `participantName`'s revocation of `contract` with `reason` over the canonical revocation
 * bytes, timestamped by the signer's zone PKI, and verifies it before returning it: a participant
 * withdraws its consent exactly as it gave it, through one of its designated approvers.
 */
export async function signRevocation(
  contract: RootChainContract,
  participantName: string,
  reason: string,
  signer: ConsentSigner,
  signedAt: Date,
): Promise<ParticipantSignature> {
  const signed = await signConsent(
    canonicalRevocationBytes(contract, participantName, signedAt, reason),
    participantName,
    signer,
    signedAt,
  );
  verifyRevocation(contract, { reason, signed });
  return signed;
}

/**
 * Verifies a contract's revocation with `verifyConsent` over the canonical revocation bytes (which
 * bind the reason); returns the signer's verified SVID or throws. A revocation without a signature
 * is `InvalidArgumentError`; one that does not prove a participant's word, `PermissionDeniedError`.
 */
export function verifyRevocation(
  contract: RootChainContract,
  revocation: Pick<ContractRevocation, 'reason' | 'signed'>,
): VerifiedSvid {
  const { signed, reason } = revocation;
  if (signed === undefined)
    throw new InvalidArgumentError('revocation: unsigned; a participant signs its revocation');
  return verifyConsent(
    contract,
    signed,
    (participant) => canonicalRevocationBytes(contract, participant.name, signed.signedAt, reason),
    'revocation',
  );
}
