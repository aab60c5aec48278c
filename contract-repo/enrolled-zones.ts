import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PeerVerifier } from '../lib/grpc/grpc-server.js';
import type { Clock } from '../lib/time/clock.js';
import type { TrustBundleSet } from '../lib/spiffe/x509-svid.js';
import { X509SvidVerifier } from '../lib/spiffe/x509-svid-verifier.js';
import { pemToDerList } from '../lib/x509/pem.js';
import { errorMessage } from '../lib/errors/accord-error.js';

/** A zone allowed to call the repository: its trust domain and the file holding its root(s). */
export interface EnrolledZone {
  readonly trustDomain: string;
  readonly rootCaFile: string;
}

/** The enrolled roots, kept per trust domain, plus the PEMs offered to TLS clients. */
export interface EnrolledRoots {
  readonly bundles: TrustBundleSet;
  readonly clientCaPems: readonly string[];
}

/** Reads every enrolled zone's root file; a missing or malformed file names the zone. */
export async function loadEnrolledRoots(zones: readonly EnrolledZone[]): Promise<EnrolledRoots> {
  const bundles = new Map<string, X509Certificate[]>();
  const clientCaPems: string[] = [];
  for (const zone of zones) {
    let roots: X509Certificate[];
    try {
      roots = pemToDerList(await readFile(zone.rootCaFile, 'utf8')).map((der) => new X509Certificate(der));
    } catch (error) {
      throw new Error(
        `enrolled zone ${zone.trustDomain}: cannot read roots from ${zone.rootCaFile}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    bundles.set(zone.trustDomain, [...(bundles.get(zone.trustDomain) ?? []), ...roots]);
    clientCaPems.push(...roots.map((root) => root.toString()));
  }
  return { bundles, clientCaPems };
}

/**
 * Verifies client certificates per trust domain against the enrolled roots (read through
 * `current`, so reloaded roots apply to new calls); zones that are not enrolled cannot call.
 * Verdicts are remembered per certificate for the current roots object only (a reload drops them)
 * and the validity period is checked on every call.
 */
export function enrolledZonesVerifier(current: () => TrustBundleSet, clock: Clock): PeerVerifier {
  const verifier = new X509SvidVerifier();
  return (leafDer) => verifier.verify(leafDer, current(), clock.now());
}
