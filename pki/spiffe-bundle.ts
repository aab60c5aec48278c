import type { JWK } from 'jose';
import { x509SvidBundleKey, type SpiffeBundleKey } from '../lib/spiffe/spiffe-bundle.js';

/** The zone's SPIFFE bundle document (JWKS) as served by a SPIFFE bundle endpoint. */
export interface ZoneSpiffeBundleDocument {
  keys: (SpiffeBundleKey | JWK)[];
  spiffe_sequence: number;
  spiffe_refresh_hint: number;
}

/** What goes into a zone's bundle. */
export interface SpiffeBundleContents {
  rootCertificatePems: readonly string[];
  /** Public JWK of the WIT signing key (as `exportJWK` of a public key returns it). */
  witPublicJwk: JWK;
  witKeyId: string;
  sequence: number;
  refreshHintSeconds: number;
}

/**
 * Builds the zone's SPIFFE bundle per the SPIFFE Trust Domain and Bundle spec: one `x509-svid`
 * key with `x5c` per root (so X.509 verifiers get certificates, not bare keys) and one `wit-svid`
 * key with `kid` for WIT verification. Other zones' providers install exactly this document.
 */
export function buildSpiffeBundle(contents: SpiffeBundleContents): ZoneSpiffeBundleDocument {
  const x509Keys = contents.rootCertificatePems.map(x509SvidBundleKey);
  const witKey: JWK = { ...contents.witPublicJwk, use: 'wit-svid', kid: contents.witKeyId, alg: 'ES256' };
  return {
    keys: [...x509Keys, witKey],
    spiffe_sequence: contents.sequence,
    spiffe_refresh_hint: contents.refreshHintSeconds,
  };
}
