import { createPrivateKey, createPublicKey } from 'node:crypto';
import { parseDictionary, serializeInnerList, type InnerList } from 'structured-headers';
import { checkContentDigest, contentDigest } from './content-digest.js';
import type { HttpMessage } from './http-message.js';
import {
  signSignatureBase,
  verifySignatureBase,
  type HttpSignatureAlgorithm,
} from './http-signature-algorithm.js';
import {
  b21Minimal,
  b23FullCoverage,
  b24EcdsaResponse,
  b26Ed25519Request,
  contentDigestExamples,
  eccP256PrivateKeyPem,
  eccP256PublicKeyPem,
  ed25519PrivateKeyPem,
  ed25519PublicKeyPem,
  rsaPssPublicKeyPem,
  testRequest,
  testResponse,
  wimseCallerJwk,
  wimseSignedRequest,
  type SignatureVector,
} from '../test/support/rfc9421-test-vectors.js';
import { buildSignatureBase, serializeSignatureParams } from './signature-base.js';

const created = 1618884473;

const vectors: [
  SignatureVector,
  HttpMessage,
  Map<string, string | number>,
  HttpSignatureAlgorithm,
  string,
][] = [
  [
    b21Minimal,
    testRequest,
    new Map<string, string | number>([
      ['created', created],
      ['keyid', 'test-key-rsa-pss'],
      ['nonce', 'b3k2pp5k7z-50gnwp.yemd'],
    ]),
    'rsa-pss-sha512',
    rsaPssPublicKeyPem,
  ],
  [
    b23FullCoverage,
    testRequest,
    new Map<string, string | number>([
      ['created', created],
      ['keyid', 'test-key-rsa-pss'],
    ]),
    'rsa-pss-sha512',
    rsaPssPublicKeyPem,
  ],
  [
    b24EcdsaResponse,
    testResponse,
    new Map<string, string | number>([
      ['created', created],
      ['keyid', 'test-key-ecc-p256'],
    ]),
    'ecdsa-p256-sha256',
    eccP256PublicKeyPem,
  ],
  [
    b26Ed25519Request,
    testRequest,
    new Map<string, string | number>([
      ['created', created],
      ['keyid', 'test-key-ed25519'],
    ]),
    'ed25519',
    ed25519PublicKeyPem,
  ],
];

describe('RFC 9421 Appendix B conformance', () => {
  it.each(vectors.map((row) => [row[0].section, ...row] as const))(
    'serialises the signature parameters of %s exactly as published',
    (_section, vector, _message, parameters) => {
      expect(serializeSignatureParams(vector.components, parameters)).toBe(vector.signatureParams);
    },
  );

  it.each(vectors.map((row) => [row[0].section, ...row] as const))(
    'reproduces the signature base of %s byte for byte',
    (_section, vector, message) => {
      expect(buildSignatureBase(message, vector.components, vector.signatureParams)).toBe(
        vector.signatureBase,
      );
    },
  );

  it.each(vectors.map((row) => [row[0].section, ...row] as const))(
    'verifies the published signature of %s with the published key',
    (_section, vector, message, _parameters, algorithm, publicKeyPem) => {
      const base = buildSignatureBase(message, vector.components, vector.signatureParams);
      const signature = Buffer.from(vector.signature, 'base64');
      expect(verifySignatureBase(algorithm, createPublicKey(publicKeyPem), base, signature)).toBe(true);
    },
  );

  it.each(vectors.map((row) => [row[0].section, ...row] as const))(
    'rejects the published signature of %s over a base with one byte changed',
    (_section, vector, message, _parameters, algorithm, publicKeyPem) => {
      const base = buildSignatureBase(message, vector.components, vector.signatureParams).replace('"', "'");
      const signature = Buffer.from(vector.signature, 'base64');
      expect(verifySignatureBase(algorithm, createPublicKey(publicKeyPem), base, signature)).toBe(false);
    },
  );

  it('reproduces the B.2.6 ed25519 signature exactly (Ed25519 is deterministic)', () => {
    const signature = signSignatureBase(
      'ed25519',
      createPrivateKey(ed25519PrivateKeyPem),
      b26Ed25519Request.signatureBase,
    );
    expect(Buffer.from(signature).toString('base64')).toBe(b26Ed25519Request.signature);
  });

  it('signs with test-key-ecc-p256 so that the B.1.3 public key verifies it (ECDSA is randomised)', () => {
    const base = b24EcdsaResponse.signatureBase;
    const signature = signSignatureBase('ecdsa-p256-sha256', createPrivateKey(eccP256PrivateKeyPem), base);
    expect(signature).toHaveLength(64);
    expect(
      verifySignatureBase('ecdsa-p256-sha256', createPublicKey(eccP256PublicKeyPem), base, signature),
    ).toBe(true);
  });

  it('rejects the B.2.4 signature when the verifier is handed the ed25519 key instead', () => {
    const signature = Buffer.from(b24EcdsaResponse.signature, 'base64');
    const base = b24EcdsaResponse.signatureBase;
    expect(
      verifySignatureBase('ecdsa-p256-sha256', createPublicKey(ed25519PublicKeyPem), base, signature),
    ).toBe(false);
  });
});

describe('RFC 9421 §2.1 HTTP field examples', () => {
  // The §2.1 message (its Cache-Control lines aside: the model receives repeated fields joined),
  // with the whitespace before the fold that RFC 9112 §5.2's obs-fold (OWS CRLF RWS) allows.
  const message: HttpMessage = {
    method: 'GET',
    scheme: 'https',
    authority: 'www.example.com',
    target: '/xyz',
    headers: {
      host: 'www.example.com',
      date: 'Sat, 07 Jun 2014 20:51:35 GMT',
      'x-ows-header': '   Leading and trailing whitespace.   ',
      'x-obs-fold-header': 'Obsolete \r\n    line folding.',
      'example-dict': ' a=1,    b=2;x=1;y=2,   c=(a   b   c)',
      'x-empty-header': '',
    },
  };

  it('gives the component values of the §2.1 example', () => {
    const base = buildSignatureBase(
      message,
      ['host', 'date', 'x-ows-header', 'x-obs-fold-header', 'example-dict', 'x-empty-header'],
      '()',
    );
    expect(base.split('\n')).toEqual([
      '"host": www.example.com',
      '"date": Sat, 07 Jun 2014 20:51:35 GMT',
      '"x-ows-header": Leading and trailing whitespace.',
      '"x-obs-fold-header": Obsolete line folding.',
      '"example-dict": a=1,    b=2;x=1;y=2,   c=(a   b   c)',
      '"x-empty-header": ',
      '"@signature-params": ()',
    ]);
  });
});

describe('RFC 9530 Content-Digest examples', () => {
  it.each(contentDigestExamples.map((example) => [JSON.stringify(example.body), example] as const))(
    'computes the published sha-256 digest of %s',
    (_name, example) => {
      const body = new TextEncoder().encode(example.body);
      expect(contentDigest(body)).toBe(example.contentDigest);
      expect(checkContentDigest(example.contentDigest, body)).toBe('match');
    },
  );

  it('checks the sha-512 Content-Digest of the RFC 9421 test request and test response', () => {
    expect(checkContentDigest(testRequest.headers['content-digest'], testRequest.body)).toBe('match');
    expect(checkContentDigest(testResponse.headers['content-digest'], testResponse.body)).toBe('match');
  });
});

describe('draft-ietf-wimse-http-signature-08 §3.6 example', () => {
  const request = {
    method: wimseSignedRequest.method,
    scheme: wimseSignedRequest.scheme,
    authority: wimseSignedRequest.authority,
    target: wimseSignedRequest.target,
    headers: { 'workload-identity-token': wimseSignedRequest.workloadIdentityToken },
  };
  const member = parseDictionary(wimseSignedRequest.signatureInput).get('wimse') as InnerList;
  const components = member[0].map(([name]) => name as string);

  it('round-trips the profile Signature-Input through the structured-field parser unchanged', () => {
    expect(`wimse=${serializeInnerList(member)}`).toBe(wimseSignedRequest.signatureInput);
    expect(components).toEqual(['@method', '@request-target', 'workload-identity-token']);
  });

  it("reproduces the caller's Ed25519 signature over @method, @request-target and the WIT exactly", () => {
    const base = buildSignatureBase(request, components, serializeInnerList(member));
    const key = createPrivateKey({ format: 'jwk', key: wimseCallerJwk });
    const signature = Buffer.from(signSignatureBase('ed25519', key, base)).toString('base64');
    expect(`wimse=:${signature}:`).toBe(wimseSignedRequest.signature);
  });
});
