import 'reflect-metadata';
import type { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { InvalidArgumentError, UnauthenticatedError, errorMessage } from '../errors/accord-error.js';
import { parseSpiffeId, type SpiffeId } from './spiffe-id.js';

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
}

/**
 * Reads the SPIFFE ID of an X509-SVID: the X509-SVID spec requires exactly one URI SAN, holding a
 * valid SPIFFE ID. Throws `InvalidArgumentError` otherwise. This does not verify anything: use
 * `verifyX509Svid` before trusting the result.
 */
export function spiffeIdOfCertificate(cert: X509Certificate): SpiffeId {
  const parsed = new x509.X509Certificate(cert.raw);
  const sanExtensions = parsed.extensions.filter((extension) => extension.type === subjectAltNameOid);
  if (sanExtensions.length !== 1) {
    throw new InvalidArgumentError(
      `certificate must have exactly one subjectAltName extension, found ${sanExtensions.length}`,
    );
  }
  const san = new x509.SubjectAlternativeNameExtension(sanExtensions[0]?.rawData ?? new ArrayBuffer(0));
  const uris = san.names.items.filter((name) => name.type === 'url');
  if (uris.length !== 1 || uris[0] === undefined) {
    throw new InvalidArgumentError(`certificate must have exactly one URI SAN, found ${uris.length}`);
  }
  return parseSpiffeId(uris[0].value);
}

/**
 * Verifies a leaf X509-SVID against the bundle of the leaf's *own* trust domain: the leaf must be
 * issued and signed by one of that trust domain's roots, be within its validity period at `now`
 * (as must the root), and not be a CA. Intermediates are not supported: Accord zone PKIs sign
 * leaves with their root. Throws `UnauthenticatedError` naming the reason.
 */
export function verifyX509Svid(leaf: X509Certificate, bundles: TrustBundleSet, now: Date): VerifiedSvid {
  let spiffeId: SpiffeId;
  try {
    spiffeId = spiffeIdOfCertificate(leaf);
  } catch (error) {
    return reject(errorMessage(error));
  }
  const parsed = new x509.X509Certificate(leaf.raw);
  // Read basicConstraints directly: node's `ca` also looks at keyUsage and says false for a cert
  // with cA=TRUE but no keyCertSign, which a verifier must still refuse as a leaf.
  if (parsed.getExtension(x509.BasicConstraintsExtension)?.ca === true) reject('the certificate is a CA');
  const keyUsage = parsed.getExtension(x509.KeyUsagesExtension);
  if (
    keyUsage !== null &&
    (keyUsage.usages & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)) !== 0
  ) {
    reject('a leaf must not have the keyCertSign or cRLSign key usage');
  }
  if (!isWithinValidity(parsed, now)) reject('the certificate is not within its validity period');
  const roots = bundles.get(spiffeId.trustDomain);
  if (roots === undefined || roots.length === 0)
    reject(`no trust bundle for trust domain ${spiffeId.trustDomain}`);
  const issuer = roots.find((root) => leaf.checkIssued(root) && leaf.verify(root.publicKey));
  if (issuer === undefined) reject(`not signed by a root of trust domain ${spiffeId.trustDomain}`);
  if (!isWithinValidity(new x509.X509Certificate(issuer.raw), now)) {
    reject('the issuing root is not within its validity period');
  }
  return { spiffeId, certificate: leaf };
}

function reject(reason: string): never {
  throw new UnauthenticatedError(`X509-SVID rejected: ${reason}`);
}

function isWithinValidity(cert: x509.X509Certificate, now: Date): boolean {
  return cert.notBefore.getTime() <= now.getTime() && now.getTime() <= cert.notAfter.getTime();
}
