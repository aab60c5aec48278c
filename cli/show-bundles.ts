import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { trustDomainOfPemFile } from '../lib/bundle/bundle-file-names.js';
import { UsageError } from '../lib/cli/command-line.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { pemToDerList } from '../lib/x509/pem.js';
import type { CliEnvironment } from './cli-environment.js';

/** One root of one trusted zone, as installed by a provider. */
export interface BundleRootView {
  trustDomain: string;
  sha256: string;
  subject: string;
  notAfter: string;
}

/**
 * Lists the roots a provider installed in `directory` (its `<trust-domain>.pem` files), so an
 * operator can check which zones this zone trusts right now, without a repository.
 */
export async function readBundles(env: CliEnvironment, directory: string): Promise<BundleRootView[]> {
  let names: string[];
  try {
    names = await env.listDirectory(directory);
  } catch (error) {
    throw new UsageError(`cannot read ${directory}: ${errorMessage(error)}`);
  }
  const rows: BundleRootView[] = [];
  for (const name of names.sort()) {
    const trustDomain = trustDomainOfPemFile(name);
    if (trustDomain === undefined) continue;
    rows.push(...bundleRootViews(trustDomain, await env.readFile(join(directory, name))));
  }
  return rows;
}

/** The roots of one trusted zone's PEM bundle as `bundle show` (and the console) list them. */
export function bundleRootViews(trustDomain: string, pem: string): BundleRootView[] {
  return pemToDerList(pem).map((der) => {
    const certificate = new X509Certificate(der);
    return {
      trustDomain,
      sha256: sha256Hex(der),
      subject: certificate.subject.replace(/\n/g, ', '),
      notAfter: new Date(certificate.validTo).toISOString(),
    };
  });
}
