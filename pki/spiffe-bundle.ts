import { renderSpiffeBundle, type SpiffeBundleDocument } from '../lib/spiffe/spiffe-bundle.js';

/** The zone's SPIFFE bundle document (JWKS) as served by a SPIFFE bundle endpoint. */
export interface ZoneSpiffeBundleDocument extends SpiffeBundleDocument {
  spiffe_refresh_hint: number;
}

/** What goes into a zone's bundle. */
export interface SpiffeBundleContents {
  /** The signing root first, then retired roots still in the bundle. */
  rootCertificatePems: readonly string[];
  sequence: number;
  refreshHintSeconds: number;
}

/**
 * Builds the zone's SPIFFE bundle per the SPIFFE Trust Domain and Bundle spec: per root, an
 * `x509-svid` key with `x5c` (so X.509 verifiers get certificates, not bare keys) and a `wit-svid`
 * key with `kid` (the zone signs its WITs with its signing root). It is the same document, but for
 * the refresh hint, that other zones' providers write from the roots a contract pins.
 */
export function buildSpiffeBundle(contents: SpiffeBundleContents): ZoneSpiffeBundleDocument {
  return {
    ...renderSpiffeBundle(contents.rootCertificatePems, contents.sequence),
    spiffe_refresh_hint: contents.refreshHintSeconds,
  };
}
