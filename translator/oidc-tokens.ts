import { randomUUID, type KeyObject } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import {
  createRemoteJWKSet,
  customFetch,
  jwtVerify,
  SignJWT,
  type FetchImplementation,
  type JWTVerifyGetKey,
} from 'jose';
import type { Clock } from '../lib/time/clock.js';

/** Asymmetric algorithms accepted for bearer tokens; never `none` or HMAC (a public JWKS is no secret). */
export const allowedBearerAlgorithms: readonly string[] = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** How the outbound translator validates the local OIDC issuer's bearer tokens. */
export interface BearerValidation {
  issuer: string;
  audience: string;
  /** The claim naming the user (`sub`, `preferred_username`, …). */
  userClaim: string;
  /** The issuer's keys (jose's `createRemoteJWKSet` for `jwks_uri`, `createLocalJWKSet` in tests). */
  keys: JWTVerifyGetKey;
  clock: Clock;
  clockSkewSeconds: number;
}

/**
 * Validates a bearer token of the local OIDC issuer (signature with the issuer's JWKS, asymmetric
 * algorithms only, `iss`, `aud`, `exp`/`nbf`) and returns the user it names. Throws otherwise.
 */
export async function verifyBearerUser(token: string, validation: BearerValidation): Promise<string> {
  const { payload } = await jwtVerify(token, validation.keys, {
    issuer: validation.issuer,
    audience: validation.audience,
    algorithms: [...allowedBearerAlgorithms],
    clockTolerance: validation.clockSkewSeconds,
    currentDate: validation.clock.now(),
  });
  const user = payload[validation.userClaim];
  if (typeof user !== 'string' || user === '')
    throw new Error(`the token has no ${validation.userClaim} claim`);
  return user;
}

/**
 * The deadline of one request to the issuer (discovery document or JWKS): the first bearer request
 * after a key rotation waits for it, inside Envoy's ext_authz timeout.
 */
export const issuerRequestTimeoutMs = 2_000;

/** The largest discovery document or JWKS read; an issuer's are a few kilobytes. */
const maxIssuerResponseBytes = 1024 * 1024;

/**
 * A fetch for jose (and discovery) that trusts only `caPem`, for an issuer with a private CA such
 * as a cluster's API server. Node's global fetch takes no CA of its own, hence `node:https`.
 * Redirects are not followed (jose asks for `redirect: 'manual'`).
 */
export function fetchTrustingCa(caPem: string): FetchImplementation {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const call = httpsRequest(
        url,
        {
          method: options.method,
          headers: Object.fromEntries(options.headers),
          ca: caPem,
          signal: options.signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxIssuerResponseBytes) response.destroy(new Error(`${url} answered more than 1 MiB`));
            else chunks.push(chunk);
          });
          response.once('error', reject);
          response.once('end', () => {
            resolve(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 502 }));
          });
        },
      );
      call.once('error', reject);
      call.end();
    });
}

/**
 * OpenID Connect Discovery 1.0: reads `<issuer>/.well-known/openid-configuration` and returns its
 * `jwks_uri`. The document's `issuer` must equal the configured one exactly (section 4.3), so a
 * document served for another issuer cannot substitute its keys.
 */
export async function discoverJwksUri(
  issuer: string,
  fetchImplementation: FetchImplementation,
): Promise<URL> {
  const location = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetchImplementation(location, {
    method: 'GET',
    headers: new Headers({ accept: 'application/json' }),
    redirect: 'manual',
    signal: AbortSignal.timeout(issuerRequestTimeoutMs),
  });
  if (response.status !== 200) throw new Error(`${location} answered HTTP ${String(response.status)}`);
  const document: unknown = await response.json();
  if (typeof document !== 'object' || document === null) throw new Error(`${location} is not a JSON object`);
  const { issuer: documentIssuer, jwks_uri: jwksUri } = document as Record<string, unknown>;
  if (documentIssuer !== issuer)
    throw new Error(`${location} names issuer ${JSON.stringify(documentIssuer)}, not ${issuer}`);
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri))
    throw new Error(`${location} has no valid jwks_uri`);
  return new URL(jwksUri);
}

/** Where an OIDC issuer's keys come from. */
export interface IssuerKeysOptions {
  issuer: string;
  /** Explicit `jwks_uri`; when absent it is discovered from the issuer. */
  jwksUri?: string | undefined;
  /** PEM CA the issuer's certificate chains to; absent: the system roots. */
  caPem?: string | undefined;
}

/**
 * The issuer's signing keys for `verifyBearerUser`: jose's remote JWKS (cached, refetched on an
 * unknown `kid`) at the configured or discovered `jwks_uri`. Discovery happens on first use, not at
 * start, so an issuer that is briefly down delays only bearer requests; a failed discovery is
 * retried by the next token.
 */
export function issuerKeys(options: IssuerKeysOptions): JWTVerifyGetKey {
  const fetchImplementation: FetchImplementation =
    options.caPem === undefined ? (url, init) => fetch(url, init) : fetchTrustingCa(options.caPem);
  const remoteKeys = (jwksUri: URL) =>
    createRemoteJWKSet(jwksUri, {
      timeoutDuration: issuerRequestTimeoutMs,
      [customFetch]: fetchImplementation,
    });
  if (options.jwksUri !== undefined) return remoteKeys(new URL(options.jwksUri));
  let keys: Promise<JWTVerifyGetKey> | undefined;
  return async (protectedHeader, token) => {
    keys ??= discoverJwksUri(options.issuer, fetchImplementation).then(remoteKeys, (error: unknown) => {
      keys = undefined;
      throw error;
    });
    return (await keys)(protectedHeader, token);
  };
}

/** The local API's token issuer: what the inbound translator mints tokens with. */
export interface LocalTokenIssuer {
  issuer: string;
  audience: string;
  signingKey: KeyObject;
  keyId: string;
  ttlSeconds: number;
  clock: Clock;
}

function algorithmOf(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'ec') return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ES384' : 'ES256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'rsa') return 'RS256';
  throw new Error(`unsupported token signing key type ${type ?? 'unknown'}`);
}

/**
 * Mints a short-lived access token for a local API that accepts the zone's OIDC issuer: `sub` is
 * the mapped local subject and `act.sub` (RFC 8693 actor) the verified calling workload, so the
 * API can tell who acts for whom.
 */
export function mintLocalToken(issuer: LocalTokenIssuer, subject: string, actor: string): Promise<string> {
  const nowSeconds = Math.floor(issuer.clock.now().getTime() / 1000);
  return new SignJWT({ act: { sub: actor } })
    .setProtectedHeader({ alg: algorithmOf(issuer.signingKey), typ: 'JWT', kid: issuer.keyId })
    .setIssuer(issuer.issuer)
    .setAudience(issuer.audience)
    .setSubject(subject)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + issuer.ttlSeconds)
    .setJti(randomUUID())
    .sign(issuer.signingKey);
}
