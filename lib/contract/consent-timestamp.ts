import { createHash, webcrypto } from 'node:crypto';
import { InvalidArgumentError, PermissionDeniedError } from '../errors/accord-error.js';
import { isSignedByCertificateKey } from '../x509/signature-verdicts.js';
import { trustedRootsAt, type ParticipantRootChain } from './participant-roots.js';
import type { ContractParticipant } from './trust-contract.js';

/** The `type` tag of the canonical timestamp bytes; a new encoding gets a new tag. */
export const consentTimestampBytesType = 'accord.dev/consent-timestamp/v1';

/**
 * How far a consent's self-declared `signed_at` may lie from its timestamp: the signer asks its
 * PKI right after signing, so minutes cover any clock difference between the two.
 */
export const maxConsentTimestampSkewMs = 5 * 60 * 1000;

/**
 * The zone PKI's countersignature of one consent signature (an approval or a revocation): proof,
 * under the zone's root, that the signature existed at `time` by the PKI's clock. Verifiers check
 * the signer's certificate at `time`, never at the signer's own `signed_at`, so a leaked key whose
 * certificate has expired cannot back-date consent (docs/threat-model.md, T3).
 */
export interface ConsentTimestamp {
  /** The PKI's clock when it countersigned (whole milliseconds). */
  readonly time: Date;
  /** ECDSA P-256 / SHA-256 signature (IEEE P1363) by the zone's signing root over the canonical bytes. */
  readonly signature: Uint8Array;
}

/**
 * Gets a consent signature timestamped by the signer's own zone PKI (`TimestampConsent`), given the
 * SHA-256 of the signature. Part of every `ConsentSigner`.
 */
export type ConsentTimestamper = (signatureSha256: Uint8Array) => Promise<ConsentTimestamp>;

const sha256Bytes = 32;
const p1363SignatureBytes = 64;

/** SHA-256 of a consent signature: what a PKI timestamps. */
export function consentSignatureSha256(signature: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(signature).digest());
}

/**
 * The exact bytes a PKI signs to timestamp a consent signature: UTF-8 JSON without whitespace,
 * keys in this order: `{"type":"accord.dev/consent-timestamp/v1","trustDomain":…,
 * "signatureSha256":<lower-case hex>,"time":<toISOString()>}`. The trust domain keeps one zone's
 * timestamp from standing for another's; the type tag keeps the bytes apart from anything else
 * the root signs (X.509 TBS certificates are DER, WIT signing inputs base64url).
 */
export function canonicalConsentTimestampBytes(
  trustDomain: string,
  signatureSha256: Uint8Array,
  time: Date,
): Uint8Array {
  const document = {
    type: consentTimestampBytesType,
    trustDomain,
    signatureSha256: Buffer.from(signatureSha256).toString('hex'),
    time: time.toISOString(),
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/**
 * Timestamps `signatureSha256` at `time` with `rootKey` (the zone's signing root): what the zone
 * PKI's `TimestampConsent` does, and what test zones do in-process.
 */
export async function signConsentTimestamp(
  rootKey: webcrypto.CryptoKey,
  trustDomain: string,
  signatureSha256: Uint8Array,
  time: Date,
): Promise<ConsentTimestamp> {
  if (signatureSha256.byteLength !== sha256Bytes)
    throw new InvalidArgumentError(`signature_sha256: must be ${sha256Bytes} bytes`);
  const at = new Date(Math.floor(time.getTime()));
  const signature = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    rootKey,
    canonicalConsentTimestampBytes(trustDomain, signatureSha256, at),
  );
  return { time: at, signature: new Uint8Array(signature) };
}

/** A verified consent timestamp: its time, and the participant's roots trusted then. */
export interface VerifiedConsentTimestamp {
  /** The PKI's clock: the instant at which the consent's signer must be valid. */
  readonly time: Date;
  /**
   * The participant's roots trusted at `time` by its verified rotation chain (`trustedRootsAt`):
   * the roots that may certify the signer. Includes the root that signed the timestamp.
   */
  readonly roots: readonly ContractParticipant[];
}

/**
 * Verifies that `timestamp` is a countersignature of `signature` by a root of `chain` (the
 * participant's pinned root or one its verified rotations introduced, `participantRootChain`) that
 * the chain trusts at the timestamp's own time: not revoked, not retired by then. After an
 * announced rotation is activated the zone's PKI timestamps with the new root, so consent keeps
 * verifying; a root the chain does not vouch for (unannounced, prepared only, revoked, retired)
 * never counts (docs/threat-model.md, T3). `field` names the input in errors (`approval`,
 * `revocation`). A missing or malformed timestamp throws `InvalidArgumentError`; one that does not
 * verify so, `PermissionDeniedError` saying which rule failed.
 */
export function verifyConsentTimestamp(
  chain: ParticipantRootChain,
  signature: Uint8Array,
  timestamp: ConsentTimestamp | undefined,
  field: string,
): VerifiedConsentTimestamp {
  const participant = chain.participant;
  if (timestamp === undefined) {
    throw new InvalidArgumentError(
      `${field}.timestamp: required; the signer's zone PKI timestamps every consent (TimestampConsent)`,
    );
  }
  if (Number.isNaN(timestamp.time.getTime()))
    throw new InvalidArgumentError(`${field}.timestamp.time: required`);
  if (timestamp.signature.byteLength !== p1363SignatureBytes) {
    throw new InvalidArgumentError(
      `${field}.timestamp.signature: must be a ${p1363SignatureBytes}-byte IEEE P1363 ECDSA P-256 signature, got ${timestamp.signature.byteLength} bytes`,
    );
  }
  const bytes = canonicalConsentTimestampBytes(
    participant.trustDomain,
    consentSignatureSha256(signature),
    timestamp.time,
  );
  const signer = chain.links.find((link) =>
    isSignedByCertificateKey(link.root.root, bytes, timestamp.signature),
  );
  if (signer === undefined) {
    throw new PermissionDeniedError(
      `${field} rejected: its timestamp is not signed by a root of participant ${participant.name} in the contract (its pinned root or a root its verified rotations announced)`,
    );
  }
  const roots = trustedRootsAt(chain, timestamp.time);
  if (!roots.includes(signer.root)) {
    const why =
      signer.retireAfter === undefined || signer.isRevoked
        ? 'which is revoked'
        : `which retired at ${signer.retireAfter.toISOString()}, before the timestamp's time ${timestamp.time.toISOString()}`;
    throw new PermissionDeniedError(
      `${field} rejected: its timestamp is signed by root ${signer.root.rootSha256} of participant ${participant.name}, ${why}`,
    );
  }
  return { time: timestamp.time, roots };
}
