import {
  isInnerList,
  parseDictionary,
  serializeInnerList,
  type Dictionary,
  type InnerList,
} from 'structured-headers';
import { checkContentDigest } from './content-digest.js';
import { quoteUntrusted } from '../lib/errors/quote-untrusted.js';
import { hasBody, type HttpRequestMessage } from './http-message.js';
import { verifySignatureBase } from './http-signature-algorithm.js';
import type { NonceCache } from './nonce-cache.js';
import { buildSignatureBase } from './signature-base.js';
import { reject } from './translator-rejection.js';
import { verifyWit, type VerifiedWit, type WitVerification } from './verify-wit.js';
import {
  forbiddenSignatureParameters,
  requiredComponents,
  signResponseParameter,
  wimseSignatureLabel,
  wimseTag,
  workloadIdentityTokenHeader,
} from './wimse-profile.js';

/** The inbound translator's policy for one listener. */
export interface SignedRequestVerification extends WitVerification {
  /** The `wimse-aud` values that name this service; anything else is another service's request. */
  expectedAudiences: readonly string[];
  nonceCache: NonceCache;
  /** Longest `expires - created` accepted; bounds how long a captured request could be replayed. */
  maxSignatureLifetimeSeconds: number;
  /** Headers that must be covered whenever present (Accord's user-identity header). */
  identityHeaders?: readonly string[];
}

/** A request whose caller is proven: the verified WIT plus what its signature bound. */
export interface VerifiedRequest {
  wit: VerifiedWit;
  audience: string;
  nonce: string;
  signatureExpiresAt: Date;
  coveredComponents: string[];
  /**
   * The signature carries `wimse-sign-response` true: the client will reject an unsigned
   * response, so the server must sign it or refuse the request.
   */
  isSignedResponseRequired: boolean;
}

interface ProfileParameters {
  createdSeconds: number;
  expiresSeconds: number;
  nonce: string;
  audience: string;
  isSignedResponseRequired: boolean;
}

/**
 * Verifies an inbound request signed in the WIMSE profile, in the order the profile demands and
 * cheapest refusal first: the WIT (against the bundle of its own trust domain), then the shape of
 * the signature (label, components, parameters), its time window and audience, the body's
 * `Content-Digest`, the signature itself with the WIT's `cnf` key, and last the nonce, so only
 * authentic requests can occupy the replay cache. Throws a `TranslatorRejection` with a stable
 * reason; resolves only when everything holds.
 */
export async function verifySignedRequest(
  request: HttpRequestMessage,
  verification: SignedRequestVerification,
): Promise<VerifiedRequest> {
  const token = request.headers[workloadIdentityTokenHeader];
  if (token === undefined) return reject('wit_missing', 'the request has no Workload-Identity-Token');
  const wit = await verifyWit(token.trim(), verification);

  const { label, member } = signatureInputMember(request);
  const signature = signatureBytes(request, label);
  const covered = coveredComponents(member);
  const parameters = profileParameters(member);
  checkTimeWindow(parameters, verification);
  if (!verification.expectedAudiences.includes(parameters.audience))
    reject(
      'audience_mismatch',
      `wimse-aud ${quoteUntrusted(parameters.audience)} does not name this service`,
    );

  checkBodyDigest(request);
  const required = requiredComponents(request, verification.identityHeaders ?? []);
  const uncovered = required.filter((name) => !covered.includes(name));
  if (uncovered.length > 0)
    reject('signature_component_missing', `the signature does not cover ${uncovered.join(', ')}`);

  const base = buildSignatureBase(request, covered, serializeInnerList(member));
  if (!verifySignatureBase(wit.confirmationAlgorithm, wit.confirmationKey, base, signature))
    reject('signature_mismatch', 'the signature does not verify with the WIT confirmation key');

  const rememberUntil = new Date((parameters.expiresSeconds + verification.clockSkewSeconds) * 1000);
  const admission = verification.nonceCache.admit(`${wit.workload.uri} ${parameters.nonce}`, rememberUntil);
  if (admission === 'replayed') reject('nonce_replayed', 'the nonce was already used by this workload');
  if (admission === 'full') reject('nonce_cache_full', 'the replay cache is full');
  return {
    wit,
    audience: parameters.audience,
    nonce: parameters.nonce,
    signatureExpiresAt: new Date(parameters.expiresSeconds * 1000),
    coveredComponents: covered,
    isSignedResponseRequired: parameters.isSignedResponseRequired,
  };
}

function parseField(request: HttpRequestMessage, name: string): Dictionary {
  const value = request.headers[name];
  if (value === undefined) return reject('signature_missing', `the request has no ${name}`);
  try {
    return parseDictionary(value);
  } catch (error) {
    return reject('signature_malformed', `${name} is not a structured dictionary`, error);
  }
}

/** The profile signature: labelled `wimse`, or the only one present. */
function signatureInputMember(request: HttpRequestMessage): { label: string; member: InnerList } {
  const inputs = parseField(request, 'signature-input');
  const label = inputs.has(wimseSignatureLabel)
    ? wimseSignatureLabel
    : inputs.size === 1
      ? [...inputs.keys()][0]
      : undefined;
  const member = label === undefined ? undefined : inputs.get(label);
  if (label === undefined || member === undefined)
    return reject('signature_missing', 'no signature is labelled wimse and there is not exactly one');
  if (!isInnerList(member))
    return reject('signature_malformed', 'Signature-Input member is not an inner list');
  return { label, member };
}

function signatureBytes(request: HttpRequestMessage, label: string): Uint8Array {
  const member = parseField(request, 'signature').get(label);
  if (member === undefined) return reject('signature_missing', `Signature has no member ${label}`);
  if (isInnerList(member) || !(member[0] instanceof ArrayBuffer))
    return reject('signature_malformed', 'Signature member is not a byte sequence');
  return new Uint8Array(member[0]);
}

/** Covered component identifiers: plain strings only (component parameters are not used here). */
function coveredComponents(member: InnerList): string[] {
  return member[0].map(([name, parameters]) => {
    if (typeof name !== 'string' || parameters.size > 0)
      return reject('signature_malformed', 'a covered component is not a plain string identifier');
    return name;
  });
}

function profileParameters(member: InnerList): ProfileParameters {
  // Bare items include `BufferSource`, a DOM type this Node-only build does not know.
  const parameters = member[1] as ReadonlyMap<string, unknown>;
  for (const name of forbiddenSignatureParameters)
    if (parameters.has(name)) reject('signature_param_forbidden', `the signature carries ${name}`);
  const integer = (name: string): number => {
    const value = parameters.get(name);
    if (value === undefined) return reject('signature_param_missing', `the signature has no ${name}`);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      return reject('signature_malformed', `${name} is not a non-negative integer`);
    return value;
  };
  const text = (name: string): string => {
    const value = parameters.get(name);
    if (value === undefined) return reject('signature_param_missing', `the signature has no ${name}`);
    if (typeof value !== 'string' || value === '')
      return reject('signature_malformed', `${name} is not a string`);
    return value;
  };
  if (text('tag') !== wimseTag) reject('signature_bad_tag', `tag is not ${wimseTag}`);
  const signResponse = parameters.get(signResponseParameter) ?? false;
  if (typeof signResponse !== 'boolean')
    reject('signature_malformed', `${signResponseParameter} is not a Boolean`);
  return {
    isSignedResponseRequired: signResponse,
    createdSeconds: integer('created'),
    expiresSeconds: integer('expires'),
    nonce: text('nonce'),
    audience: text('wimse-aud'),
  };
}

function checkTimeWindow(parameters: ProfileParameters, verification: SignedRequestVerification): void {
  const nowSeconds = verification.clock.now().getTime() / 1000;
  const skew = verification.clockSkewSeconds;
  if (parameters.expiresSeconds <= parameters.createdSeconds)
    reject('signature_malformed', 'expires is not after created');
  if (parameters.expiresSeconds - parameters.createdSeconds > verification.maxSignatureLifetimeSeconds)
    reject('signature_lifetime_too_long', 'the signature is valid for longer than allowed');
  if (parameters.createdSeconds > nowSeconds + skew)
    reject('signature_not_yet_valid', 'created is in the future');
  if (parameters.expiresSeconds + skew < nowSeconds) reject('signature_expired', 'the signature has expired');
}

/** A body needs a `Content-Digest` that matches it; a digest on an empty body must match too. */
function checkBodyDigest(request: HttpRequestMessage): void {
  const field = request.headers['content-digest'];
  if (field === undefined) {
    if (hasBody(request)) reject('digest_missing', 'the request has a body but no Content-Digest');
    return;
  }
  const outcome = checkContentDigest(field, request.body ?? new Uint8Array());
  if (outcome === 'mismatch') reject('digest_mismatch', 'Content-Digest does not match the body');
  if (outcome === 'unsupported') reject('digest_missing', 'Content-Digest has no sha-256 or sha-512 digest');
  if (outcome === 'malformed') reject('digest_mismatch', 'Content-Digest is malformed');
}
