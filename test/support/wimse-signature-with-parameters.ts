import { randomUUID, type KeyObject } from 'node:crypto';
import type { BareItem } from 'structured-headers';
import { contentDigest } from '../../translator/content-digest.js';
import { hasBody, type HttpRequestMessage } from '../../translator/http-message.js';
import {
  httpSignatureAlgorithmForKey,
  signSignatureBase,
} from '../../translator/http-signature-algorithm.js';
import { buildSignatureBase, serializeSignatureParams } from '../../translator/signature-base.js';
import {
  requiredComponents,
  wimseSignatureLabel,
  wimseTag,
  workloadIdentityTokenHeader,
} from '../../translator/wimse-profile.js';

/** What a client that is not Accord's outbound translator signs with. */
export interface ForeignSigner {
  wit: string;
  privateKey: KeyObject;
  createdSeconds: number;
  lifetimeSeconds: number;
  audience: string;
  /** Further signature parameters, e.g. `wimse-sign-response: true`, after the profile's own. */
  extraParameters: ReadonlyMap<string, BareItem>;
}

/**
 * Signs `request` in the WIMSE profile as another client would, with signature parameters
 * Accord's own signer never sets (such as `wimse-sign-response`); returns the request with the
 * WIT, Content-Digest and signature headers added. Test support: it composes the product's
 * signature-base functions, so the signature is one the translator can verify.
 */
export function signedWithParameters(
  request: HttpRequestMessage,
  signer: ForeignSigner,
  identityHeaders: readonly string[] = ['accord-user'],
): HttpRequestMessage {
  const headers: Record<string, string> = { ...request.headers, [workloadIdentityTokenHeader]: signer.wit };
  if (hasBody(request)) headers['content-digest'] = contentDigest(request.body ?? new Uint8Array());
  const message: HttpRequestMessage = { ...request, headers };
  const components = requiredComponents(message, identityHeaders);
  const parameters = new Map<string, BareItem>([
    ['created', signer.createdSeconds],
    ['expires', signer.createdSeconds + signer.lifetimeSeconds],
    ['nonce', randomUUID()],
    ['tag', wimseTag],
    ['wimse-aud', signer.audience],
    ...signer.extraParameters,
  ]);
  const signatureParams = serializeSignatureParams(components, parameters);
  const algorithm = httpSignatureAlgorithmForKey(signer.privateKey);
  if (algorithm === undefined) throw new Error('unsupported workload key');
  const signature = signSignatureBase(
    algorithm,
    signer.privateKey,
    buildSignatureBase(message, components, signatureParams),
  );
  headers['signature-input'] = `${wimseSignatureLabel}=${signatureParams}`;
  headers.signature = `${wimseSignatureLabel}=:${Buffer.from(signature).toString('base64')}:`;
  return message;
}
