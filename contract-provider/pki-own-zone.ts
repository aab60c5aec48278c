import type { GrpcClient } from '../lib/grpc/grpc-client.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { pemToDerList } from '../lib/x509/pem.js';
import type { PkiService } from '../proto/gen/accord/pki/v1/pki_pb.js';
import type { OwnZone } from './desired-bundles.js';

/**
 * Reads this zone's trust domain and actual roots from its own PKI (GetCA). The provider checks
 * that a contract names *these* roots for our zone, so a contract about an impostor of our trust
 * domain is never taken as ours.
 */
export async function loadOwnZoneFromPki(client: GrpcClient<typeof PkiService>): Promise<OwnZone> {
  const response = await client.getCA({});
  const rootSha256s = new Set(
    response.rootCertificates.flatMap((pem) => pemToDerList(pem).map((der) => sha256Hex(der))),
  );
  return { trustDomain: response.trustDomain, rootSha256s };
}
