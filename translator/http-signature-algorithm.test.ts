import { constants, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import {
  httpSignatureAlgorithmForKey,
  signSignatureBase,
  verifySignatureBase,
  type HttpSignatureAlgorithm,
} from './http-signature-algorithm.js';

const base = '"@method": POST\n"@signature-params": ("@method");created=1618884473';
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
const ed25519 = generateKeyPairSync('ed25519');
const x25519 = generateKeyPairSync('x25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });

describe('httpSignatureAlgorithmForKey', () => {
  it.each<[string, KeyObject, string | undefined, HttpSignatureAlgorithm | undefined]>([
    ['a P-256 key', p256.publicKey, undefined, 'ecdsa-p256-sha256'],
    ['a P-256 key with alg ES256', p256.publicKey, 'ES256', 'ecdsa-p256-sha256'],
    ['a P-384 key with alg ES384', p384.publicKey, 'ES384', 'ecdsa-p384-sha384'],
    ['an Ed25519 key with alg EdDSA', ed25519.publicKey, 'EdDSA', 'ed25519'],
    ['an Ed25519 key with alg Ed25519', ed25519.publicKey, 'Ed25519', 'ed25519'],
    ['a P-256 key with alg ES384', p256.publicKey, 'ES384', undefined],
    ['a P-384 key with alg ES256', p384.publicKey, 'ES256', undefined],
    ['a P-256 key with an unknown alg', p256.publicKey, 'HS256', undefined],
    ['a P-521 key', p521.publicKey, undefined, undefined],
    ['a secp256k1 key', secp256k1.publicKey, undefined, undefined],
    ['an X25519 key', x25519.publicKey, undefined, undefined],
    ['an RSA key', rsa.publicKey, undefined, undefined],
    ['an RSA-PSS key', rsaPss.publicKey, undefined, undefined],
  ])('answers for %s', (_name, key, jwsAlg, expected) => {
    expect(httpSignatureAlgorithmForKey(key, jwsAlg)).toBe(expected);
  });
});

describe('signSignatureBase and verifySignatureBase', () => {
  it.each<[HttpSignatureAlgorithm, KeyObject, KeyObject, number, (signature: Uint8Array) => boolean]>([
    [
      'ecdsa-p256-sha256',
      p256.privateKey,
      p256.publicKey,
      64,
      (signature) =>
        verify('sha256', Buffer.from(base), { key: p256.publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    ],
    [
      'ecdsa-p384-sha384',
      p384.privateKey,
      p384.publicKey,
      96,
      (signature) =>
        verify('sha384', Buffer.from(base), { key: p384.publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    ],
    [
      'ed25519',
      ed25519.privateKey,
      ed25519.publicKey,
      64,
      (signature) => verify(null, Buffer.from(base), ed25519.publicKey, signature),
    ],
    [
      'rsa-pss-sha512',
      rsaPss.privateKey,
      rsaPss.publicKey,
      256,
      (signature) =>
        verify(
          'sha512',
          Buffer.from(base),
          { key: rsaPss.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
          signature,
        ),
    ],
  ])(
    'signs %s as RFC 9421 §3.3 says (ECDSA as raw r||s, the SHA-2 of its size, PSS with a 64-byte salt) and verifies it',
    (algorithm, privateKey, publicKey, length, independentlyValid) => {
      const signature = signSignatureBase(algorithm, privateKey, base);
      expect(signature).toHaveLength(length);
      expect(independentlyValid(signature)).toBe(true);
      expect(verifySignatureBase(algorithm, publicKey, base, signature)).toBe(true);
      expect(verifySignatureBase(algorithm, publicKey, `${base} `, signature)).toBe(false);
    },
  );

  it("signs rsa-pss-sha512 with an RSA key of either type (the RFC's test-key-rsa-pss is a plain RSA key)", () => {
    const signature = signSignatureBase('rsa-pss-sha512', rsa.privateKey, base);
    expect(verifySignatureBase('rsa-pss-sha512', rsa.publicKey, base, signature)).toBe(true);
  });

  it('answers false, without throwing, when the key refuses the digest (an RSA-PSS key restricted to SHA-256)', () => {
    const restricted = generateKeyPairSync('rsa-pss', {
      modulusLength: 2048,
      hashAlgorithm: 'sha256',
      mgf1HashAlgorithm: 'sha256',
    });
    expect(
      verifySignatureBase('rsa-pss-sha512', restricted.publicKey, base, new Uint8Array(256).fill(1)),
    ).toBe(false);
  });

  it('verifies the base as UTF-8 bytes', () => {
    const utf8Base = '"x-name": Zoë';
    const signature = sign('sha256', Buffer.from(utf8Base, 'utf8'), {
      key: p256.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    expect(verifySignatureBase('ecdsa-p256-sha256', p256.publicKey, utf8Base, signature)).toBe(true);
    const own = signSignatureBase('ecdsa-p256-sha256', p256.privateKey, utf8Base);
    expect(
      verify(
        'sha256',
        Buffer.from(utf8Base, 'utf8'),
        { key: p256.publicKey, dsaEncoding: 'ieee-p1363' },
        own,
      ),
    ).toBe(true);
  });

  it('refuses a PSS signature with another salt length and a DER-encoded ECDSA signature', () => {
    const shortSalt = sign('sha512', Buffer.from(base), {
      key: rsaPss.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    expect(verifySignatureBase('rsa-pss-sha512', rsaPss.publicKey, base, shortSalt)).toBe(false);
    const der = sign('sha256', Buffer.from(base), p256.privateKey);
    expect(verifySignatureBase('ecdsa-p256-sha256', p256.publicKey, base, der)).toBe(false);
  });

  it('refuses to sign with a public key or a key of another algorithm', () => {
    expect(() => signSignatureBase('ecdsa-p256-sha256', p256.publicKey, base)).toThrow(
      'the signing key does not fit ecdsa-p256-sha256',
    );
    expect(() => signSignatureBase('ecdsa-p256-sha256', p384.privateKey, base)).toThrow(
      'the signing key does not fit ecdsa-p256-sha256',
    );
  });

  it('answers false, without throwing, for a private key, a key of another algorithm or bytes of any length', () => {
    const signature = signSignatureBase('ecdsa-p256-sha256', p256.privateKey, base);
    expect(verifySignatureBase('ecdsa-p256-sha256', p256.privateKey, base, signature)).toBe(false);
    expect(verifySignatureBase('ecdsa-p384-sha384', p256.publicKey, base, signature)).toBe(false);
    expect(verifySignatureBase('ecdsa-p256-sha256', p256.publicKey, base, signature.subarray(1))).toBe(false);
    expect(verifySignatureBase('ecdsa-p256-sha256', p256.publicKey, base, new Uint8Array(0))).toBe(false);
    expect(
      verifySignatureBase('rsa-pss-sha512', rsaPss.publicKey, base, new Uint8Array(512).fill(0xff)),
    ).toBe(false);
  });
});
