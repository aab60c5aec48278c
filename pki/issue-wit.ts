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

/**
 * Signs a WIMSE Workload Identity Token (draft-ietf-wimse-workload-creds, which replaced the WIT
 * part of draft-ietf-wimse-s2s-protocol): a JWS with `typ: wit+jwt`, ES256 and `kid`; claims
 * `iss`, `sub`, `iat`, `exp`, a random `jti`, and `cnf.jwk` carrying the workload's public key
 * with its `alg`, so the token is useless without the matching private key.
 */
export async function issueWit(issuance: WitIssuance): Promise<string> {
  return new SignJWT({ cnf: { jwk: { ...issuance.confirmationJwk, alg: 'ES256' } } })
    .setProtectedHeader({ alg: 'ES256', typ: 'wit+jwt', kid: issuance.keyId })
    .setIssuer(issuance.issuer)
    .setSubject(issuance.subject)
    .setIssuedAt(Math.floor(issuance.issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(issuance.expiresAt.getTime() / 1000))
    .setJti(randomUUID())
    .sign(issuance.signingKey);
}
