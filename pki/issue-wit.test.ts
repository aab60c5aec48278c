import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, type JWK } from 'jose';
import { issueWit } from './issue-wit.js';

// The WIT's own rules (pki-authority.test.ts checks a WIT end to end with a P-256 workload key):
// the workload key it binds must be an EC key of a curve WIT-SVID lists, and `cnf.jwk.alg` names
// that curve's algorithm.

const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const issuedAt = new Date('2026-12-06T03:00:00.500Z');

async function witFor(confirmationJwk: JWK): Promise<string> {
  return issueWit({
    signingKey,
    keyId: 'kid-1',
    issuer: 'spiffe://zone-a.example',
    subject: 'spiffe://zone-a.example/ns/shop/sa/web',
    confirmationJwk,
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + 300_000),
  });
}

async function publicJwk(type: 'ec' | 'rsa' | 'ed25519', namedCurve?: string): Promise<JWK> {
  const { publicKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: namedCurve ?? 'P-256' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  return exportJWK(publicKey);
}

describe('issueWit', () => {
  it.each([
    ['P-256', 'ES256'],
    ['P-384', 'ES384'],
  ])('binds an EC %s workload key with cnf.jwk.alg %s', async (curve, alg) => {
    const jwk = await publicJwk('ec', curve);
    const token = await witFor(jwk);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'wit+jwt', kid: 'kid-1' });
    const claims = decodeJwt(token);
    expect(claims.cnf).toEqual({ jwk: { ...jwk, alg } });
    expect(claims.iat).toBe(Math.floor(issuedAt.getTime() / 1000));
    expect(claims.nbf).toBe(claims.iat);
  });

  it.each([
    ['an EC P-521 key', () => publicJwk('ec', 'P-521')],
    ['an RSA key', () => publicJwk('rsa')],
    // An OKP key has a `crv` too (Ed25519): the key type is checked, not only the curve.
    ['an Ed25519 key', () => publicJwk('ed25519')],
    [
      'a key claiming P-256 without being EC',
      async () => ({ ...(await publicJwk('ed25519')), crv: 'P-256' }),
    ],
  ])('refuses to bind %s', async (_name, jwk) => {
    await expect(witFor(await jwk())).rejects.toThrow('a WIT binds an EC P-256 or P-384 workload key');
  });
});
