import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, type JWK } from 'jose';

/** The claims and key of one Workload Identity Token. */
export interface WitIssuance {
  signingKey: KeyObject;
  keyId: string;
  /** `iss`: the zone identity server (Accord uses the trust domain's SPIFFE ID, `spiffe://<td>`). */
  issuer: string;
  /** `sub`: the workload's SPIFFE ID. */
  subject: string;
  /** The workload's public JWK, bound through `cnf.jwk` (proof of possession). */
  confirmationJwk: JWK;
  issuedAt: Date;
  expiresAt: Date;
}

/** `cnf.jwk.alg` per curve: WIT-SVID §3.2 makes it mandatory and lists the ECDSA algorithms. */
const confirmationAlgorithmByCurve: Readonly<Record<string, string>> = { 'P-256': 'ES256', 'P-384': 'ES384' };

/**
 * Signs a WIMSE Workload Identity Token (draft-ietf-wimse-workload-creds) in the SPIFFE WIT-SVID
 * profile: a JWS with `typ: wit+jwt`, ES256 and `kid` (all three mandatory in WIT-SVID §2); claims
 * `iss`, `sub`, `iat`, `nbf` (= `iat`: validators bound the earliest validity by `nbf`, never by
 * `iat`, §3.5 and §3.6), `exp`, a random `jti`, and `cnf.jwk` carrying the workload's public key
 * with its `alg` (§3.2), so the token is useless without the matching private key.
 */
export async function issueWit(issuance: WitIssuance): Promise<string> {
  const confirmationAlgorithm = confirmationAlgorithmByCurve[issuance.confirmationJwk.crv ?? ''];
  if (issuance.confirmationJwk.kty !== 'EC' || confirmationAlgorithm === undefined)
    throw new Error('a WIT binds an EC P-256 or P-384 workload key');
  const issuedAtSeconds = Math.floor(issuance.issuedAt.getTime() / 1000);
  return new SignJWT({ cnf: { jwk: { ...issuance.confirmationJwk, alg: confirmationAlgorithm } } })
    .setProtectedHeader({ alg: 'ES256', typ: 'wit+jwt', kid: issuance.keyId })
    .setIssuer(issuance.issuer)
    .setSubject(issuance.subject)
    .setIssuedAt(issuedAtSeconds)
    .setNotBefore(issuedAtSeconds)
    .setExpirationTime(Math.floor(issuance.expiresAt.getTime() / 1000))
    .setJti(randomUUID())
    .sign(issuance.signingKey);
}
