/**
 * One root of the zone, with its key. The first root of `CaState.roots` signs; the others are
 * retired and stay in the bundle only until `removeFromBundleAfter`, the last instant a certificate
 * they signed can still be valid.
 */
export interface StoredRoot {
  certificatePem: string;
  privateKeyPem: string;
  /** ISO 8601; absent on the signing root. */
  removeFromBundleAfter?: string;
}

/**
 * Everything the zone PKI persists. It is small, changes only on creation and rotation, and is
 * replaced as a whole with compare-and-swap on `version`, so a file or a Kubernetes Secret can hold it.
 */
export interface CaState {
  /** Increments on every write; the compare-and-swap token. */
  version: number;
  /** The bundle's `spiffe_sequence` as of the last write (see `bundleSequence`). */
  sequence: number;
  /** Signing root first; it also signs the zone's WITs. */
  roots: StoredRoot[];
}
