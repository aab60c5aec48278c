import { createPublicKey, generateKeyPairSync, sign, type JsonWebKey } from 'node:crypto';
import type { JSONWebKeySet, JWK, JWTPayload } from 'jose';
import { ManualClock } from '../test/support/manual-clock.js';
import type { RejectionReason } from './translator-rejection.js';
import { verifiedWitCacheEntries, verifyWit, type WitVerification } from './verify-wit.js';
import {
  forgedToken,
  rejectionReason,
  testWit,
  testWorkloadKey,
  testZone,
  translatorRejection,
  witClaims,
  witKeysOf,
  type TestWorkloadKey,
  type TestZone,
} from '../test/support/wit-test-fixtures.js';

const now = new Date('2026-11-23T12:00:00Z');
const subjectA = 'spiffe://zone-a.example/ns/shop/sa/frontend';

let zoneA: TestZone;
let zoneB: TestZone;
let zoneC: TestZone;
let workload: TestWorkloadKey;
let verification: WitVerification;

beforeAll(async () => {
  [zoneA, zoneB, zoneC, workload] = await Promise.all([
    testZone('zone-a.example'),
    testZone('zone-b.example'),
    testZone('zone-c.example'),
    testWorkloadKey(),
  ]);
  // The receiver (zone B) trusts its own bundle and zone A's; zone C has no contract with B.
  verification = { witKeys: witKeysOf(zoneA, zoneB), clock: new ManualClock(now), clockSkewSeconds: 5 };
});

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const zonePublicKeyPem = (zone: TestZone) => {
  const jwk = zone.bundle.keys.find((key) => key.use === 'wit-svid') as JsonWebKey;
  return createPublicKey({ format: 'jwk', key: jwk }).export({ type: 'spki', format: 'pem' }).toString();
};

function rejectionOf(token: string, options: Partial<WitVerification> = {}): Promise<RejectionReason> {
  return rejectionReason(verifyWit(token, { ...verification, ...options }));
}

/** The header zone A's PKI puts on its WITs. */
const header = () => ({ alg: 'ES256', typ: 'wit+jwt', kid: zoneA.keyId });
/** The claims of a genuine WIT of zone A's frontend, bound to the workload's key. */
const claims = () => witClaims(subjectA, workload.publicJwk, now);
/** `claims()` without the claim `name`. */
const claimsWithout = (name: string) =>
  Object.fromEntries(Object.entries(claims()).filter(([claim]) => claim !== name));
/** `claimSet` under `headerSet`, signed by zone A's WIT key (the genuine header and claims by default). */
const signedWith = (
  claimSet: JWTPayload = claims(),
  headerSet: Parameters<typeof forgedToken>[1] = header(),
) => forgedToken(zoneA.signingKey, headerSet, claimSet);

describe('verifyWit', () => {
  it('verifies a WIT issued by the PKI and returns the workload and its confirmation key', async () => {
    const token = await testWit(zoneA, workload, { issuedAt: now });
    const verified = await verifyWit(token, verification);
    expect(verified.workload.uri).toBe(subjectA);
    expect(verified.issuer).toBe('spiffe://zone-a.example');
    expect(verified.expiresAt).toEqual(new Date(now.getTime() + 3600_000));
    expect(verified.issuedAt).toEqual(now);
    expect(verified.confirmationAlgorithm).toBe('ecdsa-p256-sha256');
    expect(verified.confirmationKey.export({ format: 'jwk' })).toMatchObject({ x: workload.publicJwk.x });
  });

  it.each(['exp', 'iat', 'iss'])('refuses a WIT without %s', async (claim) => {
    const token = await signedWith(claimsWithout(claim));
    expect(await rejectionOf(token)).toBe('wit_claims_invalid');
  });

  it.each(['iat', 'nbf', 'exp'])(
    'refuses a WIT whose %s is not a number as wit_claims_invalid',
    async (claim) => {
      const token = await signedWith({ ...claims(), [claim]: 'yesterday' });
      expect(await rejectionOf(token)).toBe('wit_claims_invalid');
    },
  );

  it("verifies a WIT of the receiver's own zone against its own bundle", async () => {
    const token = await testWit(zoneB, workload, { path: '/ns/api/sa/backend', issuedAt: now });
    await expect(verifyWit(token, verification)).resolves.toMatchObject({
      workload: { uri: 'spiffe://zone-b.example/ns/api/sa/backend' },
    });
  });

  it('accepts a WIT that expired within the clock skew', async () => {
    const token = await testWit(zoneA, workload, { issuedAt: new Date(now.getTime() - 3603_000) });
    await expect(verifyWit(token, verification)).resolves.toMatchObject({ workload: { uri: subjectA } });
  });

  it('takes a P-384 confirmation key with its algorithm', async () => {
    const key = await testWorkloadKey('P-384');
    const token = await testWit(zoneA, key, { issuedAt: now });
    await expect(verifyWit(token, verification)).resolves.toMatchObject({
      confirmationAlgorithm: 'ecdsa-p384-sha384',
    });
  });

  it('does not bound validity by iat (WIT-SVID §3.6): a later iat with a current nbf is accepted', async () => {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const token = await signedWith({ ...claims(), iat: nowSeconds + 600, nbf: nowSeconds });
    await expect(verifyWit(token, verification)).resolves.toMatchObject({ workload: { uri: subjectA } });
  });

  // A value that is not a JWS, a WIT of a trust domain with no bundle (zone C, no contract), one
  // signed with RS256, a plain JWT (typ JWT), an expired WIT and a sub that is not a SPIFFE ID are
  // refused with these reasons and their messages below ("the reason and message of each refusal").
  const attacks: [string, () => Promise<string>, RejectionReason][] = [
    [
      "a WIT for zone A's workload signed by zone B's key (no merged pool: B cannot vouch for A)",
      () => forgedToken(zoneB.signingKey, { alg: 'ES256', typ: 'wit+jwt', kid: zoneB.keyId }, claims()),
      'wit_unknown_key',
    ],
    [
      "a WIT signed by a key not in the bundle, reusing the bundle key's kid",
      () => forgedToken(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, header(), claims()),
      'wit_bad_signature',
    ],
    [
      'a WIT carrying its own verification key in the jwk header',
      async () => {
        const attacker = await testWorkloadKey();
        return forgedToken(attacker.privateKey, { ...header(), jwk: attacker.publicJwk }, claims());
      },
      'wit_bad_signature',
    ],
    [
      'a WIT with alg none',
      () =>
        Promise.resolve(
          `${base64url({ alg: 'none', typ: 'wit+jwt', kid: zoneA.keyId })}.${base64url(claims())}.`,
        ),
      'wit_alg_not_allowed',
    ],
    [
      "a WIT MACed with HS256 using the zone's public key as the secret (algorithm confusion)",
      () => forgedToken(Buffer.from(zonePublicKeyPem(zoneA)), { ...header(), alg: 'HS256' }, claims()),
      'wit_alg_not_allowed',
    ],
    [
      'a WIT signed with ES384 where the bundle key is P-256',
      () =>
        forgedToken(
          generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
          { ...header(), alg: 'ES384' },
          claims(),
        ),
      'wit_unknown_key',
    ],
    [
      'a WIT issued in the future',
      () => testWit(zoneA, workload, { issuedAt: new Date(now.getTime() + 60_000) }),
      'wit_not_yet_valid',
    ],
    [
      'a WIT not valid before a later nbf',
      () => signedWith({ ...claims(), nbf: Math.floor(now.getTime() / 1000) + 60 }),
      'wit_not_yet_valid',
    ],
    ['a WIT without cnf', () => signedWith(claimsWithout('cnf')), 'wit_bad_confirmation_key'],
    [
      'a WIT whose cnf.jwk is a private key',
      () => {
        const privateJwk = workload.privateKey.export({ format: 'jwk' }) as JWK;
        return signedWith(witClaims(subjectA, privateJwk, now));
      },
      'wit_bad_confirmation_key',
    ],
    // SPIFFE WIT-SVID conformance (§2.1 kid, §2.3 alg, §3.2 cnf.jwk.alg).
    [
      'a WIT signed with EdDSA, which WIT-SVID does not allow, even with an Ed25519 key in the bundle',
      () => {
        const signer = generateKeyPairSync('ed25519');
        return forgedToken(
          signer.privateKey,
          { alg: 'EdDSA', typ: 'wit+jwt', kid: 'ed-key' },
          witClaims('spiffe://zone-e.example/ns/shop/sa/frontend', workload.publicJwk, now),
        );
      },
      'wit_alg_not_allowed',
    ],
    [
      'a WIT without kid',
      () => forgedToken(zoneA.signingKey, { alg: 'ES256', typ: 'wit+jwt' }, claims()),
      'wit_unknown_key',
    ],
    [
      'a WIT binding an Ed25519 key (cnf.jwk.alg EdDSA is not a WIT-SVID algorithm)',
      async () => {
        const key = await testWorkloadKey('Ed25519');
        return signedWith(witClaims(subjectA, { ...key.publicJwk, alg: 'EdDSA' }, now));
      },
      'wit_bad_confirmation_key',
    ],
    [
      'a WIT whose cnf.jwk has no alg',
      () => {
        const withoutAlg = claims();
        delete (withoutAlg.cnf as { jwk: JWK }).jwk.alg;
        return signedWith(withoutAlg);
      },
      'wit_bad_confirmation_key',
    ],
    [
      'a WIT whose cnf.jwk.alg does not fit its key (ES384 on a P-256 key)',
      () => signedWith(witClaims(subjectA, { ...workload.publicJwk, alg: 'ES384' }, now)),
      'wit_bad_confirmation_key',
    ],
  ];

  /** Zone A's bundle with its WIT key changed by `change`, beside the zone's other keys. */
  const zoneAWithKeys = (change: (key: JWK) => JWK[]): WitVerification => {
    const bundle: JSONWebKeySet = {
      keys: zoneA.bundle.keys.flatMap((key) => (key.use === 'wit-svid' ? change(key) : [key])),
    };
    return {
      ...verification,
      witKeys: (trustDomain) => (trustDomain === zoneA.trustDomain ? bundle : undefined),
    };
  };

  it('accepts a WIT whose bundle key has no alg, and a typ in upper case or with the application/ prefix', async () => {
    const token = await testWit(zoneA, workload, { issuedAt: now });
    const withoutAlg = zoneAWithKeys(({ alg: _alg, ...key }) => [key]);
    await expect(verifyWit(token, withoutAlg)).resolves.toMatchObject({ workload: { uri: subjectA } });
    for (const typ of ['WIT+JWT', 'application/wit+jwt']) {
      const typed = await signedWith(claims(), { ...header(), typ });
      await expect(verifyWit(typed, verification)).resolves.toMatchObject({ workload: { uri: subjectA } });
    }
  });

  it('verifies a WIT signed with ES384 by a P-384 wit-svid key of the bundle', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const p384Jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const p384Zone = zoneAWithKeys(() => [{ ...p384Jwk, use: 'wit-svid', kid: zoneA.keyId, alg: 'ES384' }]);
    const token = await forgedToken(privateKey, { ...header(), alg: 'ES384' }, claims());
    await expect(verifyWit(token, p384Zone)).resolves.toMatchObject({ workload: { uri: subjectA } });
  });

  it.each([
    ['two keys with its kid', (key: JWK) => [key, { ...key }]],
    ['its key labelled x509-svid', (key: JWK) => [{ ...key, use: 'x509-svid' }]],
    ['its key with another alg', (key: JWK) => [{ ...key, alg: 'ES384' }]],
    ['its key with a private part', (key: JWK) => [{ ...key, d: 'AAAA' }]],
    ['its key of another type', (key: JWK) => [{ ...key, kty: 'OKP' }]],
    ['its key on another curve', (key: JWK) => [{ ...key, crv: 'P-384' }]],
  ])('refuses a WIT when the bundle holds %s', async (_name, change) => {
    const token = await testWit(zoneA, workload, { issuedAt: now });
    await expect(verifyWit(token, zoneAWithKeys(change))).rejects.toThrow(
      `no single ES256 wit-svid key "${zoneA.keyId}" in the bundle of zone-a.example`,
    );
    expect(await rejectionOf(token, zoneAWithKeys(change))).toBe('wit_unknown_key');
  });

  it.each(attacks)('rejects %s', async (_name, token, reason) => {
    expect(await rejectionOf(await token())).toBe(reason);
  });
});

describe('verifyWit, verified-WIT cache', () => {
  /** A receiver whose trusted bundles can change between calls, as TranslatorFiles' do. */
  const changingReceiver = (clock = new ManualClock(now)) => {
    const bundles = new Map<string, JSONWebKeySet>([[zoneA.trustDomain, structuredClone(zoneA.bundle)]]);
    const receiving: WitVerification = {
      witKeys: (trustDomain) => bundles.get(trustDomain),
      clock,
      clockSkewSeconds: 5,
    };
    return { bundles, receiving, clock };
  };

  it('answers a WIT it verified before from the cache, for the same bundle', async () => {
    const { receiving } = changingReceiver();
    const token = await testWit(zoneA, workload, { issuedAt: now });
    const first = await verifyWit(token, receiving);
    await expect(verifyWit(token, receiving)).resolves.toBe(first);
  });

  it("refuses a cached WIT as soon as its zone's bundle is removed", async () => {
    const { bundles, receiving } = changingReceiver();
    const token = await testWit(zoneA, workload, { issuedAt: now });
    await verifyWit(token, receiving);
    bundles.delete(zoneA.trustDomain);
    expect(await rejectionOf(token, receiving)).toBe('wit_untrusted_domain');
  });

  it('refuses a cached WIT once the bundle no longer holds its signing key (rotation)', async () => {
    const { bundles, receiving } = changingReceiver();
    const token = await testWit(zoneA, workload, { issuedAt: now });
    await verifyWit(token, receiving);
    const rotated = await testZone(zoneA.trustDomain);
    bundles.set(zoneA.trustDomain, rotated.bundle);
    expect(await rejectionOf(token, receiving)).toBe('wit_unknown_key');
    // The same change made in place (not the way bundles are meant to change), even keeping the
    // old `kid` on the new key, is caught too.
    const inPlace = changingReceiver();
    await verifyWit(token, inPlace.receiving);
    const bundle = inPlace.bundles.get(zoneA.trustDomain);
    if (bundle === undefined) throw new Error('no bundle');
    bundle.keys = rotated.bundle.keys.map((key) =>
      key.use === 'wit-svid' ? { ...key, kid: zoneA.keyId } : key,
    );
    expect(await rejectionOf(token, inPlace.receiving)).toBe('wit_bad_signature');
  });

  it('still checks expiry on every call', async () => {
    const { receiving, clock } = changingReceiver();
    const token = await testWit(zoneA, workload, { issuedAt: now, ttlSeconds: 30 });
    await verifyWit(token, receiving);
    clock.advance(20_000);
    await expect(verifyWit(token, receiving)).resolves.toMatchObject({ workload: { uri: subjectA } });
    clock.advance(16_000);
    expect(await rejectionOf(token, receiving)).toBe('wit_expired');
  });

  it('serves a verified WIT from the cache for 60 seconds, then verifies it again', async () => {
    const { receiving, clock } = changingReceiver();
    const token = await testWit(zoneA, workload, { issuedAt: now });
    const first = await verifyWit(token, receiving);
    clock.advance(59_999);
    await expect(verifyWit(token, receiving)).resolves.toBe(first);
    clock.advance(1);
    const again = await verifyWit(token, receiving);
    expect(again).not.toBe(first);
    expect(again.workload).toEqual(first.workload);
  });

  it("judges a cached WIT's expiry as the full check does: whole seconds, to the skew's last second", async () => {
    const { receiving, clock } = changingReceiver();
    const token = await testWit(zoneA, workload, { issuedAt: now, ttlSeconds: 30 });
    const first = await verifyWit(token, receiving);
    clock.advance(34_500);
    await expect(verifyWit(token, receiving)).resolves.toBe(first);
    clock.advance(500);
    expect(await rejectionOf(token, receiving)).toBe('wit_expired');
  });

  it("judges a cached WIT's nbf as the full check does, to the skew's last second", async () => {
    const { receiving, clock } = changingReceiver();
    const nowSeconds = now.getTime() / 1000;
    const token = await signedWith({ ...claims(), nbf: nowSeconds + 5 });
    const first = await verifyWit(token, receiving);
    await expect(verifyWit(token, receiving)).resolves.toBe(first);
    clock.advance(-1000);
    expect(await rejectionOf(token, receiving)).toBe('wit_not_yet_valid');
  });

  it('serves a WIT without nbf from the cache too', async () => {
    const { receiving } = changingReceiver();
    const token = await signedWith();
    const first = await verifyWit(token, receiving);
    await expect(verifyWit(token, receiving)).resolves.toBe(first);
  });

  it(`remembers the last ${verifiedWitCacheEntries} WITs per bundle and forgets the oldest first`, async () => {
    const { receiving } = changingReceiver();
    const tokens = await Promise.all(
      Array.from({ length: verifiedWitCacheEntries + 1 }, (_unused, index) =>
        signedWith({ ...claims(), jti: `wit-${index}` }),
      ),
    );
    const verified = [];
    for (const token of tokens) verified.push(await verifyWit(token, receiving));
    const [oldest = '', second = ''] = tokens;
    await expect(verifyWit(second, receiving)).resolves.toBe(verified[1]);
    const again = await verifyWit(oldest, receiving);
    expect(again).not.toBe(verified[0]);
    expect(again.workload).toEqual(verified[0]?.workload);
  });

  it('does not let a copy of a cached WIT with another signature through', async () => {
    const { receiving } = changingReceiver();
    const token = await testWit(zoneA, workload, { issuedAt: now });
    await verifyWit(token, receiving);
    const [header, payload, signature = ''] = token.split('.');
    const flipped = Buffer.from(signature, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    const tampered = `${header}.${payload}.${flipped.toString('base64url')}`;
    expect(await rejectionOf(tampered, receiving)).toBe('wit_bad_signature');
    // Nor does it become acceptable by being tried twice.
    expect(await rejectionOf(tampered, receiving)).toBe('wit_bad_signature');
  });

  it("reads a cached WIT's header and sub from its own bytes: a copy with another header or sub gets its reason", async () => {
    const { receiving } = changingReceiver();
    const token = await testWit(zoneA, workload, { issuedAt: now });
    const first = await verifyWit(token, receiving);
    const [header = '', payload = '', signature = ''] = token.split('.');
    const decoded = (part: string) =>
      JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
    const withHeader = (change: Record<string, unknown>) =>
      `${base64url({ ...decoded(header), ...change })}.${payload}.${signature}`;
    const withSubject = (sub: string) => `${header}.${base64url({ ...decoded(payload), sub })}.${signature}`;
    expect(await rejectionOf(withHeader({ alg: 'HS256' }), receiving)).toBe('wit_alg_not_allowed');
    expect(await rejectionOf(withHeader({ typ: 'JWT' }), receiving)).toBe('wit_bad_type');
    expect(await rejectionOf(withHeader({ kid: '' }), receiving)).toBe('wit_unknown_key');
    expect(await rejectionOf(withSubject('spiffe://zone-c.example/ns/x/sa/y'), receiving)).toBe(
      'wit_untrusted_domain',
    );
    expect(await rejectionOf(withSubject(`${subjectA}-other`), receiving)).toBe('wit_bad_signature');
    // The original is still answered from the cache.
    await expect(verifyWit(token, receiving)).resolves.toBe(first);
  });
});

describe('verifyWit, the reason and message of each refusal', () => {
  /** The reason and message `token` was refused with: the message is what the log shows. */
  async function refusalOf(
    token: string,
    options: Partial<WitVerification> = {},
  ): Promise<{ reason: RejectionReason; message: string }> {
    const error = await translatorRejection(verifyWit(token, { ...verification, ...options }));
    return { reason: error.reason, message: error.message };
  }

  /** A compact JWS of any header and payload segments, signed ES256 by zone A's key without jose's own header checks. */
  const rawToken = (header: unknown, payloadSegment: string): string => {
    const signingInput = `${base64url(header)}.${payloadSegment}`;
    const signature = sign('sha256', Buffer.from(signingInput), {
      key: zoneA.signingKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${signingInput}.${signature.toString('base64url')}`;
  };
  const withConfirmation = (cnf: unknown) => signedWith({ ...claims(), cnf });

  const refusals: [string, () => Promise<string>, RejectionReason, string][] = [
    [
      'a value that is not a JWS',
      () => Promise.resolve('not-a-token'),
      'wit_malformed',
      'WIT is not a compact JWS',
    ],
    [
      'a header without alg',
      () => Promise.resolve(rawToken({ typ: 'wit+jwt', kid: zoneA.keyId }, base64url(claims()))),
      'wit_alg_not_allowed',
      'WIT algorithm (none) is not allowed',
    ],
    [
      'a header with alg RS256',
      () =>
        forgedToken(
          generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
          { ...header(), alg: 'RS256' },
          claims(),
        ),
      'wit_alg_not_allowed',
      'WIT algorithm "RS256" is not allowed',
    ],
    [
      'a header without typ',
      () => forgedToken(zoneA.signingKey, { alg: 'ES256', kid: zoneA.keyId }, claims()),
      'wit_bad_type',
      'WIT type (none) is not wit+jwt',
    ],
    [
      'a header with typ JWT',
      () => signedWith(claims(), { ...header(), typ: 'JWT' }),
      'wit_bad_type',
      'WIT type "JWT" is not wit+jwt',
    ],
    [
      'a typ with the application/ prefix inside it',
      () => signedWith(claims(), { ...header(), typ: 'x-application/wit+jwt' }),
      'wit_bad_type',
      'WIT type "x-application/wit+jwt" is not wit+jwt',
    ],
    [
      'a header with an empty kid',
      () => forgedToken(zoneA.signingKey, { ...header(), kid: '' }, claims()),
      'wit_unknown_key',
      'WIT has no kid',
    ],
    [
      'a header that decodes with a payload that does not',
      () => Promise.resolve(rawToken(header(), Buffer.from('not json').toString('base64url'))),
      'wit_malformed',
      'WIT payload is not a JWT claims set',
    ],
    ['a payload without sub', () => signedWith(claimsWithout('sub')), 'wit_bad_subject', 'WIT has no sub'],
    [
      'a sub that is not a SPIFFE ID',
      () =>
        signedWith({
          ...claims(),
          sub: 'wimse://zone-a.example/frontend',
        }),
      'wit_bad_subject',
      'WIT sub is not a SPIFFE ID',
    ],
    [
      'a WIT of a trust domain with no bundle',
      () => testWit(zoneC, workload, { issuedAt: now }),
      'wit_untrusted_domain',
      'no bundle is trusted for trust domain zone-c.example',
    ],
    [
      'an expired WIT',
      () => testWit(zoneA, workload, { issuedAt: new Date(now.getTime() - 7200_000) }),
      'wit_expired',
      'WIT verification failed',
    ],
    [
      // jose refuses an unknown critical header parameter before the signature: not a claim failure.
      'a header naming an unknown critical parameter',
      () =>
        Promise.resolve(
          rawToken({ ...header(), crit: ['urn:example:x'], 'urn:example:x': 1 }, base64url(claims())),
        ),
      'wit_malformed',
      'WIT verification failed',
    ],
    [
      // Stripped anywhere but at the start, the prefix would leave wit+jwt; jose would then refuse it with another message.
      'a typ with application/ at its end',
      () => signedWith(claims(), { ...header(), typ: 'wit+jwtapplication/' }),
      'wit_bad_type',
      'WIT type "wit+jwtapplication/" is not wit+jwt',
    ],
    ['a cnf that is null', () => withConfirmation(null), 'wit_bad_confirmation_key', 'WIT has no cnf.jwk'],
    ['a cnf without jwk', () => withConfirmation({}), 'wit_bad_confirmation_key', 'WIT has no cnf.jwk'],
    [
      'a cnf.jwk that is a string',
      () => withConfirmation({ jwk: 'key' }),
      'wit_bad_confirmation_key',
      'WIT has no cnf.jwk',
    ],
    [
      'a cnf.jwk that is null',
      () => withConfirmation({ jwk: null }),
      'wit_bad_confirmation_key',
      'WIT has no cnf.jwk',
    ],
    [
      'a cnf.jwk that is an array',
      () => withConfirmation({ jwk: [] }),
      'wit_bad_confirmation_key',
      'WIT has no cnf.jwk',
    ],
    [
      'a cnf.jwk that is a private key',
      () =>
        withConfirmation({
          jwk: { ...(workload.privateKey.export({ format: 'jwk' }) as JWK), alg: 'ES256' },
        }),
      'wit_bad_confirmation_key',
      'WIT cnf.jwk is not a public key',
    ],
    [
      'a cnf.jwk that is a symmetric key',
      () => withConfirmation({ jwk: { kty: 'oct', k: 'c2VjcmV0', alg: 'ES256' } }),
      'wit_bad_confirmation_key',
      'WIT cnf.jwk is not a public key',
    ],
    [
      'a cnf.jwk without alg',
      () => withConfirmation({ jwk: { ...workload.publicJwk, alg: undefined } }),
      'wit_bad_confirmation_key',
      'WIT cnf.jwk.alg (none) is not ES256 or ES384',
    ],
    [
      'a cnf.jwk with alg EdDSA',
      () => withConfirmation({ jwk: { ...workload.publicJwk, alg: 'EdDSA' } }),
      'wit_bad_confirmation_key',
      'WIT cnf.jwk.alg "EdDSA" is not ES256 or ES384',
    ],
    [
      'a cnf.jwk whose point cannot be imported',
      () => withConfirmation({ jwk: { ...workload.publicJwk, alg: 'ES256', x: 'AAAA', y: 'AAAA' } }),
      'wit_bad_confirmation_key',
      'WIT cnf.jwk cannot be imported',
    ],
    [
      'a cnf.jwk whose alg does not fit its key',
      () => withConfirmation({ jwk: { ...workload.publicJwk, alg: 'ES384' } }),
      'wit_bad_confirmation_key',
      'WIT cnf.jwk is not a key of its alg',
    ],
  ];

  it.each(refusals)('refuses %s', async (_name, token, reason, message) => {
    expect(await refusalOf(await token())).toEqual({ reason, message });
  });

  it('refuses a WIT whose bundle key cannot be imported, and accepts it again once the key is sound', async () => {
    const token = await testWit(zoneA, workload, { issuedAt: now });
    const sound = zoneA.bundle.keys.find((key) => key.use === 'wit-svid');
    if (sound === undefined) throw new Error('zone A has no wit-svid key');
    const broken: JWK = { ...sound, x: 'AAAA', y: 'AAAA' };
    const bundle: JSONWebKeySet = { keys: [broken] };
    const witKeys = (trustDomain: string) => (trustDomain === zoneA.trustDomain ? bundle : undefined);
    expect(await refusalOf(token, { witKeys })).toEqual({
      reason: 'wit_unknown_key',
      message: 'the bundle key for zone-a.example cannot be used',
    });
    // A failed import is not remembered: the same key object, repaired, verifies.
    Object.assign(broken, { x: sound.x, y: sound.y });
    await expect(verifyWit(token, { ...verification, witKeys })).resolves.toMatchObject({
      workload: { uri: subjectA },
    });
  });
});
