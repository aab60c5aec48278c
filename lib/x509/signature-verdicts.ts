import { createHash, verify, X509Certificate } from 'node:crypto';
import { makeRoomForOne } from '../cache/make-room.js';

/**
 * Enough for every root, approver certificate and signed statement of a provider's contracts
 * (a contract carries at most 256 rotations); beyond it the oldest entry goes first.
 */
const maxRemembered = 4096;

const p1363SignatureBytes = 64;

/** Digests of the checks that succeeded (see `checkDigest`), oldest first. */
const successfulChecks = new Set<string>();
/** Parsed certificates by the SHA-256 of their DER, oldest first. */
const certificatesByDerSha256 = new Map<string, X509Certificate>();

/**
 * Parses a DER certificate, memoized by the SHA-256 of the DER itself (computed here, never taken
 * from the input's claims). A provider re-reads every root and approver certificate of every
 * contract at every sync; parsing one costs about 0.3 ms and was the largest share of its CPU in
 * bench root-rotation, while the result depends on the bytes alone (an `X509Certificate` is
 * immutable). Throws as `new X509Certificate` does; failures are not remembered.
 */
export function certificateFromDer(der: Uint8Array): X509Certificate {
  const key = createHash('sha256').update(der).digest('base64');
  const cached = certificatesByDerSha256.get(key);
  if (cached !== undefined) return cached;
  const certificate = new X509Certificate(der);
  makeRoomForOne(certificatesByDerSha256, maxRemembered);
  certificatesByDerSha256.set(key, certificate);
  return certificate;
}

/**
 * Whether `signature` is the ECDSA P-256 / SHA-256 (IEEE P1363) signature of `signer`'s key over
 * `bytes`. Contracts are verified again at every sync (every chain link, approval, timestamp), so
 * a success is remembered, keyed by a digest of exactly what was verified: the signer's DER, the
 * signed bytes and the signature. Changing any byte of any of them is a new key and a full
 * verification; nothing the repository names (ids, fingerprints, sequences) is part of the key.
 * Only the pure cryptographic verdict is remembered: validity at a time, retirement and revocation
 * are for the callers to check on every call. Failures are never remembered.
 */
export function isSignedByCertificateKey(
  signer: X509Certificate,
  bytes: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.byteLength !== p1363SignatureBytes) return false;
  return rememberedCheck(['ecdsa-p256-sha256-p1363', signer.raw, bytes, signature], () => {
    const key = signer.publicKey;
    return (
      key.asymmetricKeyType === 'ec' &&
      key.asymmetricKeyDetails?.namedCurve === 'prime256v1' &&
      verify('sha256', bytes, { key, dsaEncoding: 'ieee-p1363' }, signature)
    );
  });
}

/**
 * Whether `issuer` issued `certificate` (names match and `issuer`'s key verifies its signature),
 * remembered like `isSignedByCertificateKey`, keyed by a digest of both certificates' DER. The
 * validity of either at a time is not part of it: callers check that on every call.
 */
export function isCertificateIssuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  return rememberedCheck(
    ['certificate-issued-by', certificate.raw, issuer.raw],
    () => certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey),
  );
}

function rememberedCheck(parts: readonly [string, ...Uint8Array[]], check: () => boolean): boolean {
  const key = checkDigest(parts);
  if (successfulChecks.has(key)) return true;
  if (!check()) return false;
  makeRoomForOne(successfulChecks, maxRemembered);
  successfulChecks.add(key);
  return true;
}

/**
 * SHA-256 over the check's name and each part, each preceded by its length, so no two different
 * inputs (moving a byte from the bytes to the signature, say) share a digest.
 */
function checkDigest([name, ...parts]: readonly [string, ...Uint8Array[]]): string {
  const hash = createHash('sha256').update(name).update('\n');
  const length = Buffer.alloc(4);
  for (const part of parts) {
    length.writeUInt32BE(part.byteLength);
    hash.update(length).update(part);
  }
  return hash.digest('base64');
}
