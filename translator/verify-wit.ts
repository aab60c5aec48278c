import { makeRoomForOne } from '../lib/cache/make-room.js';
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  importJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { parseSpiffeId, type SpiffeId } from '../lib/spiffe/spiffe-id.js';
import { quoteUntrusted } from '../lib/errors/quote-untrusted.js';
import type { Clock } from '../lib/time/clock.js';
import { httpSignatureAlgorithmForKey, type HttpSignatureAlgorithm } from './http-signature-algorithm.js';
import { reject, TranslatorRejection } from './translator-rejection.js';

/**
 * The `wit-svid` keys of ONE trust domain, or `undefined` when the local zone trusts no bundle
 * for it. The translator answers from the zone's own bundle and from each partner's bundle
 * installed by the provider, per trust domain: never a merged pool, so a partner's key can never
 * vouch for a workload of another zone. A returned set is treated as immutable: a changed bundle
 * must be a new object, because the verified-WIT cache belongs to the set object it verified with.
 */
export type WitKeysByTrustDomain = (trustDomain: string) => JSONWebKeySet | undefined;

/** What `verifyWit` needs besides the token. */
export interface WitVerification {
  witKeys: WitKeysByTrustDomain;
  clock: Clock;
  /** Tolerated clock difference for `exp` and `nbf`; a few seconds. */
  clockSkewSeconds: number;
}

/** A verified WIT: who the workload is and the key it must prove possession of. */
export interface VerifiedWit {
  workload: SpiffeId;
  issuer: string;
  issuedAt: Date;
  expiresAt: Date;
  /** The `cnf.jwk` public key: the HTTP message signature must verify with it. */
  confirmationKey: KeyObject;
  confirmationAlgorithm: HttpSignatureAlgorithm;
}

/**
 * The JWS algorithms a WIT may be signed with. The SPIFFE WIT-SVID specification (§2.3) allows
 * only RS256/384/512, ES256/384/512 and PS256/384/512 and tells validators to reject any other;
 * Accord accepts the ECDSA ones its zones can sign with (P-256 roots sign ES256) and, to leave
 * room for P-384 roots, ES384. EdDSA (not in the specification's list), `none`, every HMAC (`HS*`,
 * which would let an attacker "sign" with the public key as the secret) and RSA (allowed by the
 * specification, produced by no Accord zone, and a larger key-handling surface) are refused before
 * any key is looked at.
 */
export const allowedWitAlgorithms: readonly string[] = ['ES256', 'ES384'];

/**
 * The `cnf.jwk.alg` values a WIT may bind (WIT-SVID §3.2 lists the same algorithms as §2.3 and
 * makes `alg` mandatory): the ECDSA ones that are also RFC 9421 algorithms, since the workload
 * proves possession with an HTTP message signature (`ecdsa-p256-sha256`, `ecdsa-p384-sha384`).
 */
export const allowedConfirmationAlgorithms: readonly string[] = ['ES256', 'ES384'];

/** The key type and curve each allowed algorithm requires, so a key is never used with a foreign one. */
const keyShapeByAlgorithm: Readonly<Record<string, { kty: string; crv: string }>> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
};

const witType = 'wit+jwt';

/** How long a verified WIT is served from the cache at most, whatever its `exp`. */
export const verifiedWitCacheSeconds = 60;

/** Most verified WITs remembered per bundle; the oldest is forgotten first. */
export const verifiedWitCacheEntries = 1024;

interface CachedWit {
  readonly verified: VerifiedWit;
  /** The bundle key that verified the signature: the hit is only good while the bundle still selects it. */
  readonly signingJwk: JWK;
  readonly notBeforeSeconds: number | undefined;
  readonly expiresSeconds: number;
  /** `verifiedWitCacheSeconds` after the signature was checked. */
  readonly cachedUntilMs: number;
}

/**
 * WITs whose signature and claims verified, per bundle object and by the exact token string. A
 * workload presents the same WIT on every request until it is renewed, so the receiving side
 * would otherwise import a bundle key, verify the same ECDSA signature and import the same
 * `cnf.jwk` on every request. The cache never widens acceptance: only successes enter it; a hit
 * still needs the token to pass the header, type and subject checks, the trust domain's CURRENT
 * bundle to be the very object that verified it and to still select the same key, and `exp`,
 * `nbf` to hold at the current time; anything else goes the full way (and gets its
 * precise reason). A bundle that changes is a new object with an empty cache; one that goes
 * makes `witKeys` answer `undefined`, refused before the cache is looked at.
 */
const verifiedWitsByBundle = new WeakMap<JSONWebKeySet, Map<string, CachedWit>>();

/**
 * The protected header and the parsed `sub` of WITs that verified, by the exact token string: both
 * are pure functions of the token's bytes, so a token seen again skips two base64url decodes, two
 * `JSON.parse` and a SPIFFE ID parse (about 6 % of the inbound translator's CPU per request). Every
 * check of the header and of the bundle still runs on each call; only verified tokens enter, so
 * tokens that never verify cannot fill it. The oldest is forgotten first.
 */
const decodedVerifiedWits = new Map<string, DecodedWit>();

interface DecodedWit {
  readonly header: ProtectedHeaderParameters;
  readonly workload: SpiffeId;
}

/** Imported bundle keys per JWK object and algorithm, so a new WIT does not re-import the same key. */
const importedKeysByJwk = new WeakMap<JWK, Map<string, Promise<Awaited<ReturnType<typeof importJWK>>>>>();

/**
 * Verifies a Workload Identity Token (draft-ietf-wimse-workload-creds) as the receiving
 * translator must: the signing key comes ONLY from the bundle of the trust domain named by the
 * token's own `sub` (`kid` chooses within that bundle; `jwk`, `jku`, `x5u` and `x5c` in the
 * header are never used), the algorithm is on the asymmetric allow-list and matches the key, the
 * type is `wit+jwt`, `kid` is present, `exp` and `nbf` hold within the skew (`iat` is not a
 * validity bound: WIT-SVID §3.6), and `cnf.jwk` carries a public key of an allowed `alg`. Every refusal is a `TranslatorRejection` with a stable reason. A token verified
 * before with the same bundle is answered from `verifiedWitsByBundle` (see there for why that is safe).
 */
export async function verifyWit(token: string, verification: WitVerification): Promise<VerifiedWit> {
  const decoded = decodedVerifiedWits.get(token);
  const header = decoded?.header ?? readHeader(token);
  const algorithm = header.alg ?? '';
  if (!allowedWitAlgorithms.includes(algorithm))
    reject(
      'wit_alg_not_allowed',
      `WIT algorithm ${algorithm ? quoteUntrusted(algorithm) : '(none)'} is not allowed`,
    );
  const type = (header.typ ?? '').toLowerCase().replace(/^application\//, '');
  if (type !== witType)
    reject(
      'wit_bad_type',
      `WIT type ${header.typ === undefined ? '(none)' : quoteUntrusted(header.typ)} is not ${witType}`,
    );

  // WIT-SVID §2.1: `kid` MUST be present; a verifier never guesses which key signed.
  if (typeof header.kid !== 'string' || header.kid === '') reject('wit_unknown_key', 'WIT has no kid');

  const workload = decoded?.workload ?? readSubject(token);
  const bundle = verification.witKeys(workload.trustDomain);
  if (bundle === undefined)
    reject('wit_untrusted_domain', `no bundle is trusted for trust domain ${workload.trustDomain}`);
  const signingJwk = selectKey(bundle, header.kid, algorithm, workload.trustDomain);
  const now = verification.clock.now();
  let cache = verifiedWitsByBundle.get(bundle);
  const cached = cache?.get(token);
  if (cached !== undefined) {
    if (cached.signingJwk === signingJwk && isStillValid(cached, now, verification.clockSkewSeconds))
      return cached.verified;
    cache?.delete(token);
  }
  const signingKey = await importBundleKey(signingJwk, algorithm).catch((error: unknown) =>
    reject('wit_unknown_key', `the bundle key for ${workload.trustDomain} cannot be used`, error),
  );

  const payload = await jwtVerify(token, signingKey, {
    algorithms: [algorithm],
    typ: witType,
    subject: workload.uri,
    currentDate: now,
    clockTolerance: verification.clockSkewSeconds,
    requiredClaims: ['iss', 'sub', 'iat', 'exp', 'cnf'],
  }).then(
    (result) => result.payload,
    (error: unknown) => reject(reasonOfJoseError(error), 'WIT verification failed', error),
  );
  // WIT-SVID §3.6: `iat` is for audit only and MUST NOT limit the earliest validity: `nbf` does
  // (jose checks it above, with the skew), and Accord's PKI sets it.
  const issuedAtSeconds = payload.iat ?? 0;
  const { key, algorithm: confirmationAlgorithm } = confirmationKeyOf(payload);
  const verified: VerifiedWit = Object.freeze({
    workload,
    issuer: payload.iss ?? '',
    issuedAt: new Date(issuedAtSeconds * 1000),
    expiresAt: new Date((payload.exp ?? 0) * 1000),
    confirmationKey: key,
    confirmationAlgorithm,
  });
  if (cache === undefined) {
    cache = new Map();
    verifiedWitsByBundle.set(bundle, cache);
  }
  makeRoomForOne(cache, verifiedWitCacheEntries);
  decodedVerifiedWits.delete(token);
  makeRoomForOne(decodedVerifiedWits, verifiedWitCacheEntries);
  decodedVerifiedWits.set(token, { header, workload });
  cache.set(token, {
    verified,
    signingJwk,
    notBeforeSeconds: payload.nbf,
    expiresSeconds: payload.exp ?? 0,
    cachedUntilMs: now.getTime() + verifiedWitCacheSeconds * 1000,
  });
  return verified;
}

/**
 * Whether a cached WIT's time claims still hold now, exactly as `jwtVerify` judges them (whole
 * seconds, the same skew), and its cache time has not run out.
 */
function isStillValid(cached: CachedWit, now: Date, skewSeconds: number): boolean {
  const nowMs = now.getTime();
  const nowSeconds = Math.floor(nowMs / 1000);
  return (
    nowMs < cached.cachedUntilMs &&
    cached.expiresSeconds > nowSeconds - skewSeconds &&
    (cached.notBeforeSeconds === undefined || cached.notBeforeSeconds <= nowSeconds + skewSeconds)
  );
}

/** `importJWK`, once per bundle key object and algorithm (a failed import is not remembered). */
function importBundleKey(jwk: JWK, algorithm: string): Promise<Awaited<ReturnType<typeof importJWK>>> {
  let byAlgorithm = importedKeysByJwk.get(jwk);
  if (byAlgorithm === undefined) {
    byAlgorithm = new Map();
    importedKeysByJwk.set(jwk, byAlgorithm);
  }
  const known = byAlgorithm.get(algorithm);
  if (known !== undefined) return known;
  const imported = importJWK(jwk, algorithm);
  byAlgorithm.set(algorithm, imported);
  imported.catch(() => byAlgorithm.delete(algorithm));
  return imported;
}

function readHeader(token: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(token);
  } catch (error) {
    return reject('wit_malformed', 'WIT is not a compact JWS', error);
  }
}

/** The unverified `sub`, read only to choose which single bundle may verify the token. */
function readSubject(token: string): SpiffeId {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(token);
  } catch (error) {
    return reject('wit_malformed', 'WIT payload is not a JWT claims set', error);
  }
  if (typeof payload.sub !== 'string') return reject('wit_bad_subject', 'WIT has no sub');
  try {
    return parseSpiffeId(payload.sub);
  } catch (error) {
    return reject('wit_bad_subject', 'WIT sub is not a SPIFFE ID', error);
  }
}

/**
 * The one `wit-svid` key of the bundle that may have signed: the one the header's `kid` names.
 * Keys of another use (`x509-svid`), of another algorithm or of a shape the algorithm cannot use
 * are never candidates.
 */
function selectKey(bundle: JSONWebKeySet, keyId: string, algorithm: string, trustDomain: string): JWK {
  const shape = keyShapeByAlgorithm[algorithm];
  if (shape === undefined) return reject('wit_alg_not_allowed', `WIT algorithm ${algorithm} is not allowed`);
  const candidates = bundle.keys.filter(
    (key) =>
      key.use === 'wit-svid' &&
      key.kid === keyId &&
      (key.alg === undefined || key.alg === algorithm) &&
      key.kty === shape.kty &&
      key.crv === shape.crv &&
      key.d === undefined,
  );
  const [only] = candidates;
  if (only === undefined || candidates.length !== 1)
    return reject(
      'wit_unknown_key',
      `no single ${algorithm} wit-svid key ${quoteUntrusted(keyId)} in the bundle of ${trustDomain}`,
    );
  return only;
}

/** `cnf.jwk` as a public key with the HTTP signature algorithm it implies (RFC 9421 §3.3.7). */
function confirmationKeyOf(payload: JWTPayload): { key: KeyObject; algorithm: HttpSignatureAlgorithm } {
  const confirmation = payload.cnf as { jwk?: unknown } | undefined;
  const jwk = confirmation?.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    return reject('wit_bad_confirmation_key', 'WIT has no cnf.jwk');
  const fields = jwk as JWK;
  if (fields.d !== undefined || fields.k !== undefined)
    return reject('wit_bad_confirmation_key', 'WIT cnf.jwk is not a public key');
  if (fields.alg === undefined || !allowedConfirmationAlgorithms.includes(fields.alg))
    return reject(
      'wit_bad_confirmation_key',
      `WIT cnf.jwk.alg ${fields.alg === undefined ? '(none)' : quoteUntrusted(fields.alg)} is not ES256 or ES384`,
    );
  let key: KeyObject;
  try {
    key = createPublicKey({ format: 'jwk', key: fields as JsonWebKey });
  } catch (error) {
    return reject('wit_bad_confirmation_key', 'WIT cnf.jwk cannot be imported', error);
  }
  const algorithm = httpSignatureAlgorithmForKey(key, fields.alg);
  if (algorithm === undefined)
    return reject('wit_bad_confirmation_key', 'WIT cnf.jwk is not a key of its alg');
  return { key, algorithm };
}

function reasonOfJoseError(error: unknown): TranslatorRejection['reason'] {
  if (error instanceof errors.JWTExpired) return 'wit_expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'wit_bad_signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'wit_alg_not_allowed';
  if (error instanceof errors.JWTClaimValidationFailed) {
    // Only a failed `nbf` time check is a token used too early; a missing or non-numeric `nbf` or
    // `iat` is a malformed claims set (jose checks `iat`'s time only under `maxTokenAge`, unused).
    if (error.claim === 'nbf' && error.reason === 'check_failed') return 'wit_not_yet_valid';
    if (error.claim === 'typ') return 'wit_bad_type';
    if (error.claim === 'cnf') return 'wit_bad_confirmation_key';
    return 'wit_claims_invalid';
  }
  return 'wit_malformed';
}
