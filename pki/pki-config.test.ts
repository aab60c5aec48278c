import { parseConfig } from '../lib/config/load-config.js';
import { pkiConfigSchema } from './pki-config.js';

const minimal = { trustDomain: 'zone-a.example', storeDir: '/tmp/pki' };
const caSecret = { namespace: 'accord-system', name: 'zone-a.pki-ca' };

describe('pkiConfigSchema', () => {
  it('fills defaults for a minimal config', () => {
    expect(parseConfig(pkiConfigSchema, minimal)).toMatchObject({
      listen: { host: '127.0.0.1', port: 8443 },
      svidTtlSeconds: 86_400,
      svidMaxTtlSeconds: 7 * 86_400,
      witTtlSeconds: 300,
      witMaxTtlSeconds: 3600,
      rootTtlSeconds: 365 * 86_400,
      clockSkewSeconds: 60,
      bundleRefreshHintSeconds: 300,
      storeReloadIntervalSeconds: 10,
      bootstrapTokens: [],
    });
  });

  it('reads lifetimes as Kubernetes-style durations and keeps them in seconds', () => {
    expect(
      parseConfig(pkiConfigSchema, {
        ...minimal,
        svidTtl: '12h',
        svidMaxTtl: '48h',
        witTtl: '90s',
        witMaxTtl: '1h30m',
        rootTtl: '87600h',
        clockSkew: '0s',
        bundleRefreshHint: '1m',
        storeReloadInterval: '2s',
      }),
    ).toMatchObject({
      svidTtlSeconds: 43_200,
      svidMaxTtlSeconds: 172_800,
      witTtlSeconds: 90,
      witMaxTtlSeconds: 5400,
      rootTtlSeconds: 3650 * 86_400,
      clockSkewSeconds: 0,
      bundleRefreshHintSeconds: 60,
      storeReloadIntervalSeconds: 2,
    });
  });

  it('names each bootstrap token by the file holding it', () => {
    const bootstrapTokens = [{ spiffePath: '/accord/operator', tokenFile: '/etc/accord-secrets/operator' }];
    expect(parseConfig(pkiConfigSchema, { ...minimal, bootstrapTokens }).bootstrapTokens).toEqual(
      bootstrapTokens,
    );
  });

  it('keeps the CA state in a Secret without needing a store directory', () => {
    const config = parseConfig(pkiConfigSchema, { trustDomain: 'zone-a.example', caSecret });
    expect(config.caSecret).toEqual(caSecret);
    expect(config.storeDir).toBeUndefined();
  });

  it('turns TokenReview on with the accord-pki audience and the in-cluster API server by default', () => {
    expect(parseConfig(pkiConfigSchema, minimal).kubernetesTokenReview).toBeUndefined();
    expect(
      parseConfig(pkiConfigSchema, { ...minimal, kubernetesTokenReview: {} }).kubernetesTokenReview,
    ).toEqual({ audience: 'accord-pki' });
  });

  it.each([
    ['an invalid trust domain', { ...minimal, trustDomain: 'Zone-A' }, 'trustDomain'],
    [
      'a token given in clear',
      { ...minimal, bootstrapTokens: [{ token: 'secret', spiffePath: '/a' }] },
      'bootstrapTokens.0: Unrecognized key: "token"',
    ],
    [
      'a token hash, which the PKI now computes itself from tokenFile',
      { ...minimal, bootstrapTokens: [{ tokenSha256: 'a'.repeat(64), spiffePath: '/a' }] },
      'Unrecognized key: "tokenSha256"',
    ],
    [
      'a bootstrap token without its file',
      { ...minimal, bootstrapTokens: [{ spiffePath: '/a' }] },
      'bootstrapTokens.0.tokenFile',
    ],
    [
      'an invalid SPIFFE path',
      { ...minimal, bootstrapTokens: [{ tokenFile: '/t', spiffePath: 'a' }] },
      'bootstrapTokens.0.spiffePath',
    ],
    [
      'a lifetime without a unit',
      { ...minimal, svidTtl: '3600' },
      'svidTtl: "3600" is not a duration: use a number and a unit, e.g. 30s, 5m, 1h30m (a unit is missing',
    ],
    ['a lifetime as a number', { ...minimal, svidTtl: 3600 }, 'svidTtl: must be a duration string'],
    [
      'a lifetime finer than a second',
      { ...minimal, witTtl: '1500ms' },
      'witTtl: must be a whole number of seconds',
    ],
    ['a negative clock skew', { ...minimal, clockSkew: '-1s' }, 'clockSkew: must not be negative'],
    ['the old field name with its unit', { ...minimal, svidTtlSeconds: 3600 }, 'svidTtlSeconds'],
    ['a missing store directory', { trustDomain: 'zone-a.example' }, 'storeDir'],
    ['a misspelt field', { ...minimal, caSecert: caSecret }, 'caSecert'],
    [
      'a Secret namespace that is no DNS label',
      { ...minimal, caSecret: { ...caSecret, namespace: 'A_B' } },
      'caSecret.namespace',
    ],
    [
      'a Secret name that is no DNS subdomain',
      { ...minimal, caSecret: { ...caSecret, name: 'ca/state' } },
      'caSecret.name',
    ],
    ['an unknown Secret field', { ...minimal, caSecret: { ...caSecret, key: 'ca.json' } }, 'key'],
  ])('rejects %s naming the field', (_name, value, field) => {
    expect(() => parseConfig(pkiConfigSchema, value)).toThrow(field);
  });
});

describe('pkiConfigSchema clock skew against the SVID lifetime', () => {
  it('refuses a clockSkew of a third of svidTtl or more, naming both settings', () => {
    expect(() => parseConfig(pkiConfigSchema, { ...minimal, svidTtl: '15s' })).toThrow(
      'invalid configuration: clockSkew: must be less than a third of svidTtl (clockSkew 60s, svidTtl 15s): ' +
        'SVIDs are renewed after 2/3 of svidTtl, and a peer whose clock runs clockSkew ahead rejects them ' +
        'clockSkew before they expire',
    );
    expect(() => parseConfig(pkiConfigSchema, { ...minimal, svidTtl: '3m', clockSkew: '1m' })).toThrow(
      'clockSkew 60s, svidTtl 180s',
    );
  });

  it('accepts a clockSkew just under a third of svidTtl, and none at all with the shortest svidTtl', () => {
    expect(parseConfig(pkiConfigSchema, { ...minimal, svidTtl: '181s', clockSkew: '1m' })).toMatchObject({
      svidTtlSeconds: 181,
      clockSkewSeconds: 60,
    });
    expect(parseConfig(pkiConfigSchema, { ...minimal, svidTtl: '1s', clockSkew: '0s' })).toMatchObject({
      svidTtlSeconds: 1,
      clockSkewSeconds: 0,
    });
  });
});
