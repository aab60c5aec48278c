import { X509Certificate } from 'node:crypto';

/** One `x509-svid` JWK of a SPIFFE bundle: a root's public key with the root itself in `x5c`. */
export interface SpiffeBundleKey {
  kty: string;
  use: 'x509-svid';
  x5c: [string];
  [parameter: string]: unknown;
}

/**
 * A SPIFFE bundle document (SPIFFE Trust Domain and Bundle spec, §4): a JWK set whose
 * `x509-svid` keys carry the trust domain's roots. It is the format SPIFFE libraries load per
 * trust domain: the PKI serves its zone's (adding a `wit-svid` key) and the provider writes one
 * per trusted zone instead of a merged pool.
 */
export interface SpiffeBundleDocument {
  keys: SpiffeBundleKey[];
  spiffe_sequence: number;
}

/**
 * A root (PEM, one certificate) as an `x509-svid` key: its public key as a JWK (`kty`, `crv`,
 * `x`, `y` for EC) plus `use: x509-svid` and the DER in `x5c`, so X.509 verifiers get
 * certificates, not bare keys.
 */
export function x509SvidBundleKey(rootPem: string): SpiffeBundleKey {
  const certificate = new X509Certificate(rootPem);
  const jwk = certificate.publicKey.export({ format: 'jwk' });
  return { ...jwk, kty: String(jwk.kty), use: 'x509-svid', x5c: [certificate.raw.toString('base64')] };
}

/** Renders roots (PEM, one certificate each) as a SPIFFE bundle with one `x509-svid` key per root. */
export function renderSpiffeBundle(rootsPem: readonly string[], sequence: number): SpiffeBundleDocument {
  return { keys: rootsPem.map(x509SvidBundleKey), spiffe_sequence: sequence };
}

/** The DER roots (base64) a bundle document carries, in document order. */
export function spiffeBundleRoots(document: SpiffeBundleDocument): string[] {
  return document.keys.map((key) => key.x5c[0]);
}

/**
 * Reads a bundle document written earlier, or `undefined` when it is not one (a half-edited or
 * foreign file is treated as absent and rewritten, never trusted).
 */
export function parseSpiffeBundle(text: string): SpiffeBundleDocument | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { keys, spiffe_sequence: sequence } = value as Record<string, unknown>;
  if (!Array.isArray(keys) || typeof sequence !== 'number' || !Number.isSafeInteger(sequence))
    return undefined;
  const isWellFormed = keys.every((key: unknown) => {
    if (typeof key !== 'object' || key === null) return false;
    const { use, x5c, kty } = key as Record<string, unknown>;
    return (
      use === 'x509-svid' &&
      typeof kty === 'string' &&
      Array.isArray(x5c) &&
      x5c.length === 1 &&
      typeof x5c[0] === 'string'
    );
  });
  return isWellFormed ? (value as SpiffeBundleDocument) : undefined;
}
