import { consentTimestampFromProto } from '../contract/contract-codec.js';
import type { ConsentTimestamper } from '../contract/consent-timestamp.js';
import type { ConsentSigner } from '../contract/zone-approvers.js';
import type { GrpcClient } from '../grpc/grpc-client.js';
import { pemToDerList } from '../x509/pem.js';
import { keyPairFromPrivateKeyPem } from '../x509/private-key-pem.js';
import type { PkiService } from '../../proto/gen/accord/pki/v1/pki_pb.js';

/**
 * The zone PKI's `TimestampConsent` as a `ConsentTimestamper`. `pki` must present the approver's
 * own SVID (mTLS): the PKI timestamps only for its zone's designated approvers. What it returns is
 * verified by the signer's self-check (`signApproval`), so a fake PKI gains nothing.
 */
export function pkiConsentTimestamper(
  pki: Pick<GrpcClient<typeof PkiService>, 'timestampConsent'>,
): ConsentTimestamper {
  return async (signatureSha256) =>
    consentTimestampFromProto(await pki.timestampConsent({ signatureSha256 }), 'TimestampConsent response');
}

/**
 * A designated approver's consent signer from its SVID as PEM (certificate chain, leaf first, and
 * PKCS#8 key): the one way accordctl, the operator and the demo build it.
 */
export async function consentSignerFromPem(
  svid: { readonly certificatePem: string; readonly privateKeyPem: string },
  timestamp: ConsentTimestamper,
): Promise<ConsentSigner> {
  const { privateKey } = await keyPairFromPrivateKeyPem(svid.privateKeyPem);
  return { privateKey, certificateChainDer: pemToDerList(svid.certificatePem), timestamp };
}
