import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { calculateJwkThumbprint } from 'jose';
import { createTestZone, type TestZone } from '../../test/support/test-zone.js';
import {
  parseSpiffeBundle,
  renderSpiffeBundle,
  spiffeBundleRoots,
  witSvidBundleKey,
  x509SvidBundleKey,
} from './spiffe-bundle.js';

let zoneA: TestZone;
let zoneB: TestZone;

beforeAll(async () => {
  [zoneA, zoneB] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
});

describe('x509SvidBundleKey', () => {
  it('renders a root as an EC JWK with use x509-svid and the DER root in x5c', () => {
    const key = x509SvidBundleKey(zoneA.rootPem);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'x509-svid' });
    expect(new X509Certificate(Buffer.from(key.x5c[0], 'base64')).fingerprint256).toBe(
      zoneA.root.fingerprint256,
    );
  });
});

describe('witSvidBundleKey', () => {
  it("renders a root's public key as an ES256 wit-svid key whose kid is its RFC 7638 thumbprint", async () => {
    const key = witSvidBundleKey(zoneA.rootPem);
    const { x, y } = zoneA.root.publicKey.export({ format: 'jwk' });
    expect(key).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x,
      y,
      use: 'wit-svid',
      alg: 'ES256',
      kid: expect.any(String) as string,
    });
    expect(key.kid).toBe(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: x ?? '', y: y ?? '' }));
    expect(witSvidBundleKey(zoneB.rootPem).kid).not.toBe(key.kid);
  });
});

describe('witSvidBundleKey: only an EC P-256 root signs WITs', () => {
  it.each([
    ['ECDSA P-384', { name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
    [
      'RSA-2048',
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      { name: 'RSASSA-PKCS1-v1_5' },
    ],
  ] as const)('refuses a root with an %s key', async (_name, algorithm, signingAlgorithm) => {
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=zone-x.example root',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 60_000),
      keys,
      signingAlgorithm,
    });
    expect(() => witSvidBundleKey(root.toString('pem'))).toThrow(
      'a zone root must have an EC P-256 key to sign WITs',
    );
    expect(witSvidBundleKey(zoneA.rootPem)).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
  });
});

describe('renderSpiffeBundle and parseSpiffeBundle', () => {
  it('carries an x509-svid and a wit-svid key per root', () => {
    const document = renderSpiffeBundle([zoneA.rootPem, zoneB.rootPem], 1);
    expect(document.keys.map((key) => key.use)).toEqual(['x509-svid', 'x509-svid', 'wit-svid', 'wit-svid']);
    expect(document.keys.slice(2)).toEqual([
      witSvidBundleKey(zoneA.rootPem),
      witSvidBundleKey(zoneB.rootPem),
    ]);
  });

  it('reads back the roots and sequence it rendered, in order', () => {
    const document = renderSpiffeBundle([zoneA.rootPem, zoneB.rootPem], 7);
    const parsed = parseSpiffeBundle(JSON.stringify(document));
    expect(parsed?.spiffe_sequence).toBe(7);
    expect(parsed === undefined ? [] : spiffeBundleRoots(parsed)).toEqual([
      zoneA.root.raw.toString('base64'),
      zoneB.root.raw.toString('base64'),
    ]);
  });

  it.each([
    ['text that is not JSON', '{"keys": ['],
    ['a JSON value that is not an object', '42'],
    ['a document without keys', '{"spiffe_sequence": 1}'],
    ['a document without a sequence', '{"keys": []}'],
    ['a fractional sequence', '{"keys": [], "spiffe_sequence": 1.5}'],
    [
      'a key of another use',
      '{"keys": [{"kty": "EC", "use": "jwt-svid", "kid": "k"}], "spiffe_sequence": 1}',
    ],
    [
      'a wit-svid key without kid',
      '{"keys": [{"kty": "EC", "use": "wit-svid", "alg": "ES256"}], "spiffe_sequence": 1}',
    ],
    [
      'a wit-svid key without alg',
      '{"keys": [{"kty": "EC", "use": "wit-svid", "kid": "k"}], "spiffe_sequence": 1}',
    ],
    [
      'a key of another use that carries a certificate',
      '{"keys": [{"kty": "EC", "use": "jwt-svid", "x5c": ["AA=="]}], "spiffe_sequence": 1}',
    ],
    [
      'a key whose certificate is not a string',
      '{"keys": [{"kty": "EC", "use": "x509-svid", "x5c": [1]}], "spiffe_sequence": 1}',
    ],
    ['a key without x5c', '{"keys": [{"kty": "EC", "use": "x509-svid"}], "spiffe_sequence": 1}'],
    [
      'a key with two certificates',
      '{"keys": [{"kty": "EC", "use": "x509-svid", "x5c": ["AA==", "AA=="]}], "spiffe_sequence": 1}',
    ],
    ['a key that is null', '{"keys": [null], "spiffe_sequence": 1}'],
    ['a key without kty', '{"keys": [{"use": "x509-svid", "x5c": ["AA=="]}], "spiffe_sequence": 1}'],
    [
      'a well-formed key beside a malformed one',
      '{"keys": [{"kty": "EC", "use": "x509-svid", "x5c": ["AA=="]}, {"kty": "EC"}], "spiffe_sequence": 1}',
    ],
    ['JSON null', 'null'],
  ])('treats %s as no bundle', (_, text) => {
    expect(parseSpiffeBundle(text)).toBeUndefined();
  });
});
