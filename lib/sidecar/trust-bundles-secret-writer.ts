import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { trustDomainOfPemFile } from '../bundle/bundle-file-names.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { renderEnvoyYaml } from './render-envoy-yaml.js';
import { trustBundlesSecretFile } from './sds-secret-files.js';
import { secretFileName, trustBundlesSecretName } from './sidecar-secret-names.js';

/**
 * Reads the provider's per-zone PEM files (`<trust-domain>.pem`, lib/bundle/bundle-file-names.ts)
 * from a bundle directory: trust domain → PEM roots.
 */
export async function readTrustBundlePems(bundleDirectory: string): Promise<Map<string, string>> {
  const bundles = new Map<string, string>();
  for (const name of (await readdir(bundleDirectory)).sort()) {
    const trustDomain = trustDomainOfPemFile(name);
    if (trustDomain !== undefined)
      bundles.set(trustDomain, await readFile(join(bundleDirectory, name), 'utf8'));
  }
  return bundles;
}

/**
 * Turns the provider's bundle directory into Envoy's trust-bundles SDS file in `secretsDirectory`,
 * replacing it atomically (a rename, which is the move event Envoy's watched directory reacts to)
 * and only when its content changes, so a steady state causes no reload. Returns whether it wrote.
 *
 * @param ownZone the local zone's roots, trusted whatever the directory holds (the provider writes
 *   partner zones only); it also keeps the validator valid while no contract is active
 */
export async function writeTrustBundlesSecret(
  bundleDirectory: string,
  secretsDirectory: string,
  ownZone?: { trustDomain: string; rootsPem: string },
): Promise<boolean> {
  const bundles = await readTrustBundlePems(bundleDirectory);
  if (ownZone !== undefined) bundles.set(ownZone.trustDomain, ownZone.rootsPem);
  const content = renderEnvoyYaml(trustBundlesSecretFile(bundles));
  const path = join(secretsDirectory, secretFileName(trustBundlesSecretName));
  const installed = await readFile(path, 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  if (installed === content) return false;
  await writeFileAtomic(path, content);
  return true;
}
