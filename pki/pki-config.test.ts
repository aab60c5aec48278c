import { parseConfig } from '../lib/config/load-config.js';
import { pkiConfigSchema } from './pki-config.js';

const minimal = { trustDomain: 'zone-a.example', storeDir: '/tmp/pki' };
const caSecret = { namespace: 'accord-system', name: 'zone-a.pki-ca' };

describe('pkiConfigSchema', () => {
  it('fills defaults for a minimal config', () => {
    expect(parseConfig(pkiConfigSchema, minimal)).toMatchObject({
      listen: { host: '127.0.0.1', port: 8443 },
      svidTtlSeconds: 86_400,
      witTtlSeconds: 300,
      bootstrapTokens: [],
    });
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
      { ...minimal, bootstrapTokens: [{ tokenSha256: 'secret', spiffePath: '/a' }] },
      'tokenSha256',
    ],
    [
      'an invalid SPIFFE path',
      { ...minimal, bootstrapTokens: [{ tokenSha256: 'a'.repeat(64), spiffePath: 'a' }] },
      'spiffePath',
    ],
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
