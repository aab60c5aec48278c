import { makeRoomForOne } from '../cache/make-room.js';
import { createHash, X509Certificate } from 'node:crypto';

/** One `x509-svid` JWK of a SPIFFE bundle: a root's public key with the root itself in `x5c`. */
export interface X509SvidBundleKey {
  kty: string;
  use: 'x509-svid';
  x5c: [string];
  [parameter: string]: unknown;
}

/**
 * One `wit-svid` JWK of a SPIFFE bundle: a public key that verifies the zone's Workload Identity
 * Tokens, found by its `kid` (the RFC 7638 thumbprint), used only with its `alg`.
 */
export interface WitSvidBundleKey {
  kty: string;
  use: 'wit-svid';
  kid: string;
  alg: string;
  [parameter: string]: unknown;
}

export type SpiffeBundleKey = X509SvidBundleKey | WitSvidBundleKey;

/**
 * A SPIFFE bundle document (SPIFFE Trust Domain and Bundle spec, §4): a JWK set whose
 * `x509-svid` keys carry the trust domain's roots and whose `wit-svid` keys verify its WITs. It is
 * the format SPIFFE libraries load per trust domain: the PKI serves its zone's and the provider
 * writes one per trusted zone instead of a merged pool.
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
export function x509SvidBundleKey(rootPem: string): X509SvidBundleKey {
  const certificate = new X509Certificate(rootPem);
  const jwk = certificate.publicKey.export({ format: 'jwk' });
  return { ...jwk, kty: String(jwk.kty), use: 'x509-svid', x5c: [certificate.raw.toString('base64')] };
}

/**
 * A root (PEM, one EC P-256 certificate, as zone PKIs make them) as the `wit-svid` key its zone's
 * WITs are signed with. The zone PKI signs WITs with its signing root, so a partner verifies them
 * with nothing but the roots the trust contract pinned: the WIT key needs no channel of its own
 * and can never be trusted more widely than the root (docs/pki.md, "WIT signing").
 */
export function witSvidBundleKey(rootPem: string): WitSvidBundleKey {
  const { kty, crv, x, y } = new X509Certificate(rootPem).publicKey.export({ format: 'jwk' });
  if (kty !== 'EC' || crv !== 'P-256' || x === undefined || y === undefined)
    throw new Error('a zone root must have an EC P-256 key to sign WITs');
  return { kty, crv, x, y, use: 'wit-svid', kid: ecJwkThumbprint({ crv, kty, x, y }), alg: 'ES256' };
}

/** RFC 7638 thumbprint of an EC public JWK: SHA-256 over its required members in lexicographic order. */
function ecJwkThumbprint(members: { crv: string; kty: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv: members.crv, kty: members.kty, x: members.x, y: members.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * Renders roots (PEM, one certificate each) as a SPIFFE bundle: one `x509-svid` key per root, then
 * one `wit-svid` key per root (a retired root still verifies the WITs it signed until they expire).
 */
export function renderSpiffeBundle(rootsPem: readonly string[], sequence: number): SpiffeBundleDocument {
  const keys = rootsPem.map(rootBundleKeys);
  return {
    keys: [...keys.map(({ x509Svid }) => x509Svid), ...keys.map(({ witSvid }) => witSvid)],
    spiffe_sequence: sequence,
  };
}

/** Enough for every root of every partner a provider trusts; the oldest entry goes first. */
const maxRememberedRootKeys = 1024;
const rootKeysByPem = new Map<string, RootBundleKeys>();

interface RootBundleKeys {
  readonly x509Svid: X509SvidBundleKey;
  readonly witSvid: WitSvidBundleKey;
}

/**
 * Both keys of a root, memoized by its exact PEM text (they depend on nothing else) and frozen so
 * no document can change another's. A provider renders every partner's bundle at every sync and
 * parsing each root again was the largest share of its remaining CPU in bench root-rotation.
 */
function rootBundleKeys(rootPem: string): RootBundleKeys {
  const cached = rootKeysByPem.get(rootPem);
  if (cached !== undefined) return cached;
  const x509Svid = x509SvidBundleKey(rootPem);
  Object.freeze(x509Svid.x5c);
  const keys = Object.freeze({
    x509Svid: Object.freeze(x509Svid),
    witSvid: Object.freeze(witSvidBundleKey(rootPem)),
  });
  makeRoomForOne(rootKeysByPem, maxRememberedRootKeys);
  rootKeysByPem.set(rootPem, keys);
  return keys;
}

/** The DER roots (base64) a bundle document carries, in document order. */
export function spiffeBundleRoots(document: SpiffeBundleDocument): string[] {
  return document.keys.flatMap((key) => (key.use === 'x509-svid' ? [key.x5c[0]] : []));
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
    const { use, x5c, kty, kid, alg } = key as Record<string, unknown>;
    if (typeof kty !== 'string') return false;
    if (use === 'wit-svid') return typeof kid === 'string' && typeof alg === 'string';
    return use === 'x509-svid' && Array.isArray(x5c) && x5c.length === 1 && typeof x5c[0] === 'string';
  });
  return isWellFormed ? (value as SpiffeBundleDocument) : undefined;
}
