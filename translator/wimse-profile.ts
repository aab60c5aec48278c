import { hasBody, type HttpRequestMessage } from './http-message.js';

/**
 * The WIMSE workload-to-workload HTTP signature profile (draft-ietf-wimse-http-signature-08 §3)
 * as data, shared by the signing and the verifying side so the two can never disagree.
 */

/** The `tag` signature parameter every profile signature carries. */
export const wimseTag = 'wimse-workload-to-workload';

/** The signature label the profile recommends (`Signature-Input: wimse=(...)`). */
export const wimseSignatureLabel = 'wimse';

/** The header carrying the caller's WIT; it is always covered. */
export const workloadIdentityTokenHeader = 'workload-identity-token';

/** Derived components every request signature covers (§3). */
export const requiredDerivedComponents: readonly string[] = ['@method', '@request-target'];

/** Request headers the profile covers whenever the request has them (§3), WIT header first. */
export const coveredWhenPresentHeaders: readonly string[] = [
  workloadIdentityTokenHeader,
  'content-type',
  'content-digest',
  'authorization',
  'txn-token',
];

/**
 * The request signature parameter by which a client requires a signed response
 * (draft-ietf-wimse-http-signature, "Signing the Response"): a Boolean.
 */
export const signResponseParameter = 'wimse-sign-response';

/** Signature parameters that must not appear: the key and its algorithm come from the WIT (§3). */
export const forbiddenSignatureParameters: readonly string[] = ['keyid', 'alg'];

/**
 * The components a profile signature over `request` must cover, in the order Accord signs
 * them: the derived components, then every profile header present, then every present header of
 * `identityHeaders` (Accord's user-identity header, so an intermediary can neither change nor add
 * the user). Request bodies make `content-digest` mandatory; the caller adds that header first.
 */
export function requiredComponents(
  request: HttpRequestMessage,
  identityHeaders: readonly string[],
): string[] {
  const headers = [...coveredWhenPresentHeaders, ...identityHeaders.map((name) => name.toLowerCase())];
  const present = headers.filter(
    (name, index) => request.headers[name] !== undefined && headers.indexOf(name) === index,
  );
  if (hasBody(request) && !present.includes('content-digest')) present.push('content-digest');
  return [...requiredDerivedComponents, ...present];
}
