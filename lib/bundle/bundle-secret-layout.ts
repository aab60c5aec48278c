// The layout of the bundle Secrets (docs/provider.md, "Output layout (Kubernetes Secrets)"), defined
// once so that the writer and anything reading the Secrets agree on names, keys and labels.
import { sha256Hex } from '../x509/fingerprint.js';

/**
 * The Secret holding the SPIFFE bundle map of every trusted zone (for SPIFFE libraries that load
 * one) and, under their file names, every zone's `<trust-domain>.pem` and `<trust-domain>.spiffe.json`:
 * mounted as a whole it is local mode's bundle directory, which injected translators read.
 */
export const bundleMapSecretName = 'accord-bundle-map';

/** Data keys of the bundle Secrets. */
export const bundleSecretKeys = {
  /** A zone's roots, PEM (the content of `<trust-domain>.pem` in local mode). */
  rootsPem: 'ca.pem',
  /** A zone's SPIFFE bundle (the content of `<trust-domain>.spiffe.json`). */
  spiffeBundle: 'bundle.spiffe.json',
  /** The SPIFFE bundle map, in `accord-bundle-map` only (the content of `bundle-map.json`, also its key). */
  bundleMap: 'bundle-map.json',
} as const;

/**
 * Labels of every bundle Secret. `accord.dev/trust-bundle` is the ownership mark: the provider
 * lists, replaces and deletes only Secrets carrying it, never any other Secret.
 */
export const bundleSecretLabels: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'accord',
  'app.kubernetes.io/component': 'trust-bundle',
  'accord.dev/trust-bundle': 'true',
};

/** The label selector matching exactly the Secrets the provider owns. */
export const bundleSecretSelector = 'accord.dev/trust-bundle=true';

/** Names the trust domain of a per-zone Secret; the name alone cannot (it is lossy and hashed). */
export const trustDomainAnnotation = 'accord.dev/trust-domain';

const zonePrefix = 'accord-bundle-';
const hashLength = 8;
/** A DNS-1123 label's limit: stricter than the 253 a Secret name may have, so the name fits anywhere. */
const maxNameLength = 63;

/**
 * The name of the Secret holding `trustDomain`'s bundle: `accord-bundle-<readable>-<hash>`, where
 * `<readable>` is the trust domain with every character other than `[a-z0-9-]` (dots, underscores)
 * turned into `-`, shortened so the name fits 63 characters, and `<hash>` the first 8 hex digits of
 * the trust domain's SHA-256. The hash is always there because the readable part is lossy
 * (`a.b`, `a_b` and `a-b` meet); it depends on this trust domain only, so a zone's Secret keeps its
 * name whichever other zones come and go. The result is a valid DNS-1123 label: it starts with
 * `a` and ends with a hex digit.
 */
export function bundleSecretName(trustDomain: string): string {
  const hash = sha256Hex(Buffer.from(trustDomain, 'utf8')).slice(0, hashLength);
  const readable = trustDomain
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, maxNameLength - zonePrefix.length - hashLength - 1);
  return `${zonePrefix}${readable}-${hash}`;
}
