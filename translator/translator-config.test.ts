import { parseConfig } from '../lib/config/load-config.js';
import { audienceResolver, inboundAudiences, translatorConfigSchema } from './translator-config.js';

const minimal = { trustDomain: 'zone-b.example', bundleDirectory: '/bundles' };

describe('translatorConfigSchema', () => {
  it('defaults to a loopback gRPC listener and no inbound audience: the whole zone is none', () => {
    const config = parseConfig(translatorConfigSchema, minimal);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9191, protocol: 'grpc' });
    expect(inboundAudiences(config)).toEqual([]);
    expect(config.outbound).toBeUndefined();
  });

  it('accepts the audience of each service name, or the audiences given instead', () => {
    const named = parseConfig(translatorConfigSchema, {
      ...minimal,
      inbound: { services: ['orders', 'orders.shop'] },
    });
    expect(inboundAudiences(named)).toEqual([
      'spiffe://zone-b.example/orders',
      'spiffe://zone-b.example/orders.shop',
    ]);
    const explicit = parseConfig(translatorConfigSchema, {
      ...minimal,
      inbound: { services: ['orders'], audiences: ['https://orders.zone-b.example'] },
    });
    expect(inboundAudiences(explicit)).toEqual(['https://orders.zone-b.example']);
    expect(() =>
      parseConfig(translatorConfigSchema, { ...minimal, inbound: { services: ['Orders/x'] } }),
    ).toThrow(/inbound\.services/);
  });

  it('serves the HTTP ext_authz service when asked, and nothing but grpc or http', () => {
    expect(
      parseConfig(translatorConfigSchema, { ...minimal, listen: { protocol: 'http' } }).listen.protocol,
    ).toBe('http');
    expect(() => parseConfig(translatorConfigSchema, { ...minimal, listen: { protocol: 'http2' } })).toThrow(
      /listen\.protocol/,
    );
  });

  it('takes the workload WIT either from the zone PKI or from files', () => {
    const outbound = {
      basicUsersFile: '/u',
      zones: [{ hostSuffix: 'zone-a', audience: 'spiffe://zone-a.example' }],
    };
    const fromPki = parseConfig(translatorConfigSchema, {
      ...minimal,
      outbound,
      workloadIdentity: { pkiAddress: '127.0.0.1:8443', pkiCaFile: '/ca.pem', bootstrapTokenFile: '/token' },
    });
    expect(fromPki.workloadIdentity).toMatchObject({ pkiAddress: '127.0.0.1:8443', witTtlSeconds: 0 });
    const fromFiles = parseConfig(translatorConfigSchema, {
      ...minimal,
      outbound,
      workloadIdentity: { witFile: '/wit', privateKeyFile: '/key' },
    });
    expect(fromFiles.workloadIdentity).toEqual({ witFile: '/wit', privateKeyFile: '/key' });
    const fromServiceAccount = parseConfig(translatorConfigSchema, {
      ...minimal,
      outbound,
      workloadIdentity: {
        pkiAddress: 'accord-pki.accord-system.svc:8443',
        pkiCaFile: '/ca.pem',
        serviceAccountTokenFile: '/var/run/accord/pki-token/token',
        witTtl: '10m',
      },
    });
    expect(fromServiceAccount.workloadIdentity).toEqual({
      pkiAddress: 'accord-pki.accord-system.svc:8443',
      pkiCaFile: '/ca.pem',
      serviceAccountTokenFile: '/var/run/accord/pki-token/token',
      witTtlSeconds: 600,
    });
  });

  it('refuses a bootstrap token and a ServiceAccount token together', () => {
    expect(() =>
      parseConfig(translatorConfigSchema, {
        ...minimal,
        workloadIdentity: {
          pkiAddress: '127.0.0.1:8443',
          pkiCaFile: '/ca.pem',
          bootstrapTokenFile: '/token',
          serviceAccountTokenFile: '/sa-token',
        },
      }),
    ).toThrow('workloadIdentity');
  });

  it('accepts an outbound OIDC issuer and an inbound token issuer', () => {
    const config = parseConfig(translatorConfigSchema, {
      ...minimal,
      inbound: {
        tokenIssuer: {
          issuer: 'https://login.zone-b.example',
          audience: 'api',
          signingKeyFile: '/k',
          keyId: 'b1',
        },
      },
      outbound: {
        basicUsersFile: '/u',
        zones: [{ hostSuffix: 'zone-a', audience: 'spiffe://zone-a.example' }],
        oidc: { issuer: 'https://login', audience: 'accord', jwksUri: 'https://login/jwks' },
      },
      workloadIdentity: { witFile: '/wit', privateKeyFile: '/key' },
    });
    expect(config.outbound?.oidc?.userClaim).toBe('sub');
    expect(config.inbound.tokenIssuer?.ttlSeconds).toBe(300);
  });

  it('reads its lifetimes, skew and reload interval as durations, keeping the units the code uses', () => {
    const config = parseConfig(translatorConfigSchema, {
      ...minimal,
      reloadInterval: '2s',
      inbound: {
        maxSignatureLifetime: '2m',
        clockSkew: '10s',
        tokenIssuer: {
          issuer: 'https://login',
          audience: 'api',
          signingKeyFile: '/k',
          keyId: 'b1',
          ttl: '15m',
        },
      },
      outbound: {
        basicUsersFile: '/u',
        zones: [{ hostSuffix: 'zone-a', audience: 'spiffe://zone-a.example' }],
        signatureLifetime: '30s',
      },
      workloadIdentity: { witFile: '/wit', privateKeyFile: '/key' },
    });
    expect(config.reloadIntervalMs).toBe(2000);
    expect(config.inbound).toMatchObject({
      maxSignatureLifetimeSeconds: 120,
      clockSkewSeconds: 10,
      tokenIssuer: { ttlSeconds: 900 },
    });
    expect(config.outbound?.signatureLifetimeSeconds).toBe(30);
  });

  it('takes bearer tokens only outbound (no user file) and identity only inbound', () => {
    const config = parseConfig(translatorConfigSchema, {
      ...minimal,
      inbound: { identityOnly: true },
      outbound: {
        zones: [{ hostSuffix: 'zone-a', audience: 'spiffe://zone-a.example' }],
        oidc: { issuer: 'https://login.example', audience: 'accord' },
      },
      workloadIdentity: { witFile: '/wit', privateKeyFile: '/key' },
    });
    expect(config.inbound.identityOnly).toBe(true);
    expect(config.outbound?.basicUsersFile).toBeUndefined();
  });

  it('discovers the OIDC jwks_uri when none is configured, optionally trusting a private CA', () => {
    const config = parseConfig(translatorConfigSchema, {
      ...minimal,
      outbound: {
        basicUsersFile: '/u',
        zones: [{ hostSuffix: 'zone-a', audience: 'spiffe://zone-a.example' }],
        oidc: { issuer: 'https://kubernetes.default.svc', audience: 'accord', caFile: '/ca.pem' },
      },
      workloadIdentity: { witFile: '/wit', privateKeyFile: '/key' },
    });
    expect(config.outbound?.oidc).toEqual({
      issuer: 'https://kubernetes.default.svc',
      audience: 'accord',
      caFile: '/ca.pem',
      userClaim: 'sub',
    });
  });

  it.each([
    ['a non-loopback listener', { ...minimal, listen: { host: '0.0.0.0' } }, 'listen.host'],
    [
      'outbound without a workload identity',
      { ...minimal, outbound: { basicUsersFile: '/u', zones: [{ hostSuffix: 'zone-a', audience: 'x' }] } },
      'workloadIdentity',
    ],
    [
      'an intermediary that is not a SPIFFE ID',
      { ...minimal, inbound: { trustedIntermediaries: ['gw'] } },
      'inbound',
    ],
    ['an unknown field', { ...minimal, extra: true }, '(root)'],
    [
      'a signature lifetime over an hour',
      { ...minimal, inbound: { maxSignatureLifetime: '61m' } },
      'inbound.maxSignatureLifetime: must be at most 1h',
    ],
    ['a clock skew over five minutes', { ...minimal, inbound: { clockSkew: '301s' } }, 'inbound.clockSkew'],
    ['a reload interval under 100ms', { ...minimal, reloadInterval: '99ms' }, 'reloadInterval'],
    [
      'identity only together with a credentials file',
      { ...minimal, inbound: { identityOnly: true, credentialsFile: '/c' } },
      'inbound.identityOnly',
    ],
    [
      'outbound with neither a user file nor OIDC',
      {
        ...minimal,
        outbound: { zones: [{ hostSuffix: 'zone-a', audience: 'x' }] },
        workloadIdentity: { witFile: '/wit', privateKeyFile: '/key' },
      },
      'outbound',
    ],
  ])('refuses %s, naming the field', (_, value, field) => {
    expect(() => parseConfig(translatorConfigSchema, value)).toThrow(field);
  });
});

describe('audienceResolver', () => {
  const resolve = audienceResolver([
    { hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' },
    { hostSuffix: 'eu.zone-b', audience: 'spiffe://eu.zone-b.example' },
  ]);

  it('names the service the Host names, in the zone of the longest matching suffix on a label boundary', () => {
    expect(resolve('orders.zone-b')).toBe('spiffe://zone-b.example/orders');
    expect(resolve('orders.shop.zone-b')).toBe('spiffe://zone-b.example/orders.shop');
    expect(resolve('orders.eu.zone-b')).toBe('spiffe://eu.zone-b.example/orders');
    expect(resolve('orders.notzone-b')).toBeUndefined();
    // The zone alone is no service: nothing is signed for it.
    expect(resolve('zone-b')).toBeUndefined();
  });
});
