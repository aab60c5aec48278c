import { verify as verifySignature, webcrypto } from 'node:crypto';
import { InvalidArgumentError, PermissionDeniedError } from '../errors/accord-error.js';
import type { VerifiedSvid } from '../spiffe/x509-svid.js';
import { canonicalApprovalBytes } from './canonical-approval.js';
import { participantNamed, type ContractApproval, type ContractTerms } from './trust-contract.js';
import { verifyApproverCertificate } from './zone-approvers.js';

/** The key and certificates a zone signs approvals with: a designated approver's P-256 key and SVID. */
export interface ApprovalSigner {
  /** ECDSA P-256 private key (WebCrypto), usable for `sign`. */
  readonly privateKey: webcrypto.CryptoKey;
  /** DER certificates, signer first; optionally followed by the zone root itself. */
  readonly certificateChainDer: readonly Uint8Array[];
}

const p1363SignatureBytes = 64;

/**
 * Signs `participantName`'s approval of `contract` over the canonical approval bytes. The result is
 * verified before it is returned, so a signer holding the wrong zone's key learns it here instead
 * of from the repository.
 */
export async function signApproval(
  contract: ContractTerms,
  participantName: string,
  signer: ApprovalSigner,
  signedAt: Date,
): Promise<ContractApproval> {
  const bytes = canonicalApprovalBytes(contract, participantName, signedAt);
  const signature = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer.privateKey, bytes);
  const approval: ContractApproval = {
    participant: participantName,
    signature: new Uint8Array(signature),
    certificateChainDer: signer.certificateChainDer.map((der) => new Uint8Array(der)),
    signedAt: new Date(signedAt.getTime()),
  };
  verifyApproval(contract, approval);
  return approval;
}

/**
 * Verifies one approval of `contract`; returns the signer's verified SVID or throws. An approval
 * counts only if it names a participant of the contract, its signer passes
 * `verifyApproverCertificate` (a designated approver of *that* participant, certified by *that*
 * participant's root in the contract, valid at `signedAt`) and its P1363 signature verifies over
 * the canonical bytes. Malformed input throws `InvalidArgumentError`; an approval that is well
 * formed but does not prove the participant's consent throws `PermissionDeniedError`. Both
 * messages say why.
 */
export function verifyApproval(contract: ContractTerms, approval: ContractApproval): VerifiedSvid {
  const participant = participantNamed(contract, approval.participant);
  if (participant === undefined) {
    throw new InvalidArgumentError(
      `approval.participant: "${approval.participant}" is not a participant of contract ${contract.id}`,
    );
  }
  if (approval.signature.byteLength !== p1363SignatureBytes) {
    throw new InvalidArgumentError(
      `approval.signature: must be a ${p1363SignatureBytes}-byte IEEE P1363 ECDSA P-256 signature, got ${approval.signature.byteLength} bytes`,
    );
  }
  if (Number.isNaN(approval.signedAt.getTime()))
    throw new InvalidArgumentError('approval.signed_at: required');
  const svid = verifyApproverCertificate(
    participant,
    approval.certificateChainDer,
    approval.signedAt,
    'approval',
  );
  const bytes = canonicalApprovalBytes(contract, participant.name, approval.signedAt);
  const isValid = verifySignature(
    'sha256',
    bytes,
    { key: svid.certificate.publicKey, dsaEncoding: 'ieee-p1363' },
    approval.signature,
  );
  if (!isValid) {
    throw new PermissionDeniedError(
      `approval rejected: the signature does not verify over the canonical bytes of contract ${contract.id} for participant ${participant.name}`,
    );
  }
  return svid;
}
