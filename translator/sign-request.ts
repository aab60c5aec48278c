import { createPublicKey, randomFillSync, type KeyObject } from 'node:crypto';
import type { Clock } from '../lib/time/clock.js';
import { contentDigest } from './content-digest.js';
import { hasBody, type HttpRequestMessage } from './http-message.js';
import {
  httpSignatureAlgorithmForKey,
  signSignatureBase,
  type HttpSignatureAlgorithm,
} from './http-signature-algorithm.js';
import { buildSignatureBase, serializeSignatureParams } from './signature-base.js';
import {
  requiredComponents,
  wimseSignatureLabel,
  wimseTag,
  workloadIdentityTokenHeader,
} from './wimse-profile.js';

/** The workload's credentials and the signing policy of the outbound translator. */
export interface RequestSigner {
  /** The workload's current WIT (compact JWS), whose `cnf.jwk` is `privateKey`'s public half. */
  wit: string;
  privateKey: KeyObject;
  clock: Clock;
  /** `expires - created`: short (the profile says minutes); the verifier caps what it accepts. */
  signatureLifetimeSeconds: number;
  /** Source of nonces; 128 random bits by default. Injected only by tests. */
  randomNonce?: () => string;
}

/** Per-request inputs. */
export interface SignRequestOptions {
  /** `wimse-aud`: the audience the receiving translator expects (e.g. its service's URI). */
  audience: string;
  /** Extra headers to cover when present, such as Accord's user-identity header. */
  identityHeaders?: readonly string[];
}

/** The headers to set on the outgoing request (lower-case names). */
export interface SignedRequestHeaders {
  'workload-identity-token': string;
  'signature-input': string;
  signature: string;
  'content-digest'?: string;
}

/**
 * Signs `request` in the WIMSE profile: attaches the WIT, a `Content-Digest` (sha-256) when there
 * is a body, and an RFC 9421 signature labelled `wimse` over `@method`, `@request-target`, the
 * WIT header, every profile header present and the given identity headers, with `created`,
 * `expires`, a fresh `nonce`, `tag` and `wimse-aud` (no `keyid`, no `alg`: the receiver takes
 * both from the WIT). Pure apart from the nonce.
 */
export function signRequest(
  request: HttpRequestMessage,
  signer: RequestSigner,
  options: SignRequestOptions,
): SignedRequestHeaders {
  const algorithm = signingAlgorithmOf(signer.privateKey);
  if (algorithm === undefined) throw new Error('the workload key is not an ES256, ES384 or EdDSA key');
  const digest = hasBody(request) ? contentDigest(request.body ?? new Uint8Array()) : undefined;
  const headers: Record<string, string> = { ...request.headers, [workloadIdentityTokenHeader]: signer.wit };
  if (digest !== undefined) headers['content-digest'] = digest;
  const signed: HttpRequestMessage = { ...request, headers };

  const createdSeconds = Math.floor(signer.clock.now().getTime() / 1000);
  const nonce = (signer.randomNonce ?? defaultNonce)();
  const components = requiredComponents(signed, options.identityHeaders ?? []);
  const signatureParams = serializeSignatureParams(
    components,
    new Map<string, string | number>([
      ['created', createdSeconds],
      ['expires', createdSeconds + signer.signatureLifetimeSeconds],
      ['nonce', nonce],
      ['tag', wimseTag],
      ['wimse-aud', options.audience],
    ]),
  );
  const base = buildSignatureBase(signed, components, signatureParams);
  const signature = signSignatureBase(algorithm, signer.privateKey, base);
  return {
    [workloadIdentityTokenHeader]: signer.wit,
    'signature-input': `${wimseSignatureLabel}=${signatureParams}`,
    // A dictionary of one byte sequence without parameters (RFC 9651 §4.1.8): `label=:base64:`.
    signature: `${wimseSignatureLabel}=:${Buffer.from(signature).toString('base64')}:`,
    ...(digest === undefined ? {} : { 'content-digest': digest }),
  };
}

/** The algorithm of each workload key, derived once: deriving the public half costs as much as signing. */
const algorithmByPrivateKey = new WeakMap<KeyObject, HttpSignatureAlgorithm | undefined>();

function signingAlgorithmOf(privateKey: KeyObject): HttpSignatureAlgorithm | undefined {
  if (!algorithmByPrivateKey.has(privateKey))
    algorithmByPrivateKey.set(privateKey, httpSignatureAlgorithmForKey(createPublicKey(privateKey)));
  return algorithmByPrivateKey.get(privateKey);
}

/**
 * 128-bit nonces cut from a pool of CSPRNG bytes filled 256 nonces at a time, as Node's
 * `randomUUID` does: one call into the generator per 256 requests instead of one per request.
 * Every byte is used once; nonces are public (they travel in `Signature-Input`), so pooling
 * them ahead of use reveals nothing.
 */
const noncePool = Buffer.alloc(16 * 256);
let noncePoolOffset = noncePool.length;

function defaultNonce(): string {
  if (noncePoolOffset === noncePool.length) {
    randomFillSync(noncePool);
    noncePoolOffset = 0;
  }
  const nonce = noncePool.toString('base64url', noncePoolOffset, noncePoolOffset + 16);
  noncePoolOffset += 16;
  return nonce;
}
