import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../lib/errors/accord-error.js';
import type { TrustBundleSet } from '../lib/spiffe/x509-svid.js';
import { pemToDerList } from '../lib/x509/pem.js';
import { trustDomainOfPemFile } from '../lib/bundle/bundle-file-names.js';

/** A bundle file that could not be read; its zone is left out rather than half-trusted. */
export interface UnreadableBundle {
  fileName: string;
  reason: string;
}

export interface TrustBundleDirectory {
  bundles: TrustBundleSet;
  unreadable: UnreadableBundle[];
}

/**
 * Reads the per-trust-domain root files a contract provider writes (`<trust-domain>.pem`, see
 * docs/provider.md) into bundles kept apart per trust domain. A missing directory means no
 * partner is trusted yet. Read at the moment of use, so a provider's update applies at once.
 */
export async function readTrustBundleDirectory(directory: string): Promise<TrustBundleDirectory> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { bundles: new Map(), unreadable: [] };
    throw error;
  }
  const bundles = new Map<string, X509Certificate[]>();
  const unreadable: UnreadableBundle[] = [];
  for (const fileName of names.sort()) {
    const trustDomain = trustDomainOfPemFile(fileName);
    if (trustDomain === undefined) continue;
    try {
      const pem = await readFile(join(directory, fileName), 'utf8');
      bundles.set(
        trustDomain,
        pemToDerList(pem).map((der) => new X509Certificate(der)),
      );
    } catch (error) {
      unreadable.push({ fileName, reason: errorMessage(error) });
    }
  }
  return { bundles, unreadable };
}
