import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import { issueWit } from '../pki/issue-wit.js';
import { buildSpiffeBundle } from '../pki/spiffe-bundle.js';
import type { WitKeysByTrustDomain } from './verify-wit.js';

/**
 * Builders for the translator's tests: zones with real WIT signing keys and real SPIFFE bundles
 * (as the PKI serves them), workloads with real keys, WITs issued by the PKI's own `issueWit`.
 */

/** A zone: its WIT signing key and the bundle other zones install for it. */
export interface TestZone {
  trustDomain: string;
  signingKey: KeyObject;
  keyId: string;
  bundle: JSONWebKeySet;
}

/** A zone with a fresh P-256 WIT key (`<td>-wit-1`) and its bundle built by the PKI's `buildSpiffeBundle`. */
export async function testZone(trustDomain: string): Promise<TestZone> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyId = `${trustDomain}-wit-1`;
  const document = buildSpiffeBundle({
    rootCertificatePems: [],
    witPublicJwk: await exportJWK(publicKey),
    witKeyId: keyId,
    sequence: 1,
    refreshHintSeconds: 300,
  });
  return { trustDomain, signingKey: privateKey, keyId, bundle: document };
}

/** The per-trust-domain lookup over the zones the receiver trusts (one bundle each, never merged). */
export function witKeysOf(...zones: TestZone[]): WitKeysByTrustDomain {
  const bundles = new Map(zones.map((zone) => [zone.trustDomain, zone.bundle]));
  return (trustDomain) => bundles.get(trustDomain);
}

/** A workload key pair and its public JWK (what goes into `cnf.jwk`). */
export interface TestWorkloadKey {
  privateKey: KeyObject;
  publicJwk: JWK;
}

/** A fresh workload key; P-256 as the PKI issues WITs for, or another type for hand-built WITs. */
export async function testWorkloadKey(
  type: 'P-256' | 'P-384' | 'Ed25519' = 'P-256',
): Promise<TestWorkloadKey> {
  const { publicKey, privateKey } =
    type === 'Ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: type === 'P-256' ? 'P-256' : 'P-384' });
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

/** A WIT issued by `zone`'s PKI code path for `path` in the zone, valid from `issuedAt` for `ttlSeconds`. */
export function testWit(
  zone: TestZone,
  workload: TestWorkloadKey,
  options: { path?: string; issuedAt: Date; ttlSeconds?: number },
): Promise<string> {
  return issueWit({
    signingKey: zone.signingKey,
    keyId: zone.keyId,
    issuer: `spiffe://${zone.trustDomain}`,
    subject: `spiffe://${zone.trustDomain}${options.path ?? '/ns/shop/sa/frontend'}`,
    confirmationJwk: workload.publicJwk,
    issuedAt: options.issuedAt,
    expiresAt: new Date(options.issuedAt.getTime() + (options.ttlSeconds ?? 3600) * 1000),
  });
}

/** A token with any header and claims, signed by any key: how an attacker would build one. */
export function forgedToken(
  key: KeyObject | Uint8Array,
  header: { alg: string; typ?: string; kid?: string; jwk?: JWK },
  claims: JWTPayload,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

/** Standard WIT claims for `subject`, with `cnf.jwk`, around `now`. */
export function witClaims(subject: string, confirmationJwk: JWK, now: Date): JWTPayload {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return {
    iss: subject.replace(/^(spiffe:\/\/[^/]+).*$/, '$1'),
    sub: subject,
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    jti: 'test',
    cnf: { jwk: confirmationJwk },
  };
}
