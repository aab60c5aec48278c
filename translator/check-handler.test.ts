import { generateKeyPairSync } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { createLocalJWKSet, exportJWK, jwtVerify, SignJWT } from 'jose';
import { Registry } from 'prom-client';
import {
  CheckRequestSchema,
  CheckResponseSchema,
  type CheckResponse,
} from '../proto/gen/envoy/service/auth/v3/external_auth_pb.js';
import { silentLogger, type LogFields, type Logger } from '../lib/log/logger.js';
import { ManualClock } from '../test/support/manual-clock.js';
import {
  basicAuthorization,
  BasicUserStore,
  hashBasicPassword,
  InboundCredentialMap,
} from './basic-credentials.js';
import {
  createCheckHandler,
  decideOutbound,
  httpRequestOfCheck,
  userIdentityHeader,
  type CheckHandlerDependencies,
} from './check-handler.js';
import { NonceCache } from './nonce-cache.js';
import { signRequest } from './sign-request.js';
import { mintLocalToken, verifyBearerUser, type LocalTokenIssuer } from './oidc-tokens.js';
import { TranslatorMetrics } from './translator-metrics.js';
import { signedWithParameters } from '../test/support/wimse-signature-with-parameters.js';
import {
  testWit,
  testWorkloadKey,
  testZone,
  witKeysOf,
  type TestZone,
} from '../test/support/wit-test-fixtures.js';

const now = new Date('2026-11-23T12:00:00Z');
const frontend = 'spiffe://zone-a.example/ns/shop/sa/frontend';
const zoneBAudience = 'spiffe://zone-b.example';

let zoneA: TestZone;
let zoneC: TestZone;
let users: BasicUserStore;
let witA: string;
let witC: string;
let keyA: Awaited<ReturnType<typeof testWorkloadKey>>;
let keyC: Awaited<ReturnType<typeof testWorkloadKey>>;

beforeAll(async () => {
  [zoneA, zoneC, keyA, keyC] = await Promise.all([
    testZone('zone-a.example'),
    testZone('zone-c.example'),
    testWorkloadKey(),
    testWorkloadKey(),
  ]);
  const issuedAt = new Date(now.getTime() - 60_000);
  witA = await testWit(zoneA, keyA, { issuedAt });
  witC = await testWit(zoneC, keyC, { issuedAt });
  users = await BasicUserStore.parse(
    `users:\n  alice: "${await hashBasicPassword('wonderland')}"\n  carol: "${await hashBasicPassword('cheshire')}"\n`,
  );
});

const credentials = InboundCredentialMap.parse(`
mappings:
  - { workload: "${frontend}", user: alice, username: orders-alice, password: "b-secret" }
  - { workload: "spiffe://zone-c.example/ns/shop/sa/frontend", username: orders-c, password: "c-secret" }
`);

/** A translator of zone A (outbound) and zone B (inbound) sharing a clock and a registry. */
function translator(
  options: {
    trustedIntermediaries?: string[];
    wit?: string;
    bearerUser?: (token: string) => Promise<string>;
    tokenIssuer?: LocalTokenIssuer;
    credentials?: InboundCredentialMap;
    identityOnly?: boolean;
    /** Replaces the credentials file reader (e.g. a file not loaded: undefined). */
    readCredentials?: () => InboundCredentialMap | undefined;
    /** Replaces the users file reader. */
    readUsers?: () => BasicUserStore | undefined;
    withoutOutbound?: boolean;
    logger?: Logger;
    nonceCache?: NonceCache;
  } = {},
) {
  const clock = new ManualClock(now);
  const registry = new Registry();
  const dependencies: CheckHandlerDependencies = {
    inbound: {
      verification: {
        witKeys: witKeysOf(zoneA),
        clock,
        clockSkewSeconds: 30,
        expectedAudiences: [zoneBAudience],
        nonceCache: options.nonceCache ?? new NonceCache({ maxEntries: 100, clock }),
        maxSignatureLifetimeSeconds: 300,
      },
      trustedIntermediaries: new Set(options.trustedIntermediaries ?? []),
      credentials: options.readCredentials ?? (() => options.credentials ?? credentials),
      identityOnly: options.identityOnly ?? false,
      ...(options.tokenIssuer === undefined ? {} : { tokenIssuer: options.tokenIssuer }),
    },
    outbound:
      options.withoutOutbound === true
        ? undefined
        : {
            users: options.readUsers ?? (() => users),
            signer: () => ({
              wit: options.wit ?? witA,
              privateKey: options.wit === witC ? keyC.privateKey : keyA.privateKey,
              clock,
              signatureLifetimeSeconds: 60,
            }),
            audienceForHost: (host) => (host.endsWith('.zone-b') ? zoneBAudience : undefined),
            ...(options.bearerUser === undefined ? {} : { bearerUser: options.bearerUser }),
          },
    metrics: new TranslatorMetrics(registry),
    logger: options.logger ?? silentLogger,
  };
  return { check: createCheckHandler(dependencies), registry, clock };
}

interface Request {
  method?: string;
  path?: string;
  host?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A CheckRequest as Envoy sends it, through its binary encoding. */
function checkRequest(direction: string, request: Request, principal = '', requestId = 'req-1') {
  const message = create(CheckRequestSchema, {
    attributes: {
      source: { principal },
      request: {
        http: {
          id: requestId,
          method: request.method ?? 'POST',
          path: request.path ?? '/orders?id=1',
          host: request.host ?? 'orders.zone-b:8080',
          scheme: direction === 'inbound' ? 'https' : 'http',
          headers: {
            ':method': request.method ?? 'POST',
            ':path': request.path ?? '/orders?id=1',
            'content-type': 'application/json',
            ...request.headers,
          },
          body: request.body ?? '{"qty":1}',
        },
      },
      contextExtensions: { 'accord.direction': direction },
    },
  });
  return fromBinary(CheckRequestSchema, toBinary(CheckRequestSchema, message));
}

async function decide(
  check: ReturnType<typeof translator>['check'],
  request: ReturnType<typeof checkRequest>,
) {
  return fromBinary(
    CheckResponseSchema,
    toBinary(CheckResponseSchema, create(CheckResponseSchema, await check(request))),
  );
}

/** Envoy's header mutation for an OK response: set (overwrite), then remove. */
function forwarded(request: Request, response: CheckResponse): Request {
  if (response.httpResponse.case !== 'okResponse') throw new Error('not allowed');
  const headers = { ...request.headers };
  for (const option of response.httpResponse.value.headers) {
    if (option.header) headers[option.header.key] = option.header.value;
  }
  const removed = new Set(response.httpResponse.value.headersToRemove);
  return {
    ...request,
    headers: Object.fromEntries(Object.entries(headers).filter(([name]) => !removed.has(name))),
  };
}

function deniedStatus(response: CheckResponse): number | undefined {
  return response.httpResponse.case === 'deniedResponse'
    ? response.httpResponse.value.status?.code
    : undefined;
}

const aliceBasic = { authorization: basicAuthorization('alice', 'wonderland') };

/** Zone A's outbound translation of a request by alice: what leaves zone A. */
async function signedByA(request: Request = {}, options: { wit?: string } = {}): Promise<Request> {
  const outbound = translator(options);
  const local = { ...request, headers: { ...aliceBasic, ...request.headers } };
  const response = await decide(outbound.check, checkRequest('outbound', local));
  expect(response.status?.code).toBe(0);
  return forwarded(local, response);
}

/**
 * A request signed by another implementation of the profile in zone A, which may send headers
 * Accord's outbound side never sends (its caller's Authorization) and cover only what it chooses:
 * `identityHeaders` are the headers it covers beyond the profile's.
 */
function signedByPartner(headers: Record<string, string>, identityHeaders: string[]): Request {
  const request: Request = { headers };
  const message = httpRequestOfCheck(checkRequest('inbound', request));
  if (message === undefined) throw new Error('no HTTP request');
  const signed = signRequest(
    message,
    { wit: witA, privateKey: keyA.privateKey, clock: new ManualClock(now), signatureLifetimeSeconds: 60 },
    { audience: zoneBAudience, identityHeaders },
  );
  return { ...request, headers: { ...headers, ...signed } };
}

/**
 * The headers of `request` once zone A's frontend signed it with `wimse-sign-response`: a client
 * that requires a signed response, which the translator cannot give.
 */
function signedRequiringSignedResponse(request: Request): Record<string, string> {
  const message = httpRequestOfCheck(checkRequest('inbound', request));
  if (message === undefined) throw new Error('no HTTP request');
  return signedWithParameters(message, {
    wit: witA,
    privateKey: keyA.privateKey,
    createdSeconds: now.getTime() / 1000,
    lifetimeSeconds: 60,
    audience: zoneBAudience,
    extraParameters: new Map([['wimse-sign-response', true]]),
  }).headers;
}

describe('outbound', () => {
  it('replaces valid Basic credentials with the WIT, the user header and a WIMSE signature', async () => {
    const leaving = await signedByA();
    expect(leaving.headers?.authorization).toBeUndefined();
    expect(leaving.headers?.[userIdentityHeader]).toBe('alice');
    expect(leaving.headers?.['workload-identity-token']).toBe(witA);
    expect(leaving.headers?.['signature-input']).toContain(`wimse-aud="${zoneBAudience}"`);
    expect(leaving.headers?.['content-digest']).toMatch(/^sha-256=:/);
  });

  it.each([
    ['no credentials', {}, 'basic_missing'],
    ['a wrong password', { authorization: basicAuthorization('alice', 'queen') }, 'basic_invalid'],
    ['an unknown user', { authorization: basicAuthorization('mallory', 'wonderland') }, 'basic_invalid'],
    ['a bearer token', { authorization: 'Bearer abc' }, 'basic_missing'],
  ])('answers 401 with a Basic challenge and no reason in the body for %s', async (_, headers, reason) => {
    const { check, registry } = translator();
    const response = await decide(check, checkRequest('outbound', { headers }));
    expect(deniedStatus(response)).toBe(401);
    if (response.httpResponse.case !== 'deniedResponse') throw new Error('not denied');
    expect(response.httpResponse.value.body).toBe('');
    expect(response.httpResponse.value.headers.map((h) => [h.header?.key, h.header?.value])).toEqual([
      ['www-authenticate', 'Basic realm="accord", charset="UTF-8"'],
    ]);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      `direction="outbound",outcome="deny",reason="${reason}"`,
    );
  });

  it('refuses with 403 a host that belongs to no known zone', async () => {
    const { check } = translator();
    const response = await decide(
      check,
      checkRequest('outbound', { host: 'evil.example', headers: aliceBasic }),
    );
    expect(deniedStatus(response)).toBe(403);
  });
});

describe('inbound', () => {
  it('accepts a request signed by zone A and presents the mapped Basic credentials', async () => {
    const { check, registry } = translator();
    const arriving = await signedByA();
    const response = await decide(check, checkRequest('inbound', arriving, frontend));
    expect(response.status?.code).toBe(0);
    const toApp = forwarded(arriving, response);
    expect(toApp.headers?.authorization).toBe(basicAuthorization('orders-alice', 'b-secret'));
    expect(toApp.headers?.['accord-workload']).toBe(frontend);
    expect(toApp.headers?.['workload-identity-token']).toBeUndefined();
    expect(toApp.headers?.signature).toBeUndefined();
    expect(toApp.headers?.['signature-input']).toBeUndefined();
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'direction="inbound",outcome="allow",reason="ok"',
    );
  });

  it('identity only: passes the verified caller and user, replacing a caller header the caller sent', async () => {
    const { check } = translator({
      identityOnly: true,
      credentials: InboundCredentialMap.parse('mappings: []'),
    });
    const arriving = await signedByA({
      headers: { 'accord-workload': 'spiffe://zone-b.example/ns/admin/sa/root' },
    });
    const response = await decide(check, checkRequest('inbound', arriving, frontend));
    expect(response.status?.code).toBe(0);
    const toApp = forwarded(arriving, response);
    expect(toApp.headers?.authorization).toBeUndefined();
    expect(toApp.headers?.['accord-workload']).toBe(frontend);
    expect(toApp.headers?.['accord-user']).toBe('alice');
    expect(toApp.headers?.['workload-identity-token']).toBeUndefined();
    // A credential added on the way is not covered by the signature: refused, never passed on.
    const withCredential = {
      ...arriving,
      headers: { ...arriving.headers, authorization: basicAuthorization('admin', 'x') },
    };
    expect(deniedStatus(await decide(check, checkRequest('inbound', withCredential, frontend)))).toBe(403);
    // Identity only never waives the verification: an unsigned request is still refused.
    const unsigned = await decide(check, checkRequest('inbound', { headers: {} }, frontend));
    expect(deniedStatus(unsigned)).toBe(403);
  });

  it('identity only: never passes a signed Authorization of the caller to the local API', async () => {
    const { check } = translator({
      identityOnly: true,
      credentials: InboundCredentialMap.parse('mappings: []'),
    });
    const callerCredential = basicAuthorization('admin', 'guessed');
    const arriving = signedByPartner({ authorization: callerCredential, [userIdentityHeader]: 'alice' }, [
      userIdentityHeader,
    ]);
    expect(arriving.headers?.['signature-input']).toContain('"authorization"');
    const response = await decide(check, checkRequest('inbound', arriving, frontend));
    expect(response.status?.code).toBe(0);
    if (response.httpResponse.case !== 'okResponse') throw new Error('not allowed');
    expect(response.httpResponse.value.headersToRemove).toContain('authorization');
    const toApp = forwarded(arriving, response);
    expect(toApp.headers?.authorization).toBeUndefined();
    expect(toApp.headers?.['accord-workload']).toBe(frontend);
    expect(toApp.headers?.[userIdentityHeader]).toBe('alice');
  });

  it.each([
    ['with mapped credentials', false],
    ['identity only', true],
  ])(
    '%s: denies a user header the signature does not cover and accepts the same user signed',
    async (_, identityOnly) => {
      const { check, registry } = translator({ identityOnly });
      const unsignedUser = signedByPartner({ [userIdentityHeader]: 'alice' }, []);
      expect(unsignedUser.headers?.['signature-input']).not.toContain(`"${userIdentityHeader}"`);
      const denied = await decide(check, checkRequest('inbound', unsignedUser, frontend));
      expect(deniedStatus(denied)).toBe(403);
      expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
        'direction="inbound",outcome="deny",reason="signature_component_missing"',
      );
      const signedUser = signedByPartner({ [userIdentityHeader]: 'alice' }, [userIdentityHeader]);
      const allowed = await decide(check, checkRequest('inbound', signedUser, frontend));
      expect(allowed.status?.code).toBe(0);
      const toApp = forwarded(signedUser, allowed);
      expect(toApp.headers?.[userIdentityHeader]).toBe('alice');
      if (!identityOnly)
        expect(toApp.headers?.authorization).toBe(basicAuthorization('orders-alice', 'b-secret'));
    },
  );

  it('accepts a request relayed by a trusted intermediary of the local zone', async () => {
    const gateway = 'spiffe://zone-b.example/ns/mesh/sa/ingress';
    const { check } = translator({ trustedIntermediaries: [gateway] });
    const response = await decide(check, checkRequest('inbound', await signedByA(), gateway));
    expect(response.status?.code).toBe(0);
  });

  const cases: [string, (signed: Request) => Request, string, string?][] = [
    ['an unsigned request', () => ({ headers: {} }), 'wit_missing'],
    ['a changed path', (signed) => ({ ...signed, path: '/orders?id=2' }), 'signature_mismatch'],
    ['a changed body', (signed) => ({ ...signed, body: '{"qty":100}' }), 'digest_mismatch'],
    [
      'a changed user',
      (signed) => ({ ...signed, headers: { ...signed.headers, [userIdentityHeader]: 'bob' } }),
      'signature_mismatch',
    ],
    ['a peer of another zone', (signed) => signed, 'peer_not_allowed', 'spiffe://zone-c.example/ns/x/sa/y'],
    ['a missing mTLS peer', (signed) => signed, 'peer_missing', ''],
  ];
  it.each(cases)(
    'denies %s with 403 and counts the reason',
    async (_, tamper, reason, principal = frontend) => {
      const { check, registry } = translator();
      const response = await decide(check, checkRequest('inbound', tamper(await signedByA()), principal));
      expect(deniedStatus(response)).toBe(403);
      expect(response.status?.code).toBe(7);
      if (response.httpResponse.case !== 'deniedResponse') throw new Error('not denied');
      expect(response.httpResponse.value.body).toBe('');
      expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
        `direction="inbound",outcome="deny",reason="${reason}"`,
      );
    },
  );

  it('denies a replayed request the second time', async () => {
    const { check } = translator();
    const arriving = await signedByA();
    expect((await decide(check, checkRequest('inbound', arriving, frontend))).status?.code).toBe(0);
    expect(deniedStatus(await decide(check, checkRequest('inbound', arriving, frontend)))).toBe(403);
  });

  it('denies a WIT of a zone whose bundle is not installed', async () => {
    const { check, registry } = translator();
    const arriving = await signedByA({}, { wit: witC });
    const response = await decide(
      check,
      checkRequest('inbound', arriving, 'spiffe://zone-c.example/ns/shop/sa/frontend'),
    );
    expect(deniedStatus(response)).toBe(403);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'reason="wit_untrusted_domain"',
    );
  });

  it('denies a verified caller acting for a user without a credential mapping', async () => {
    const { check, registry } = translator();
    const arriving = await signedByA({ headers: { authorization: basicAuthorization('carol', 'cheshire') } });
    const response = await decide(check, checkRequest('inbound', arriving, frontend));
    expect(deniedStatus(response)).toBe(403);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'reason="credential_unmapped"',
    );
  });
});

it('denies a request whose direction the translator does not serve, counted as direction unknown', async () => {
  const { check, registry } = translator();
  expect(deniedStatus(await decide(check, checkRequest('sideways', {})))).toBe(403);
  expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
    'direction="unknown",outcome="deny",reason="direction_unknown"',
  );
});

describe('OIDC', () => {
  const issuerKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const localIssuer = 'https://login.zone-a.example';
  const bearerUser = async (token: string) =>
    verifyBearerUser(token, {
      issuer: localIssuer,
      audience: 'accord-outbound',
      userClaim: 'preferred_username',
      keys: createLocalJWKSet({ keys: [{ ...(await exportJWK(issuerKeys.publicKey)), kid: 'k1' }] }),
      clock: new ManualClock(now),
      clockSkewSeconds: 30,
    });
  const token = (audience: string) =>
    new SignJWT({ preferred_username: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(localIssuer)
      .setAudience(audience)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(now.getTime() / 1000) + 300)
      .sign(issuerKeys.privateKey);

  it('signs for the user a valid bearer token of the local issuer names', async () => {
    const { check } = translator({ bearerUser });
    const local = { headers: { authorization: `Bearer ${await token('accord-outbound')}` } };
    const response = await decide(check, checkRequest('outbound', local));
    expect(response.status?.code).toBe(0);
    expect(forwarded(local, response).headers?.[userIdentityHeader]).toBe('alice');
  });

  it('answers 401 with a Bearer challenge for a token meant for another audience', async () => {
    const { check, registry } = translator({ bearerUser });
    const response = await decide(
      check,
      checkRequest('outbound', { headers: { authorization: `Bearer ${await token('other')}` } }),
    );
    expect(deniedStatus(response)).toBe(401);
    if (response.httpResponse.case !== 'deniedResponse') throw new Error('not denied');
    expect(response.httpResponse.value.headers[0]?.header?.value).toMatch(/^Bearer /);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'reason="bearer_invalid"',
    );
  });

  it('mints a token of the local issuer for the mapped subject, naming the calling workload as actor', async () => {
    const apiIssuer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const tokenIssuer: LocalTokenIssuer = {
      issuer: 'https://login.zone-b.example',
      audience: 'orders-api',
      signingKey: apiIssuer.privateKey,
      keyId: 'b1',
      ttlSeconds: 300,
      clock: new ManualClock(now),
    };
    const { check } = translator({
      tokenIssuer,
      credentials: InboundCredentialMap.parse(
        `mappings: [{ workload: "${frontend}", subject: svc-frontend }]`,
      ),
    });
    const arriving = await signedByA();
    const response = await decide(check, checkRequest('inbound', arriving, frontend));
    expect(response.status?.code).toBe(0);
    const authorization = forwarded(arriving, response).headers?.authorization ?? '';
    const { payload } = await jwtVerify(authorization.replace(/^Bearer /, ''), apiIssuer.publicKey, {
      issuer: 'https://login.zone-b.example',
      audience: 'orders-api',
      currentDate: now,
    });
    expect(payload).toMatchObject({ sub: 'svc-frontend', act: { sub: frontend } });
  });

  it('denies a subject mapping when no token issuer is configured', async () => {
    const { check } = translator({
      credentials: InboundCredentialMap.parse(
        `mappings: [{ workload: "${frontend}", subject: svc-frontend }]`,
      ),
    });
    expect(deniedStatus(await decide(check, checkRequest('inbound', await signedByA(), frontend)))).toBe(403);
  });

  it('mints tokens that expire after their lifetime', async () => {
    const apiIssuer = generateKeyPairSync('ed25519');
    const minted = await mintLocalToken(
      {
        issuer: 'https://i',
        audience: 'a',
        signingKey: apiIssuer.privateKey,
        keyId: 'e',
        ttlSeconds: 60,
        clock: new ManualClock(now),
      },
      's',
      frontend,
    );
    await expect(
      jwtVerify(minted, apiIssuer.publicKey, { currentDate: new Date(now.getTime() + 120_000) }),
    ).rejects.toThrow();
  });
});

/** A logger that keeps what it was told, to check what an operator sees. */
function recordingLogger(): { logger: Logger; lines: [string, string, LogFields | undefined][] } {
  const lines: [string, string, LogFields | undefined][] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => {
    lines.push([level, message, fields]);
  };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return { logger, lines };
}

describe('decisions at the edges', () => {
  it('asks for the audience of the Host in lower case and without its port, IPv6 literals included', async () => {
    const hosts: string[] = [];
    for (const authority of ['Orders.Zone-B:8080', '[FD00::1]:8443', 'orders.zone-b']) {
      const decision = await decideOutbound(
        { method: 'GET', scheme: 'http', authority, target: '/', headers: aliceBasic },
        {
          users: () => users,
          signer: () => undefined,
          audienceForHost: (host) => {
            hosts.push(host);
            return undefined;
          },
        },
      );
      expect(decision).toMatchObject({ outcome: 'deny', status: 403, reason: 'destination_unknown' });
    }
    expect(hosts).toEqual(['orders.zone-b', '[fd00::1]', 'orders.zone-b']);
  });

  it('refuses to sign before the workload has a WIT', async () => {
    const decision = await decideOutbound(
      { method: 'GET', scheme: 'http', authority: 'orders.zone-b', target: '/', headers: aliceBasic },
      { users: () => users, signer: () => undefined, audienceForHost: () => zoneBAudience },
    );
    expect(decision).toEqual({
      outcome: 'deny',
      status: 403,
      reason: 'wit_unavailable',
      detail: 'the workload has no WIT yet',
      responseHeaders: {},
    });
  });

  it('answers a local caller 401 with the rpc code UNAUTHENTICATED while the users file is not loaded', async () => {
    const { check, registry } = translator({ readUsers: () => undefined });
    const response = await decide(check, checkRequest('outbound', { headers: aliceBasic }));
    expect(deniedStatus(response)).toBe(401);
    expect(response.status?.code).toBe(16);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'direction="outbound",outcome="deny",reason="basic_invalid"',
    );
  });

  it('denies an inbound call while the credentials file is not loaded', async () => {
    const { check, registry } = translator({ readCredentials: () => undefined });
    const response = await decide(check, checkRequest('inbound', await signedByA(), frontend));
    expect(deniedStatus(response)).toBe(403);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'reason="credential_unmapped"',
    );
  });

  it('denies a relay by a peer whose principal is not a SPIFFE ID', async () => {
    const { check, registry } = translator();
    const response = await decide(check, checkRequest('inbound', await signedByA(), 'cluster.local/ns/x'));
    expect(deniedStatus(response)).toBe(403);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'reason="peer_not_allowed"',
    );
  });

  it('answers 501 with the rpc code UNIMPLEMENTED to a client that requires a signed response', async () => {
    const { check, registry } = translator();
    const headers = signedRequiringSignedResponse({ headers: { [userIdentityHeader]: 'alice' } });
    const response = await decide(check, checkRequest('inbound', { headers }, frontend));
    expect(deniedStatus(response)).toBe(501);
    expect(response.status?.code).toBe(12);
    if (response.httpResponse.case !== 'deniedResponse') throw new Error('not denied');
    expect(response.httpResponse.value.headers).toEqual([]);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'reason="response_signing_unsupported"',
    );
  });

  it('denies an outbound question when the translator serves inbound only', async () => {
    const { check, registry } = translator({ withoutOutbound: true });
    expect(deniedStatus(await decide(check, checkRequest('outbound', { headers: aliceBasic })))).toBe(403);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'direction="outbound",outcome="deny",reason="direction_unknown"',
    );
  });

  it.each([
    [
      'no HTTP attributes',
      create(CheckRequestSchema, { attributes: { contextExtensions: { 'accord.direction': 'inbound' } } }),
    ],
    ['no method', withHttp({ method: '' })],
    ['a path that is not origin-form', withHttp({ path: 'orders' })],
  ])('denies a question with %s as malformed', async (_name, question) => {
    const { check, registry } = translator();
    expect(deniedStatus(await decide(check, question))).toBe(403);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'direction="inbound",outcome="deny",reason="request_malformed"',
    );
  });

  it('takes the request without pseudo-headers, with lower-case names, the raw body first and the scheme', () => {
    const question = withHttp({
      headers: { ':authority': 'x', 'X-Trace': 'abc' },
      rawBody: new TextEncoder().encode('raw'),
      body: 'text',
    });
    expect(httpRequestOfCheck(question)).toEqual({
      method: 'POST',
      scheme: 'https',
      authority: 'orders.zone-b:8080',
      target: '/orders?id=1',
      headers: { 'x-trace': 'abc' },
      body: new TextEncoder().encode('raw'),
    });
    expect(httpRequestOfCheck(withHttp({ scheme: 'ftp', body: 'text' }))).toMatchObject({
      scheme: 'http',
      body: Buffer.from('text'),
    });
    expect(httpRequestOfCheck(withHttp({ body: '' }))).not.toHaveProperty('body');
  });

  it('signs for a user who sends Basic credentials where bearer tokens are accepted too', async () => {
    const { check } = translator({ bearerUser: () => Promise.resolve('mallory') });
    const response = await decide(check, checkRequest('outbound', { headers: aliceBasic }));
    expect(forwarded({ headers: aliceBasic }, response).headers?.[userIdentityHeader]).toBe('alice');
  });

  it.each([
    ['bearer t0k.en', 'allow'],
    ['Bearer   t0k.en==  ', 'allow'],
    ['Bearer t0k.en and more', 'basic_missing'],
    ['xBearer t0k.en', 'basic_missing'],
    ['Bearer t0k en', 'basic_missing'],
    ['Bearer ', 'basic_missing'],
  ])('reads %j as a bearer token or not', async (authorization, outcome) => {
    const { check, registry } = translator({ bearerUser: () => Promise.resolve('alice') });
    const response = await decide(check, checkRequest('outbound', { headers: { authorization } }));
    expect(response.status?.code).toBe(outcome === 'allow' ? 0 : 16);
    if (outcome !== 'allow')
      expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
        `reason="${outcome}"`,
      );
  });

  it('logs an allowed request at debug and a denied one at info, with the request id and the reason', async () => {
    const { logger, lines } = recordingLogger();
    const { check } = translator({ logger });
    await decide(check, checkRequest('inbound', await signedByA(), frontend, 'r-7'));
    await decide(check, checkRequest('outbound', { host: 'evil.example', headers: aliceBasic }, '', ''));
    expect(lines).toEqual([
      ['debug', 'request allowed', { direction: 'inbound', requestId: 'r-7', caller: frontend }],
      [
        'info',
        'request denied',
        {
          direction: 'outbound',
          status: 403,
          reason: 'destination_unknown',
          detail: 'no zone serves "evil.example"',
        },
      ],
    ]);
  });

  it('counts, logs and rethrows a failure that is not a decision (the transport fails closed)', async () => {
    const { logger, lines } = recordingLogger();
    const failing = { verify: () => Promise.reject(new Error('users file unreadable')) };
    const { check, registry } = translator({ logger, readUsers: () => failing as unknown as BasicUserStore });
    await expect(check(checkRequest('outbound', { headers: aliceBasic }))).rejects.toThrow(
      'users file unreadable',
    );
    expect(lines).toEqual([
      [
        'error',
        'check failed',
        { direction: 'outbound', requestId: 'req-1', error: 'users file unreadable' },
      ],
    ]);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'direction="outbound",outcome="error",reason="internal"',
    );
  });
});

describe('what a denial tells the log', () => {
  /** The detail the decider logged for the one question `ask` puts. */
  async function loggedDetail(
    ask: (check: ReturnType<typeof translator>['check']) => Promise<unknown>,
    options: Parameters<typeof translator>[0] = {},
  ): Promise<unknown> {
    const { logger, lines } = recordingLogger();
    await ask(translator({ ...options, logger }).check);
    expect(lines).toHaveLength(1);
    return lines[0]?.[2]?.detail;
  }

  it.each([
    ['no credentials', {}, 'no Basic credentials'],
    [
      'a wrong password',
      { authorization: basicAuthorization('alice', 'queen') },
      'unknown user or wrong password for "alice"',
    ],
  ])('outbound with %s', async (_name, headers, detail) => {
    expect(await loggedDetail((check) => decide(check, checkRequest('outbound', { headers })))).toBe(detail);
  });

  it('inbound without a peer, from a peer of another zone, for a user or a workload without mapping, of no direction', async () => {
    const arriving = await signedByA();
    expect(await loggedDetail((check) => decide(check, checkRequest('inbound', arriving, '')))).toBe(
      'no authenticated mTLS peer',
    );
    expect(
      await loggedDetail((check) =>
        decide(check, checkRequest('inbound', arriving, 'spiffe://zone-c.example/x')),
      ),
    ).toBe(`peer "spiffe://zone-c.example/x" may not relay ${frontend}`);
    const asCarol = await signedByA({ headers: { authorization: basicAuthorization('carol', 'cheshire') } });
    expect(await loggedDetail((check) => decide(check, checkRequest('inbound', asCarol, frontend)))).toBe(
      `no local credentials for ${frontend} "carol"`,
    );
    const noUser = signedByPartner({}, []);
    expect(await loggedDetail((check) => decide(check, checkRequest('inbound', noUser, frontend)))).toBe(
      `no local credentials for ${frontend} (no user)`,
    );
    expect(await loggedDetail((check) => decide(check, checkRequest('sideways', {})))).toBe(
      'direction unknown is not served',
    );
    expect(await loggedDetail((check) => decide(check, create(CheckRequestSchema, {})))).toBe(
      'no HTTP request attributes',
    );
  });

  it('a client that requires a signed response', async () => {
    const headers = signedRequiringSignedResponse({});
    expect(await loggedDetail((check) => decide(check, checkRequest('inbound', { headers }, frontend)))).toBe(
      `${frontend} requires a signed response`,
    );
  });
});

describe('questions Envoy may send without some attributes', () => {
  it.each([
    ['no attributes at all', () => create(CheckRequestSchema, {})],
    ['a request without HTTP attributes', () => create(CheckRequestSchema, { attributes: { request: {} } })],
  ])('denies %s as malformed', async (_name, question) => {
    const { check, registry } = translator();
    expect(deniedStatus(await decide(check, question()))).toBe(403);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'direction="unknown",outcome="deny",reason="request_malformed"',
    );
  });

  it('takes a question without a source as one without an mTLS peer', async () => {
    const { check, registry } = translator();
    const question = checkRequest('inbound', await signedByA(), frontend);
    if (question.attributes === undefined) throw new Error('no attributes');
    question.attributes.source = undefined;
    expect(deniedStatus(await decide(check, question))).toBe(403);
    expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
      'reason="peer_missing"',
    );
  });
});

it('rethrows a failure inside verification instead of deciding on it (fail closed)', async () => {
  const clock = new ManualClock(now);
  const nonceCache = new NonceCache({ maxEntries: 10, clock });
  nonceCache.admit = () => {
    throw new Error('nonce store unavailable');
  };
  const { check, registry } = translator({ nonceCache });
  await expect(check(checkRequest('inbound', await signedByA(), frontend))).rejects.toThrow(
    'nonce store unavailable',
  );
  expect(await registry.getSingleMetricAsString('accord_translator_decisions_total')).toContain(
    'direction="inbound",outcome="error",reason="internal"',
  );
});

it('records how long a decision took, in seconds', async () => {
  for (const failing of [false, true]) {
    const users = failing
      ? ({ verify: () => Promise.reject(new Error('users file unreadable')) } as unknown as BasicUserStore)
      : undefined;
    const { check, registry } = translator(users === undefined ? {} : { readUsers: () => users });
    const startedMs = performance.now();
    await check(checkRequest('outbound', { headers: aliceBasic })).catch(() => undefined);
    const elapsedSeconds = (performance.now() - startedMs) / 1000;
    const histogram = await registry.getSingleMetricAsString('accord_translator_decision_duration_seconds');
    const sumSeconds = Number(/_seconds_sum\{[^}]*\} (\S+)/.exec(histogram)?.[1]);
    expect(sumSeconds).toBeGreaterThanOrEqual(0);
    expect(sumSeconds).toBeLessThanOrEqual(elapsedSeconds);
  }
});

/** The default inbound CheckRequest with some of its HTTP attributes replaced. */
function withHttp(http: Record<string, unknown>) {
  const question = checkRequest('inbound', {});
  const attributes = question.attributes;
  if (attributes?.request?.http === undefined) throw new Error('no HTTP attributes');
  Object.assign(attributes.request.http, http);
  return question;
}
