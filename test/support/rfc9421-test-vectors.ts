/**
 * Published test vectors, copied verbatim so the tests check this implementation against bytes
 * other implementations produced, not only against itself.
 *
 * - RFC 9421 (HTTP Message Signatures), Appendix B.1 (test keys) and B.2 (the test request and
 *   response, and signatures B.2.1 minimal, B.2.4 ecdsa-p256-sha256 over the response, B.2.6
 *   ed25519 over the request). https://www.rfc-editor.org/rfc/rfc9421#appendix-B
 * - RFC 9530 (Digest Fields), the `Content-Digest` examples of §2 and Appendix B.
 * - draft-ietf-wimse-http-signature-08 §3.6, Figures 1 and 2: the profile's own signed request
 *   (RFC 8792 line wrapping undone).
 */

/** RFC 9421 B.1.2 `test-key-rsa-pss`, public key (SPKI). */
export const rsaPssPublicKeyPem = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----`;

/** RFC 9421 B.1.3 `test-key-ecc-p256`, public key (SPKI). */
export const eccP256PublicKeyPem = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf
w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END PUBLIC KEY-----`;

/** RFC 9421 B.1.3 `test-key-ecc-p256`, private key (SEC1). */
export const eccP256PrivateKeyPem = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIFKbhfNZfpDsW43+0+JjUr9K+bTeuxopu653+hBaXGA7oAoGCCqGSM49
AwEHoUQDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lfw0EkjqF7xB4FivAxzic30tMM
4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END EC PRIVATE KEY-----`;

/** RFC 9421 B.1.4 `test-key-ed25519`, public key (SPKI). */
export const ed25519PublicKeyPem = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----`;

/** RFC 9421 B.1.4 `test-key-ed25519`, private key (PKCS#8). */
export const ed25519PrivateKeyPem = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----`;

/** RFC 9421 B.2 `test-request`: POST https://example.com/foo?param=Value&Pet=dog. */
export const testRequest = {
  method: 'POST',
  scheme: 'https',
  authority: 'example.com',
  target: '/foo?param=Value&Pet=dog',
  headers: {
    host: 'example.com',
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-digest':
      'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'content-length': '18',
  },
  body: new TextEncoder().encode('{"hello": "world"}'),
} as const;

/** RFC 9421 B.2 `test-response`: 200 with a JSON body. */
export const testResponse = {
  status: 200,
  headers: {
    date: 'Tue, 20 Apr 2021 02:07:56 GMT',
    'content-type': 'application/json',
    'content-digest':
      'sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:',
    'content-length': '23',
  },
  body: new TextEncoder().encode('{"message": "good dog"}'),
} as const;

/** One RFC 9421 Appendix B.2 signature: what is covered, the exact base, the published signature. */
export interface SignatureVector {
  section: string;
  label: string;
  components: readonly string[];
  /** The `Signature-Input` member value (= the `@signature-params` value). */
  signatureParams: string;
  signatureBase: string;
  /** The published signature, base64 (the bytes between the colons of `Signature`). */
  signature: string;
}

/** RFC 9421 B.2.1: minimal signature (no components), rsa-pss-sha512 with `test-key-rsa-pss`. */
export const b21Minimal: SignatureVector = {
  section: 'B.2.1',
  label: 'sig-b21',
  components: [],
  signatureParams: '();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
  signatureBase:
    '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
  signature:
    'd2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==',
};

/** RFC 9421 B.2.3: full coverage, rsa-pss-sha512 (signature base only: exercises @path/@query). */
export const b23FullCoverage: SignatureVector = {
  section: 'B.2.3',
  label: 'sig-b23',
  components: [
    'date',
    '@method',
    '@path',
    '@query',
    '@authority',
    'content-type',
    'content-digest',
    'content-length',
  ],
  signatureParams:
    '("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
  signatureBase: [
    '"date": Tue, 20 Apr 2021 02:07:55 GMT',
    '"@method": POST',
    '"@path": /foo',
    '"@query": ?param=Value&Pet=dog',
    '"@authority": example.com',
    '"content-type": application/json',
    '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    '"content-length": 18',
    '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
  ].join('\n'),
  signature:
    'bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==',
};

/** RFC 9421 B.2.4: signing the response with ecdsa-p256-sha256 (`test-key-ecc-p256`). */
export const b24EcdsaResponse: SignatureVector = {
  section: 'B.2.4',
  label: 'sig-b24',
  components: ['@status', 'content-type', 'content-digest', 'content-length'],
  signatureParams:
    '("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"',
  signatureBase: [
    '"@status": 200',
    '"content-type": application/json',
    '"content-digest": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:',
    '"content-length": 23',
    '"@signature-params": ("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"',
  ].join('\n'),
  signature: 'wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==',
};

/** RFC 9421 B.2.6: signing the request with ed25519 (`test-key-ed25519`); deterministic. */
export const b26Ed25519Request: SignatureVector = {
  section: 'B.2.6',
  label: 'sig-b26',
  components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
  signatureParams:
    '("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  signatureBase: [
    '"date": Tue, 20 Apr 2021 02:07:55 GMT',
    '"@method": POST',
    '"@path": /foo',
    '"@authority": example.com',
    '"content-type": application/json',
    '"content-length": 18',
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  ].join('\n'),
  signature: 'wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==',
};

/**
 * RFC 9530 `Content-Digest` examples: §2 (`{"hello": "world"}`) and Appendix B
 * (`{"hello": "world"}` with a trailing LF, and the empty representation).
 */
export const contentDigestExamples: readonly { body: string; contentDigest: string }[] = [
  { body: '{"hello": "world"}', contentDigest: 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:' },
  { body: '{"hello": "world"}\n', contentDigest: 'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:' },
  { body: '', contentDigest: 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:' },
];

/** draft-ietf-wimse-http-signature-08 §3.6 Figure 1: the caller's Ed25519 key (JWK). */
export const wimseCallerJwk = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'HQdG2ekHF4COyoHNYvCh2fMHhIaKvkrStjmyfndFyGI',
  x: 'ZjlVT4COsCkQO9HIo6tDWAXayQ0MymoFUKJRIQ7S8R8',
} as const;

/** draft-ietf-wimse-http-signature-08 §3.6 Figure 2: the signed request (GET, no body). */
export const wimseSignedRequest = {
  method: 'GET',
  scheme: 'https',
  authority: 'svcb.example.com',
  target: '/gimme-ice-cream?flavor=vanilla',
  workloadIdentityToken: [
    'eyJhbGciOiJFZERTQSIsImtpZCI6Imlzc3Vlci1rZXk',
    'iLCJ0eXAiOiJ3aXQrand0In0.eyJjbmYiOnsiandrIjp7ImFsZyI6IkVkRFNBIiwiY3J',
    '2IjoiRWQyNTUxOSIsImtpZCI6InN2Yy1hLWtleSIsImt0eSI6Ik9LUCIsIngiOiJaamx',
    'WVDRDT3NDa1FPOUhJbzZ0RFdBWGF5UTBNeW1vRlVLSlJJUTdTOFI4In19LCJleHAiOjE',
    '3ODUxNTYwOTcsImlhdCI6MTc4NTE1NTc5NywiaXNzIjoiaHR0cHM6Ly9leGFtcGxlLmN',
    'vbS9pc3N1ZXIiLCJqdGkiOiJ3aXQtMTc4NTE1NTc5NzIxNjU0NTcxOSIsInN1YiI6Ind',
    'pbXNlOi8vZXhhbXBsZS5jb20vc3ZjQSJ9.BqJfcsbrYlS9GSQ7NpFBBVz4CeszShqleI',
    'yr2sSnd0Ic6l2HXX27giZcdAOGnXjtv_7h-9vV16GZbVcrQt6hCg',
  ].join(''),
  signatureInput:
    'wimse=("@method" "@request-target" "workload-identity-token");created=1785155797;expires=1785156097;nonce="abcd1111";tag="wimse-workload-to-workload";wimse-aud="https://svcb.example.com/gimme-ice-cream";wimse-sign-response',
  signature:
    'wimse=:zSK+kx5EnoZct9FZ6LMYzfx0mk32oI/hHpB7y4rgHxkRDcAA72yBW5xgzA03nKviXLjL7nphq840Uwznp6IKAw==:',
} as const;
