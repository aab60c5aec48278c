// The layout of a bundle directory (docs/provider.md), defined once so that the provider that
// writes it and every reader (`readTrustBundleDirectory`, `accordctl bundle show`) agree on it.
import { isValidTrustDomain } from '../spiffe/spiffe-id.js';

const pemSuffix = '.pem';
const spiffeSuffix = '.spiffe.json';

/** The SPIFFE bundle map (trust domain → bundle), written after every per-zone file. */
export const bundleMapFileName = 'bundle-map.json';

/** The file holding a zone's roots as PEM, for Envoy and Node TLS. */
export function trustBundlePemFileName(trustDomain: string): string {
  return `${trustDomain}${pemSuffix}`;
}

/** The file holding a zone's SPIFFE bundle (JWKS). */
export function spiffeBundleFileName(trustDomain: string): string {
  return `${trustDomain}${spiffeSuffix}`;
}

/**
 * Whether a file of a bundle directory is one the provider owns: only these are ever replaced or
 * removed. Hidden files (including `writeFileAtomic`'s temporaries) are never touched.
 */
export function isBundleFileName(name: string): boolean {
  if (name.startsWith('.')) return false;
  return name === bundleMapFileName || name.endsWith(spiffeSuffix) || name.endsWith(pemSuffix);
}

/** The trust domain a per-zone bundle file (PEM or SPIFFE bundle) belongs to, or `undefined` for the bundle map. */
export function trustDomainOfBundleFile(name: string): string | undefined {
  if (name.endsWith(spiffeSuffix)) return name.slice(0, -spiffeSuffix.length);
  if (name.endsWith(pemSuffix)) return name.slice(0, -pemSuffix.length);
  return undefined;
}

/** The trust domain a bundle directory entry holds PEM roots for, or undefined for any other file. */
export function trustDomainOfPemFile(fileName: string): string | undefined {
  if (fileName.startsWith('.') || !fileName.endsWith(pemSuffix)) return undefined;
  const trustDomain = fileName.slice(0, -pemSuffix.length);
  return isValidTrustDomain(trustDomain) ? trustDomain : undefined;
}
