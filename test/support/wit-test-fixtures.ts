import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import { witSvidBundleKey } from '../../lib/spiffe/spiffe-bundle.js';
import { createSelfSignedCa } from '../../lib/x509/create-self-signed-ca.js';
import { generateEcKeyPair } from '../../lib/x509/generate-ec-key-pair.js';
import { privateKeyToPem } from '../../lib/x509/private-key-pem.js';
import { issueWit } from '../../pki/issue-wit.js';
import { buildSpiffeBundle } from '../../pki/spiffe-bundle.js';
import { TranslatorRejection, type RejectionReason } from '../../translator/translator-rejection.js';
import type { WitKeysByTrustDomain } from '../../translator/verify-wit.js';

/**
 * Builders for the translator's tests: zones with real WIT signing keys and real SPIFFE bundles
 * (as the PKI serves them), workloads with real keys, WITs issued by the PKI's own `issueWit`.
 */

/** A zone: its root (which signs its WITs, as a zone PKI's signing root does) and its bundle. */
export interface TestZone {
  trustDomain: string;
  rootPem: string;
  signingKey: KeyObject;
  keyId: string;
  bundle: JSONWebKeySet;
}

/** A zone with a fresh P-256 root and its bundle built by the PKI's `buildSpiffeBundle`. */
export async function testZone(trustDomain: string): Promise<TestZone> {
  const keys = await generateEcKeyPair();
  const now = Date.now();
  const rootPem = await createSelfSignedCa({
    keys,
    trustDomain,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600_000),
  });
  const document = buildSpiffeBundle({
    rootCertificatePems: [rootPem],
    sequence: 1,
    refreshHintSeconds: 300,
  });
  return {
    trustDomain,
    rootPem,
    signingKey: createPrivateKey(await privateKeyToPem(keys.privateKey)),
    keyId: witSvidBundleKey(rootPem).kid,
    bundle: document,
  };
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

/** The `cnf.jwk.alg` WIT-SVID requires for a workload key, as the PKI sets it (a JWK with its own `alg` keeps it). */
function withConfirmationAlgorithm(jwk: JWK): JWK {
  const byCurve: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', Ed25519: 'EdDSA' };
  const alg = byCurve[jwk.crv ?? ''];
  return alg === undefined || jwk.alg !== undefined ? jwk : { ...jwk, alg };
}

/** Standard WIT claims for `subject`, with `cnf.jwk` (and its `alg`), around `now`. */
export function witClaims(subject: string, confirmationJwk: JWK, now: Date): JWTPayload {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return {
    iss: subject.replace(/^(spiffe:\/\/[^/]+).*$/, '$1'),
    sub: subject,
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    jti: 'test',
    cnf: { jwk: withConfirmationAlgorithm(confirmationJwk) },
  };
}

/**
 * The `TranslatorRejection` `attempt` was refused with (its reason and the message the log shows);
 * throws if it succeeded or failed any other way.
 */
export async function translatorRejection(attempt: Promise<unknown>): Promise<TranslatorRejection> {
  const error: unknown = await attempt.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof TranslatorRejection)) throw new Error(`expected a rejection, got ${String(error)}`);
  return error;
}

/** The reason `attempt` was refused with; throws if it succeeded or failed any other way. */
export async function rejectionReason(attempt: Promise<unknown>): Promise<RejectionReason> {
  return (await translatorRejection(attempt)).reason;
}
