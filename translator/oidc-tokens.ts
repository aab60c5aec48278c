import { randomUUID, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
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
