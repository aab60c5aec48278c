import { X509Certificate, verify as verifySignature, webcrypto } from 'node:crypto';
import { InvalidArgumentError, PermissionDeniedError, errorMessage } from '../errors/accord-error.js';
import { verifyX509Svid, type VerifiedSvid } from '../spiffe/x509-svid.js';
import { sha256Hex } from '../x509/fingerprint.js';
import { canonicalApprovalBytes } from './canonical-approval.js';
import { contractLimits } from './contract-limits.js';
import { participantNamed, type ContractApproval, type ContractTerms } from './trust-contract.js';

/** The key and certificates a zone signs approvals with: a P-256 key its zone root certifies. */
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
 * counts only if all of these hold:
 * - it names a participant of the contract;
 * - its chain is the signer's certificate, optionally followed by exactly that participant's root
 *   (zone PKIs sign leaves with the root; intermediates are not accepted);
 * - the signer is an X509-SVID of *that participant's* trust domain, issued by *that participant's*
 *   root in the contract, not a CA, and valid (as is the root) at `signedAt`;
 * - the signer key is ECDSA P-256 and the P1363 signature verifies over the canonical bytes.
 * Malformed input throws `InvalidArgumentError`; an approval that is well formed but does not prove
 * the participant's consent throws `PermissionDeniedError`. Both messages say why.
 */
export function verifyApproval(contract: ContractTerms, approval: ContractApproval): VerifiedSvid {
  const participant = participantNamed(contract, approval.participant);
  if (participant === undefined) {
    throw new InvalidArgumentError(
      `approval.participant: "${approval.participant}" is not a participant of contract ${contract.id}`,
    );
  }
  const chain = approval.certificateChainDer;
  if (chain.length === 0)
    throw new InvalidArgumentError('approval.certificate_chain: empty; the signer certificate comes first');
  if (chain.length > contractLimits.maxChainCertificates) {
    throw new InvalidArgumentError(
      'approval.certificate_chain: at most the signer certificate and the participant root (intermediates are not accepted)',
    );
  }
  const [signerDer, rootDer] = chain;
  if (signerDer === undefined) throw new InvalidArgumentError('approval.certificate_chain: empty');
  for (const [index, der] of chain.entries()) {
    if (der.byteLength > contractLimits.maxCertificateDerBytes) {
      throw new InvalidArgumentError(
        `approval.certificate_chain[${index}]: larger than ${contractLimits.maxCertificateDerBytes} bytes`,
      );
    }
  }
  if (rootDer !== undefined && sha256Hex(rootDer) !== participant.rootSha256) {
    throw new PermissionDeniedError(
      `approval rejected: certificate_chain[1] is not the root of participant ${participant.name} in the contract`,
    );
  }
  let signerCertificate: X509Certificate;
  try {
    signerCertificate = new X509Certificate(signerDer);
  } catch (error) {
    throw new InvalidArgumentError('approval.certificate_chain[0]: not a valid DER X.509 certificate', {
      cause: error,
    });
  }
  if (approval.signature.byteLength !== p1363SignatureBytes) {
    throw new InvalidArgumentError(
      `approval.signature: must be a ${p1363SignatureBytes}-byte IEEE P1363 ECDSA P-256 signature, got ${approval.signature.byteLength} bytes`,
    );
  }
  if (Number.isNaN(approval.signedAt.getTime()))
    throw new InvalidArgumentError('approval.signed_at: required');
  let svid: VerifiedSvid;
  try {
    svid = verifyX509Svid(
      signerCertificate,
      new Map([[participant.trustDomain, [participant.root]]]),
      approval.signedAt,
    );
  } catch (error) {
    throw new PermissionDeniedError(
      `approval rejected: the signer is not an identity of participant ${participant.name} (${participant.trustDomain}) at signed_at: ${errorMessage(error)}`,
    );
  }
  const keyDetails = signerCertificate.publicKey.asymmetricKeyDetails;
  if (signerCertificate.publicKey.asymmetricKeyType !== 'ec' || keyDetails?.namedCurve !== 'prime256v1') {
    throw new PermissionDeniedError('approval rejected: the signer key is not ECDSA P-256');
  }
  const bytes = canonicalApprovalBytes(contract, participant.name, approval.signedAt);
  const isValid = verifySignature(
    'sha256',
    bytes,
    { key: signerCertificate.publicKey, dsaEncoding: 'ieee-p1363' },
    approval.signature,
  );
  if (!isValid) {
    throw new PermissionDeniedError(
      `approval rejected: the signature does not verify over the canonical bytes of contract ${contract.id} for participant ${participant.name}`,
    );
  }
  return svid;
}
