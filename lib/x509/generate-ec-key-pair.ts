import { webcrypto } from 'node:crypto';

/**
 * ECDSA P-256 with SHA-256: the one key type of Accord's SVIDs, roots and WIT keys. One fixed
 * algorithm keeps every verifier (Envoy, jose, node:tls) on the same, widely supported curve.
 */
export const ecdsaP256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Generates an extractable EC P-256 key pair (extractable so it can be written as PKCS#8 PEM). */
export async function generateEcKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ecdsaP256, true, ['sign', 'verify']);
}
