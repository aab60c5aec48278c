import { constants, sign, verify, type KeyObject } from 'node:crypto';

/**
 * The RFC 9421 §3.3 algorithms this implementation speaks. The WIMSE profile never names one on
 * the wire (`alg` is forbidden): it follows from the WIT's `cnf.jwk`, which `verifyWit` limits to
 * the ECDSA keys WIT-SVID allows (`ecdsa-p256-sha256`, `ecdsa-p384-sha384`); `ed25519` and
 * `rsa-pss-sha512` exist for the RFC's own test vectors. HMAC is deliberately absent: a shared
 * secret cannot prove a workload identity.
 */
export type HttpSignatureAlgorithm = 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ed25519' | 'rsa-pss-sha512';

/** The JWS `alg` values a WIT confirmation key may carry, mapped to the HTTP signature algorithm. */
const algorithmByJwsAlg: Readonly<Record<string, HttpSignatureAlgorithm>> = {
  ES256: 'ecdsa-p256-sha256',
  ES384: 'ecdsa-p384-sha384',
  EdDSA: 'ed25519',
  Ed25519: 'ed25519',
};

/**
 * The HTTP signature algorithm for a confirmation key (RFC 9421 §3.3.7: derived from the key
 * material, never from the message), or `undefined` for a key Accord does not accept.
 */
export function httpSignatureAlgorithmForKey(
  key: KeyObject,
  jwsAlg?: string,
): HttpSignatureAlgorithm | undefined {
  const fromKey = algorithmOfKeyMaterial(key);
  if (fromKey === undefined || fromKey === 'rsa-pss-sha512') return undefined;
  if (jwsAlg !== undefined && algorithmByJwsAlg[jwsAlg] !== fromKey) return undefined;
  return fromKey;
}

function algorithmOfKeyMaterial(key: KeyObject): HttpSignatureAlgorithm | undefined {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'ed25519';
  if (type === 'rsa' || type === 'rsa-pss') return 'rsa-pss-sha512';
  if (type !== 'ec') return undefined;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return 'ecdsa-p256-sha256';
  if (curve === 'secp384r1') return 'ecdsa-p384-sha384';
  return undefined;
}

/** Whether `key` is of the type `algorithm` needs (so a key is never used with a foreign algorithm). */
function keyFits(algorithm: HttpSignatureAlgorithm, key: KeyObject): boolean {
  return algorithmOfKeyMaterial(key) === algorithm;
}

/** Node's parameters for one algorithm: ECDSA as raw `r||s` (§3.3.4), PSS with a 64-byte salt (§3.3.1). */
function nodeParameters(algorithm: HttpSignatureAlgorithm, key: KeyObject) {
  switch (algorithm) {
    case 'ecdsa-p256-sha256':
      return { digest: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' as const } };
    case 'ecdsa-p384-sha384':
      return { digest: 'sha384', key: { key, dsaEncoding: 'ieee-p1363' as const } };
    case 'ed25519':
      return { digest: null, key: { key } };
    case 'rsa-pss-sha512':
      return { digest: 'sha512', key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 } };
  }
}

/** `HTTP_SIGN` (RFC 9421 §3.3) over the signature base's UTF-8 bytes. */
export function signSignatureBase(
  algorithm: HttpSignatureAlgorithm,
  privateKey: KeyObject,
  base: string,
): Uint8Array {
  if (privateKey.type !== 'private' || !keyFits(algorithm, privateKey))
    throw new Error(`the signing key does not fit ${algorithm}`);
  const { digest, key } = nodeParameters(algorithm, privateKey);
  return sign(digest, Buffer.from(base, 'utf8'), key);
}

/**
 * `HTTP_VERIFY` (RFC 9421 §3.3): false for a wrong signature, a wrong-length signature, or a key
 * that does not fit the algorithm; never throws on attacker-supplied bytes.
 */
export function verifySignatureBase(
  algorithm: HttpSignatureAlgorithm,
  publicKey: KeyObject,
  base: string,
  signature: Uint8Array,
): boolean {
  if (publicKey.type !== 'public' || !keyFits(algorithm, publicKey)) return false;
  const { digest, key } = nodeParameters(algorithm, publicKey);
  try {
    return verify(digest, Buffer.from(base, 'utf8'), key, signature);
  } catch {
    return false;
  }
}
