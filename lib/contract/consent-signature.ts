import { webcrypto } from 'node:crypto';
import { InvalidArgumentError, PermissionDeniedError } from '../errors/accord-error.js';
import type { VerifiedSvid } from '../spiffe/x509-svid.js';
import {
  consentSignatureSha256,
  maxConsentTimestampSkewMs,
  verifyConsentTimestamp,
} from './consent-timestamp.js';
import { participantRootChain, type RootChainContract } from './participant-roots.js';
import { participantNamed, type ContractParticipant, type ParticipantSignature } from './trust-contract.js';
import { verifyApproverCertificate, type ConsentSigner } from './zone-approvers.js';
import { isSignedByCertificateKey } from '../x509/signature-verdicts.js';

const p1363SignatureBytes = 64;

/**
 * Signs `bytes` (canonical approval or revocation bytes of `participantName`, made with
 * `signedAt`) with `signer` and has the signature timestamped by the signer's zone PKI. The caller
 * verifies the result, so a signer holding the wrong zone's key learns it before sending.
 */
export async function signConsent(
  bytes: Uint8Array,
  participantName: string,
  signer: ConsentSigner,
  signedAt: Date,
): Promise<ParticipantSignature> {
  const signature = new Uint8Array(
    await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer.privateKey, bytes),
  );
  const timestamp = await signer.timestamp(consentSignatureSha256(signature));
  return {
    participant: participantName,
    signature,
    certificateChainDer: signer.certificateChainDer.map((der) => new Uint8Array(der)),
    signedAt: new Date(signedAt.getTime()),
    timestamp,
  };
}

/**
 * Verifies one participant's signed statement about `contract`; returns the signer's verified SVID
 * or throws. It counts only if all of these hold:
 * - it names a participant of the contract;
 * - its timestamp is the countersignature of the signature by a root of that participant which
 *   the contract's verified rotation chain trusts at the timestamp's time: the pinned root, or a
 *   root its announced rotations introduced, neither revoked nor retired then
 *   (`participantRootChain`, `verifyConsentTimestamp`); `signed_at` lies within
 *   `maxConsentTimestampSkewMs` of it;
 * - at the timestamp's time (never at the self-declared `signed_at`), the signer is a designated
 *   approver of that participant, certified by one of those roots (`verifyApproverCertificate`);
 * - the P1363 signature verifies over `bytesOf(participant)`.
 * `field` names the input in errors (`approval`, `revocation`). Malformed input throws
 * `InvalidArgumentError`; a well-formed statement that does not prove the participant's word
 * throws `PermissionDeniedError`. Both messages say why.
 */
export function verifyConsent(
  contract: RootChainContract,
  consent: ParticipantSignature,
  bytesOf: (participant: ContractParticipant) => Uint8Array,
  field: string,
): VerifiedSvid {
  const participant = participantNamed(contract, consent.participant);
  if (participant === undefined) {
    throw new InvalidArgumentError(
      `${field}.participant: "${consent.participant}" is not a participant of contract ${contract.id}`,
    );
  }
  if (consent.signature.byteLength !== p1363SignatureBytes) {
    throw new InvalidArgumentError(
      `${field}.signature: must be a ${p1363SignatureBytes}-byte IEEE P1363 ECDSA P-256 signature, got ${consent.signature.byteLength} bytes`,
    );
  }
  if (Number.isNaN(consent.signedAt.getTime()))
    throw new InvalidArgumentError(`${field}.signed_at: required`);
  const { time, roots } = verifyConsentTimestamp(
    participantRootChain(contract, participant),
    consent.signature,
    consent.timestamp,
    field,
  );
  if (Math.abs(consent.signedAt.getTime() - time.getTime()) > maxConsentTimestampSkewMs) {
    throw new PermissionDeniedError(
      `${field} rejected: signed_at ${consent.signedAt.toISOString()} is more than ${maxConsentTimestampSkewMs / 1000} s from its timestamp ${time.toISOString()}`,
    );
  }
  const svid = verifyApproverCertificate(participant, consent.certificateChainDer, time, field, roots);
  const isValid = isSignedByCertificateKey(svid.certificate, bytesOf(participant), consent.signature);
  if (!isValid) {
    throw new PermissionDeniedError(
      `${field} rejected: the signature does not verify over the canonical bytes of contract ${contract.id} for participant ${participant.name}`,
    );
  }
  return svid;
}
