import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { registerService, type RegisteredService } from '../lib/grpc/grpc-server.js';
import { PkiService } from '../proto/gen/accord/pki/v1/pki_pb.js';
import type { Authenticator } from './authenticator.js';
import type { PkiAuthority } from './pki-authority.js';

/**
 * The `accord.pki.v1.PkiService` adapter: decodes requests, authenticates the caller through the
 * `Authenticator`, calls the `PkiAuthority` and encodes the result. Errors are domain errors that
 * lib/grpc maps to status codes.
 */
export function createPkiService(authority: PkiAuthority, authenticator: Authenticator): RegisteredService {
  return registerService(PkiService, {
    getCA: () => {
      const ca = authority.getCa();
      return Promise.resolve({
        trustDomain: ca.trustDomain,
        rootCertificates: ca.rootCertificatePems,
        activeRootHash: ca.activeRootHash,
      });
    },
    getBundle: async () => {
      const bundle = await authority.getBundle();
      return {
        trustDomain: bundle.trustDomain,
        bundleJson: bundle.bundleJson,
        sequence: BigInt(bundle.sequence),
      };
    },
    signCSR: async (request, context) => {
      const caller = await authenticator.authenticate({
        peer: context.peer,
        bearerToken: context.bearerToken,
      });
      const issued = await authority.signCsr(caller, request.csr, request.ttlSeconds);
      return {
        spiffeId: issued.spiffeId.uri,
        certificate: issued.certificatePem,
        rootCertificates: issued.rootCertificatePems,
        expiresAt: timestampFromDate(issued.notAfter),
      };
    },
    issueWIT: async (request, context) => {
      const wit = await authority.issueWit(context.peer, request.ttlSeconds);
      return { token: wit.token, expiresAt: timestampFromDate(wit.expiresAt) };
    },
  });
}
