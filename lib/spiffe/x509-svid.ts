import { makeRoomForOne } from '../cache/make-room.js';
import 'reflect-metadata';
import type { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { InvalidArgumentError, UnauthenticatedError, errorMessage } from '../errors/accord-error.js';
import { parseSpiffeId, type SpiffeId } from './spiffe-id.js';
import { isCertificateIssuedBy } from '../x509/signature-verdicts.js';

const subjectAltNameOid = '2.5.29.17';

/**
 * Trust bundles kept apart per trust domain. A certificate is only ever checked against the roots
 * of the trust domain it claims, so one zone's root can never vouch for another zone's IDs (the
 * "merged pool" mistake).
 */
export type TrustBundleSet = ReadonlyMap<string /* trust domain */, readonly X509Certificate[]>;

/** A leaf certificate that passed `verifyX509Svid`, with the SPIFFE ID it proves. */
export interface VerifiedSvid {
  spiffeId: SpiffeId;
  certificate: X509Certificate;
  /**
   * The window (epoch ms, inclusive) in which both the leaf and the root that issued it are valid:
   * the same leaf against the same bundles verifies for any `now` inside it and for none outside,
   * which is what lets `X509SvidVerifier` reuse a verdict without weakening the time check.
   */
  validFromMs: number;
  validUntilMs: number;
}

/**
 * Reads the SPIFFE ID of an X509-SVID: the X509-SVID spec requires exactly one URI SAN, holding a
 * valid SPIFFE ID. Throws `InvalidArgumentError` otherwise. This does not verify anything: use
 * `verifyX509Svid` before trusting the result.
 */
export function spiffeIdOfCertificate(cert: X509Certificate): SpiffeId {
  let facts: CertificateFacts;
  try {
    facts = certificateFacts(cert);
  } catch (error) {
    throw new InvalidArgumentError(`cannot parse certificate: ${errorMessage(error)}`);
  }
  if (typeof facts.spiffeId === 'string') throw new InvalidArgumentError(facts.spiffeId);
  return facts.spiffeId;
}

/**
 * Verifies a leaf X509-SVID against the bundle of the leaf's *own* trust domain: the leaf must be
 * issued and signed by one of that trust domain's roots, be within its validity period at `now`
 * (as must the root), and not be a CA. Intermediates are not supported: Accord zone PKIs sign
 * leaves with their root. Throws `UnauthenticatedError` naming the reason.
 */
export function verifyX509Svid(leaf: X509Certificate, bundles: TrustBundleSet, now: Date): VerifiedSvid {
  const factsOf = (cert: X509Certificate): CertificateFacts => {
    try {
      return certificateFacts(cert);
    } catch (error) {
      return reject(`cannot parse certificate: ${errorMessage(error)}`);
    }
  };
  const facts = factsOf(leaf);
  if (typeof facts.spiffeId === 'string') reject(facts.spiffeId);
  const { spiffeId } = facts;
  if (facts.isCa) reject('the certificate is a CA');
  if (facts.hasCaKeyUsage) reject('a leaf must not have the keyCertSign or cRLSign key usage');
  if (!isWithinValidity(facts, now)) reject('the certificate is not within its validity period');
  const roots = bundles.get(spiffeId.trustDomain);
  if (roots === undefined || roots.length === 0)
    reject(`no trust bundle for trust domain ${spiffeId.trustDomain}`);
  const issuer = roots.find((root) => isCertificateIssuedBy(leaf, root));
  if (issuer === undefined) reject(`not signed by a root of trust domain ${spiffeId.trustDomain}`);
  const issuerFacts = factsOf(issuer);
  if (!isWithinValidity(issuerFacts, now)) {
    reject('the issuing root is not within its validity period');
  }
  return {
    spiffeId,
    certificate: leaf,
    validFromMs: Math.max(facts.notBeforeMs, issuerFacts.notBeforeMs),
    validUntilMs: Math.min(facts.notAfterMs, issuerFacts.notAfterMs),
  };
}

/** What verification reads from a certificate's DER; `spiffeId` is the reason it has none. */
interface CertificateFacts {
  readonly spiffeId: SpiffeId | string;
  /** basicConstraints cA=TRUE. */
  readonly isCa: boolean;
  /** keyCertSign or cRLSign, which a leaf must not have. */
  readonly hasCaKeyUsage: boolean;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

/** Enough for every peer of a busy server; the oldest entry goes first. */
const certificateFactsCacheSize = 4096;
const certificateFactsByFingerprint = new Map<string, CertificateFacts>();

/**
 * The facts of a certificate, memoized by its SHA-256 fingerprint. Parsing with @peculiar/x509
 * costs milliseconds and every RPC verifies its caller, while the facts depend on the DER alone;
 * the signature and the validity against `now` are still checked on every call.
 */
function certificateFacts(cert: X509Certificate): CertificateFacts {
  const fingerprint = cert.fingerprint256;
  const cached = certificateFactsByFingerprint.get(fingerprint);
  if (cached !== undefined) return cached;
  const facts = parseCertificateFacts(cert);
  makeRoomForOne(certificateFactsByFingerprint, certificateFactsCacheSize);
  certificateFactsByFingerprint.set(fingerprint, facts);
  return facts;
}

function parseCertificateFacts(cert: X509Certificate): CertificateFacts {
  const parsed = new x509.X509Certificate(cert.raw);
  const keyUsage = parsed.getExtension(x509.KeyUsagesExtension);
  return {
    spiffeId: spiffeIdOrReason(parsed),
    // Read basicConstraints directly: node's `ca` also looks at keyUsage and says false for a cert
    // with cA=TRUE but no keyCertSign, which a verifier must still refuse as a leaf.
    isCa: parsed.getExtension(x509.BasicConstraintsExtension)?.ca === true,
    hasCaKeyUsage:
      keyUsage !== null &&
      (keyUsage.usages & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)) !== 0,
    notBeforeMs: parsed.notBefore.getTime(),
    notAfterMs: parsed.notAfter.getTime(),
  };
}

function spiffeIdOrReason(parsed: x509.X509Certificate): SpiffeId | string {
  const sanExtensions = parsed.extensions.filter((extension) => extension.type === subjectAltNameOid);
  if (sanExtensions.length !== 1) {
    return `certificate must have exactly one subjectAltName extension, found ${sanExtensions.length}`;
  }
  const san = new x509.SubjectAlternativeNameExtension(sanExtensions[0]?.rawData ?? new ArrayBuffer(0));
  const uris = san.names.items.filter((name) => name.type === 'url');
  if (uris.length !== 1 || uris[0] === undefined) {
    return `certificate must have exactly one URI SAN, found ${uris.length}`;
  }
  try {
    return parseSpiffeId(uris[0].value);
  } catch (error) {
    return errorMessage(error);
  }
}

function reject(reason: string): never {
  throw new UnauthenticatedError(`X509-SVID rejected: ${reason}`);
}

function isWithinValidity(facts: CertificateFacts, now: Date): boolean {
  return facts.notBeforeMs <= now.getTime() && now.getTime() <= facts.notAfterMs;
}
