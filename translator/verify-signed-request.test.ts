import { generateKeyPairSync } from 'node:crypto';
import type { BareItem } from 'structured-headers';
import { ManualClock } from '../test/support/manual-clock.js';
import type { HttpRequestMessage } from './http-message.js';
import { NonceCache } from './nonce-cache.js';
import { signRequest, type RequestSigner, type SignRequestOptions } from './sign-request.js';
import type { RejectionReason } from './translator-rejection.js';
import { verifySignedRequest, type SignedRequestVerification } from './verify-signed-request.js';
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
import { signedWithParameters } from '../test/support/wimse-signature-with-parameters.js';

const now = new Date('2026-11-23T12:00:00Z');
const audience = 'https://api.zone-b.example/orders';
const userHeader = 'accord-user';
const encode = (text: string) => new TextEncoder().encode(text);

let zoneA: TestZone;
let zoneB: TestZone;
let zoneC: TestZone;
let workload: TestWorkloadKey;
let wit: string;

beforeAll(async () => {
  [zoneA, zoneB, zoneC, workload] = await Promise.all([
    testZone('zone-a.example'),
    testZone('zone-b.example'),
    testZone('zone-c.example'),
    testWorkloadKey(),
  ]);
  wit = await testWit(zoneA, workload, { issuedAt: new Date(now.getTime() - 60_000) });
});

/** What the app in zone A sends, once the outbound translator has replaced its Basic credentials. */
function outgoing(overrides: Partial<HttpRequestMessage> = {}): HttpRequestMessage {
  return {
    method: 'POST',
    scheme: 'https',
    authority: 'api.zone-b.example',
    target: '/orders?id=1',
    headers: { 'content-type': 'application/json', [userHeader]: 'alice' },
    body: encode('{"qty":1}'),
    ...overrides,
  };
}

function signed(
  request: HttpRequestMessage = outgoing(),
  signer: Partial<RequestSigner> = {},
  options: Partial<SignRequestOptions> = {},
): HttpRequestMessage {
  const headers = signRequest(
    request,
    {
      wit,
      privateKey: workload.privateKey,
      clock: new ManualClock(now),
      signatureLifetimeSeconds: 60,
      ...signer,
    },
    { audience, identityHeaders: [userHeader], ...options },
  );
  return { ...request, headers: { ...request.headers, ...headers } };
}

/** Zone B's inbound translator: trusts its own bundle and zone A's, one per trust domain. */
function receiver(
  overrides: Partial<SignedRequestVerification> = {},
  clockOffsetMs = 0,
): SignedRequestVerification {
  const clock = new ManualClock(new Date(now.getTime() + clockOffsetMs));
  return {
    witKeys: witKeysOf(zoneA, zoneB),
    clock,
    clockSkewSeconds: 5,
    expectedAudiences: [audience],
    nonceCache: new NonceCache({ maxEntries: 100, clock }),
    maxSignatureLifetimeSeconds: 300,
    identityHeaders: [userHeader],
    ...overrides,
  };
}

function rejectionOf(request: HttpRequestMessage, verification = receiver()): Promise<RejectionReason> {
  return rejectionReason(verifySignedRequest(request, verification));
}

function withHeaders(
  request: HttpRequestMessage,
  change: (headers: Record<string, string>) => void,
): HttpRequestMessage {
  const headers = { ...request.headers };
  change(headers);
  return { ...request, headers };
}

describe('signRequest', () => {
  it('attaches the WIT, a sha-256 Content-Digest and a wimse signature over the profile components', () => {
    const { headers } = signed(outgoing(), { randomNonce: () => 'n-1' });
    expect(headers['workload-identity-token']).toBe(wit);
    expect(headers['content-digest']).toMatch(/^sha-256=:[A-Za-z0-9+/]+=*:$/);
    expect(headers['signature-input']).toBe(
      'wimse=("@method" "@request-target" "workload-identity-token" "content-type" "content-digest" "accord-user")' +
        `;created=${now.getTime() / 1000};expires=${now.getTime() / 1000 + 60};nonce="n-1"` +
        `;tag="wimse-workload-to-workload";wimse-aud="${audience}"`,
    );
    expect(headers.signature).toMatch(/^wimse=:[A-Za-z0-9+/]+=*:$/);
  });

  it('gives every request its own 128-bit nonce, also across refills of the nonce pool', () => {
    const nonces = Array.from({ length: 600 }, () => {
      const input = signed(outgoing()).headers['signature-input'] ?? '';
      return /;nonce="([^"]*)"/.exec(input)?.[1];
    });
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('sends no Content-Digest for a request without a body', () => {
    const { headers } = signed(outgoing({ method: 'GET', body: new Uint8Array() }));
    expect(headers['content-digest']).toBeUndefined();
    expect(headers['signature-input']).not.toContain('content-digest');
  });

  it('refuses to sign with an RSA key, which no WIT confirmation key can be', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => signed(outgoing(), { privateKey })).toThrow('not an ES256, ES384 or EdDSA key');
  });
});

describe('verifySignedRequest', () => {
  it('accepts a signed request and returns the caller, the audience and what the signature covered', async () => {
    const verified = await verifySignedRequest(signed(outgoing(), { randomNonce: () => 'n-1' }), receiver());
    expect(verified.wit.workload.uri).toBe('spiffe://zone-a.example/ns/shop/sa/frontend');
    expect(verified.audience).toBe(audience);
    expect(verified.nonce).toBe('n-1');
    expect(verified.signatureExpiresAt).toEqual(new Date(now.getTime() + 60_000));
    expect(verified.coveredComponents).toEqual([
      '@method',
      '@request-target',
      'workload-identity-token',
      'content-type',
      'content-digest',
      userHeader,
    ]);
  });

  it('accepts a request without a body', async () => {
    const request = signed(
      outgoing({ method: 'GET', body: new Uint8Array(), headers: { [userHeader]: 'alice' } }),
    );
    await expect(verifySignedRequest(request, receiver())).resolves.toMatchObject({ audience });
  });

  it('accepts a request after a TLS-terminating proxy re-originated it, adding headers and changing authority', async () => {
    const request = withHeaders({ ...signed(), authority: 'ingress.zone-b.internal:8443' }, (headers) => {
      headers.via = '1.1 ingress';
      headers['x-forwarded-for'] = '10.0.0.7';
    });
    await expect(verifySignedRequest(request, receiver())).resolves.toMatchObject({ audience });
  });

  it('accepts a request signed within the tolerated clock skew', async () => {
    await expect(verifySignedRequest(signed(), receiver({}, -4_000))).resolves.toMatchObject({ audience });
    await expect(verifySignedRequest(signed(), receiver({}, 64_000))).resolves.toMatchObject({ audience });
  });

  /** A WIT of zone A binding `key`, and a request signed with it (the signer does not refuse Ed25519 keys). */
  async function signedWithWorkloadKey(type: 'P-384' | 'Ed25519'): Promise<HttpRequestMessage> {
    const key = await testWorkloadKey(type);
    const token = await forgedToken(
      zoneA.signingKey,
      { alg: 'ES256', typ: 'wit+jwt', kid: zoneA.keyId },
      witClaims('spiffe://zone-a.example/ns/shop/sa/batch', key.publicJwk, now),
    );
    return signed(outgoing(), { wit: token, privateKey: key.privateKey });
  }

  it('accepts a request signed with a P-384 workload key', async () => {
    await expect(
      verifySignedRequest(await signedWithWorkloadKey('P-384'), receiver()),
    ).resolves.toMatchObject({
      wit: { workload: { uri: 'spiffe://zone-a.example/ns/shop/sa/batch' } },
    });
  });

  it('refuses a request signed with an Ed25519 workload key: WIT-SVID allows no EdDSA cnf.jwk', async () => {
    expect(await rejectionOf(await signedWithWorkloadKey('Ed25519'), receiver())).toBe(
      'wit_bad_confirmation_key',
    );
  });

  /** Alice's request as a client that sets `extraParameters` signs it (Accord's signer never does). */
  const signedWith = (extraParameters: Map<string, boolean | string>) =>
    signedWithParameters(outgoing(), {
      wit,
      privateKey: workload.privateKey,
      createdSeconds: Math.floor(now.getTime() / 1000),
      lifetimeSeconds: 60,
      audience,
      extraParameters,
    });

  it('reports whether the client requires a signed response (wimse-sign-response)', async () => {
    await expect(verifySignedRequest(signed(), receiver())).resolves.toMatchObject({
      isSignedResponseRequired: false,
    });
    await expect(
      verifySignedRequest(signedWith(new Map([['wimse-sign-response', true]])), receiver()),
    ).resolves.toMatchObject({ isSignedResponseRequired: true });
    await expect(
      verifySignedRequest(signedWith(new Map([['wimse-sign-response', false]])), receiver()),
    ).resolves.toMatchObject({ isSignedResponseRequired: false });
  });

  it('refuses a wimse-sign-response that is not a Boolean', async () => {
    expect(await rejectionOf(signedWith(new Map([['wimse-sign-response', 'yes']])), receiver())).toBe(
      'signature_malformed',
    );
  });

  it('rejects the same request the second time (nonce replay)', async () => {
    const verification = receiver();
    const request = signed();
    await verifySignedRequest(request, verification);
    expect(await rejectionOf(request, verification)).toBe('nonce_replayed');
  });

  it('refuses a new request when the replay cache is full of live nonces (fail closed)', async () => {
    const clock = new ManualClock(now);
    const verification = receiver({ clock, nonceCache: new NonceCache({ maxEntries: 1, clock }) });
    await verifySignedRequest(signed(), verification);
    expect(await rejectionOf(signed(), verification)).toBe('nonce_cache_full');
  });

  it('does not let a request that fails verification occupy the replay cache', async () => {
    const verification = receiver();
    const request = signed();
    expect(await rejectionOf({ ...request, method: 'DELETE' }, verification)).toBe('signature_mismatch');
    expect(verification.nonceCache.size).toBe(0);
    await expect(verifySignedRequest(request, verification)).resolves.toMatchObject({ audience });
  });

  it('checks audience, time window, signature and nonce per request when the WIT was verified before', async () => {
    const clock = new ManualClock(now);
    const verification = receiver({ clock, nonceCache: new NonceCache({ maxEntries: 100, clock }) });
    const first = signed();
    await expect(verifySignedRequest(first, verification)).resolves.toMatchObject({ audience });
    // The same WIT (now cached) on requests that must still fail on their own merits.
    expect(
      await rejectionOf(signed(outgoing(), {}, { audience: 'https://other.example' }), verification),
    ).toBe('audience_mismatch');
    const stolenWit = signed(outgoing(), {
      privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    });
    expect(await rejectionOf(stolenWit, verification)).toBe('signature_mismatch');
    expect(await rejectionOf(first, verification)).toBe('nonce_replayed');
    const late = signed();
    clock.advance(70_000);
    expect(await rejectionOf(late, verification)).toBe('signature_expired');
    await expect(verifySignedRequest(signed(outgoing(), { clock }), verification)).resolves.toMatchObject({
      audience,
    });
  });

  /** The reason and message of a refusal, as the log shows them. */
  async function refusalOf(request: HttpRequestMessage, verification = receiver()): Promise<string> {
    const error = await translatorRejection(verifySignedRequest(request, verification));
    return `${error.reason}: ${error.message}`;
  }

  /** Alice's request signed by another client with these profile parameters replaced. */
  const signedWithProfile = (parameters: [string, BareItem][], lifetimeSeconds = 60) =>
    signedWithParameters(outgoing(), {
      wit,
      privateKey: workload.privateKey,
      createdSeconds: nowSeconds,
      lifetimeSeconds,
      audience,
      extraParameters: new Map(parameters),
    });
  const nowSeconds = now.getTime() / 1000;

  it.each([
    ['lasts exactly the longest lifetime allowed', [], 300],
    [
      'was created exactly the tolerated skew ahead',
      [
        ['created', nowSeconds + 5],
        ['expires', nowSeconds + 65],
      ],
    ],
    [
      'expired exactly the tolerated skew ago',
      [
        ['created', nowSeconds - 65],
        ['expires', nowSeconds - 5],
      ],
    ],
  ] as [string, [string, BareItem][], number?][])(
    'accepts a signature that %s',
    async (_name, parameters, lifetimeSeconds = 60) => {
      const request = signedWithProfile(parameters, lifetimeSeconds);
      await expect(verifySignedRequest(request, receiver())).resolves.toMatchObject({ audience });
    },
  );

  it.each([
    [
      'lasts one second longer than allowed',
      [],
      301,
      'signature_lifetime_too_long: the signature is valid for longer than allowed',
    ],
    [
      'expires when it is created',
      [['expires', nowSeconds]],
      60,
      'signature_malformed: expires is not after created',
    ],
    [
      'was created one second beyond the tolerated skew ahead',
      [
        ['created', nowSeconds + 6],
        ['expires', nowSeconds + 66],
      ],
      60,
      'signature_not_yet_valid: created is in the future',
    ],
    [
      'expired one second beyond the tolerated skew',
      [
        ['created', nowSeconds - 66],
        ['expires', nowSeconds - 6],
      ],
      60,
      'signature_expired: the signature has expired',
    ],
    [
      'has a negative created',
      [['created', -1]],
      60,
      'signature_malformed: created is not a non-negative integer',
    ],
    [
      'has a fractional created',
      [['created', nowSeconds + 0.5]],
      60,
      'signature_malformed: created is not a non-negative integer',
    ],
    [
      'has a created that is not a number',
      [['created', 'now']],
      60,
      'signature_malformed: created is not a non-negative integer',
    ],
    ['has an empty nonce', [['nonce', '']], 60, 'signature_malformed: nonce is not a string'],
    ['has a nonce that is not a string', [['nonce', 7]], 60, 'signature_malformed: nonce is not a string'],
  ] as [string, [string, BareItem][], number, string][])(
    'refuses a signature that %s',
    async (_name, parameters, lifetimeSeconds, refusal) => {
      expect(await refusalOf(signedWithProfile(parameters, lifetimeSeconds))).toBe(refusal);
    },
  );

  it('refuses a replay until the signature can no longer be accepted, tolerated skew included', async () => {
    const clock = new ManualClock(now);
    const verification = receiver({ clock, nonceCache: new NonceCache({ maxEntries: 100, clock }) });
    const request = signed();
    await verifySignedRequest(request, verification);
    clock.advance(65_000);
    expect(await refusalOf(request, verification)).toBe(
      'nonce_replayed: the nonce was already used by this workload',
    );
  });

  it('reads a Workload-Identity-Token with spaces around it', async () => {
    const request = withHeaders(signed(), (headers) => {
      headers['workload-identity-token'] = ` ${headers['workload-identity-token'] ?? ''} `;
    });
    await expect(verifySignedRequest(request, receiver())).resolves.toMatchObject({ audience });
  });

  /** The request with its one signature relabelled, and optionally a second signature beside it. */
  const relabelled = (label: string, second?: string) =>
    withHeaders(signed(), (headers) => {
      const input = (headers['signature-input'] ?? '').replace(/^wimse=/, `${label}=`);
      const signature = (headers.signature ?? '').replace(/^wimse=/, `${label}=`);
      headers['signature-input'] =
        second === undefined ? input : `${input}, ${second}=${input.slice(label.length + 1)}`;
      headers.signature =
        second === undefined ? signature : `${signature}, ${second}=${signature.slice(label.length + 1)}`;
    });

  it('accepts the only signature of a request whatever its label', async () => {
    await expect(verifySignedRequest(relabelled('sig1'), receiver())).resolves.toMatchObject({ audience });
  });

  it.each([
    [
      'two signatures, neither labelled wimse',
      () => relabelled('sig1', 'sig2'),
      'signature_missing: no signature is labelled wimse and there is not exactly one',
    ],
    [
      'a Signature-Input member that is not an inner list',
      () => withHeaders(signed(), (h) => (h['signature-input'] = 'wimse=1')),
      'signature_malformed: Signature-Input member is not an inner list',
    ],
    [
      'a Signature without the labelled member',
      () => withHeaders(signed(), (h) => (h.signature = (h.signature ?? '').replace(/^wimse=/, 'other='))),
      'signature_missing: Signature has no member wimse',
    ],
    [
      'a Signature member that is an inner list',
      () => withHeaders(signed(), (h) => (h.signature = 'wimse=(:AAAA:)')),
      'signature_malformed: Signature member is not a byte sequence',
    ],
    [
      'a covered component that is not a string',
      () =>
        withHeaders(
          signed(),
          (h) => (h['signature-input'] = (h['signature-input'] ?? '').replace('("@method"', '(1 "@method"')),
        ),
      'signature_malformed: a covered component is not a plain string identifier',
    ],
    [
      'a covered component with a parameter',
      () =>
        withHeaders(
          signed(),
          (h) => (h['signature-input'] = (h['signature-input'] ?? '').replace('"@method"', '"@method";req')),
        ),
      'signature_malformed: a covered component is not a plain string identifier',
    ],
    [
      'a malformed Content-Digest',
      () => withHeaders(signed(), (h) => (h['content-digest'] = 'sha-256=:(:')),
      'digest_mismatch: Content-Digest is malformed',
    ],
  ])('refuses %s with its reason', async (_name, build, refusal) => {
    expect(await refusalOf(build())).toBe(refusal);
  });

  it.each([
    [
      'no WIT',
      () => withHeaders(signed(), (h) => delete h['workload-identity-token']),
      'wit_missing: the request has no Workload-Identity-Token',
    ],
    [
      'two uncovered components',
      () =>
        withHeaders(
          signed(),
          (h) =>
            (h['signature-input'] = (h['signature-input'] ?? '')
              .replace(' "@request-target"', '')
              .replace(' "content-type"', '')),
        ),
      'signature_component_missing: the signature does not cover @request-target, content-type',
    ],
    [
      'a changed method',
      () => ({ ...signed(), method: 'DELETE' }),
      'signature_mismatch: the signature does not verify with the WIT confirmation key',
    ],
    [
      'an unparsable Signature-Input',
      () => withHeaders(signed(), (h) => (h['signature-input'] = 'wimse=(((')),
      'signature_malformed: signature-input is not a structured dictionary',
    ],
    [
      'a keyid',
      () => withHeaders(signed(), (h) => (h['signature-input'] = `${h['signature-input'] ?? ''};keyid="k"`)),
      'signature_param_forbidden: the signature carries keyid',
    ],
    [
      'no expires',
      () =>
        withHeaders(
          signed(),
          (h) => (h['signature-input'] = (h['signature-input'] ?? '').replace(/;expires=\d+/, '')),
        ),
      'signature_param_missing: the signature has no expires',
    ],
    [
      'no nonce',
      () =>
        withHeaders(
          signed(),
          (h) => (h['signature-input'] = (h['signature-input'] ?? '').replace(/;nonce="[^"]*"/, '')),
        ),
      'signature_param_missing: the signature has no nonce',
    ],
    [
      'another tag',
      () =>
        withHeaders(
          signed(),
          (h) =>
            (h['signature-input'] = (h['signature-input'] ?? '').replace('wimse-workload-to-workload', 'x')),
        ),
      'signature_bad_tag: tag is not wimse-workload-to-workload',
    ],
    [
      'a wimse-sign-response that is not a Boolean',
      () => signedWithProfile([['wimse-sign-response', 'yes']]),
      'signature_malformed: wimse-sign-response is not a Boolean',
    ],
    [
      'a created at the epoch',
      () =>
        signedWithProfile([
          ['created', 0],
          ['expires', 60],
        ]),
      'signature_expired: the signature has expired',
    ],
    [
      'a body without Content-Digest',
      () => withHeaders(signed(), (h) => delete h['content-digest']),
      'digest_missing: the request has a body but no Content-Digest',
    ],
    [
      'a changed body',
      () => ({ ...signed(), body: encode('{"qty":100}') }),
      'digest_mismatch: Content-Digest does not match the body',
    ],
    [
      'a deprecated digest only',
      () => withHeaders(signed(), (h) => (h['content-digest'] = 'md5=:AAAAAAAAAAAAAAAAAAAAAA==:')),
      'digest_missing: Content-Digest has no sha-256 or sha-512 digest',
    ],
  ])('names the cause of refusing %s in its message', async (_name, build, refusal) => {
    expect(await refusalOf(build())).toBe(refusal);
  });

  it('names a full replay cache in its message', async () => {
    const clock = new ManualClock(now);
    const verification = receiver({ clock, nonceCache: new NonceCache({ maxEntries: 1, clock }) });
    await verifySignedRequest(signed(), verification);
    expect(await refusalOf(signed(), verification)).toBe('nonce_cache_full: the replay cache is full');
  });

  const attacks: [
    string,
    () => Promise<HttpRequestMessage> | HttpRequestMessage,
    RejectionReason,
    number?,
  ][] = [
    ['a changed method', () => ({ ...signed(), method: 'DELETE' }), 'signature_mismatch'],
    ['a changed path', () => ({ ...signed(), target: '/admin?id=1' }), 'signature_mismatch'],
    ['a changed query', () => ({ ...signed(), target: '/orders?id=2' }), 'signature_mismatch'],
    [
      'a changed body under the original digest',
      () => ({ ...signed(), body: encode('{"qty":100}') }),
      'digest_mismatch',
    ],
    [
      'a changed body with a recomputed digest',
      () => {
        const forged = signed(outgoing({ body: encode('{"qty":100}') }));
        return withHeaders({ ...signed(), body: forged.body ?? new Uint8Array() }, (headers) => {
          headers['content-digest'] = forged.headers['content-digest'] ?? '';
        });
      },
      'signature_mismatch',
    ],
    [
      'a removed Content-Digest',
      () => withHeaders(signed(), (headers) => delete headers['content-digest']),
      'digest_missing',
    ],
    [
      'a Content-Digest with only a deprecated algorithm',
      () =>
        withHeaders(signed(), (headers) => (headers['content-digest'] = 'md5=:AAAAAAAAAAAAAAAAAAAAAA==:')),
      'digest_missing',
    ],
    [
      'a changed user identity',
      () => withHeaders(signed(), (headers) => (headers[userHeader] = 'mallory')),
      'signature_mismatch',
    ],
    [
      'a user identity added after signing',
      () =>
        withHeaders(
          signed(outgoing({ headers: { 'content-type': 'application/json' } })),
          (h) => (h[userHeader] = 'root'),
        ),
      'signature_component_missing',
    ],
    [
      'a removed user identity',
      () => withHeaders(signed(), (headers) => delete headers['accord-user']),
      'signature_component_missing',
    ],
    [
      "another workload's valid WIT in place of the signer's",
      async () => {
        const other = await testWit(zoneA, await testWorkloadKey(), {
          path: '/ns/shop/sa/admin',
          issuedAt: now,
        });
        return withHeaders(signed(), (headers) => (headers['workload-identity-token'] = other));
      },
      'signature_mismatch',
    ],
    [
      "a signature by a key other than the WIT's confirmation key",
      async () => signed(outgoing(), { privateKey: (await testWorkloadKey()).privateKey }),
      'signature_mismatch',
    ],
    [
      'a signature for another audience',
      () => signed(outgoing(), {}, { audience: 'https://other.zone-b.example/' }),
      'audience_mismatch',
    ],
    ['an expired signature', () => signed(), 'signature_expired', 66_000],
    [
      'a signature created in the future',
      () => signed(outgoing(), { clock: new ManualClock(new Date(now.getTime() + 60_000)) }),
      'signature_not_yet_valid',
    ],
    [
      'a long-lived signature',
      () => signed(outgoing(), { signatureLifetimeSeconds: 3600 }),
      'signature_lifetime_too_long',
    ],
    [
      'a keyid parameter',
      () => withHeaders(signed(), (h) => (h['signature-input'] = `${h['signature-input'] ?? ''};keyid="k"`)),
      'signature_param_forbidden',
    ],
    [
      'an alg parameter',
      () =>
        withHeaders(signed(), (h) => (h['signature-input'] = `${h['signature-input'] ?? ''};alg="ed25519"`)),
      'signature_param_forbidden',
    ],
    [
      'another tag',
      () =>
        withHeaders(
          signed(),
          (h) =>
            (h['signature-input'] = (h['signature-input'] ?? '').replace('wimse-workload-to-workload', 'x')),
        ),
      'signature_bad_tag',
    ],
    [
      'no nonce',
      () =>
        withHeaders(
          signed(),
          (h) => (h['signature-input'] = (h['signature-input'] ?? '').replace(/;nonce="[^"]*"/, '')),
        ),
      'signature_param_missing',
    ],
    [
      'a signature that does not cover @request-target',
      () =>
        withHeaders(
          signed(),
          (h) => (h['signature-input'] = (h['signature-input'] ?? '').replace(' "@request-target"', '')),
        ),
      'signature_component_missing',
    ],
    [
      'no Signature field',
      () => withHeaders(signed(), (headers) => delete headers.signature),
      'signature_missing',
    ],
    [
      'no Signature-Input field',
      () => withHeaders(signed(), (headers) => delete headers['signature-input']),
      'signature_missing',
    ],
    [
      'an unparsable Signature-Input',
      () => withHeaders(signed(), (h) => (h['signature-input'] = 'wimse=(((')),
      'signature_malformed',
    ],
    [
      'a Signature that is not a byte sequence',
      () => withHeaders(signed(), (h) => (h.signature = 'wimse="abc"')),
      'signature_malformed',
    ],
    [
      'no WIT',
      () => withHeaders(signed(), (headers) => delete headers['workload-identity-token']),
      'wit_missing',
    ],
    [
      'a WIT from a zone without a contract',
      async () => {
        const token = await testWit(zoneC, workload, { issuedAt: now });
        return signed(outgoing(), { wit: token });
      },
      'wit_untrusted_domain',
    ],
    [
      'an expired WIT',
      async () =>
        signed(outgoing(), {
          wit: await testWit(zoneA, workload, { issuedAt: new Date(now.getTime() - 7200_000) }),
        }),
      'wit_expired',
    ],
  ];

  it.each(attacks)('rejects %s', async (_name, build, reason, receiverClockOffsetMs = 0) => {
    expect(await rejectionOf(await build(), receiver({}, receiverClockOffsetMs))).toBe(reason);
  });
});
