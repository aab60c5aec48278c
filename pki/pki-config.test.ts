import { parseConfig } from '../lib/config/load-config.js';
import { pkiConfigSchema } from './pki-config.js';

const minimal = { trustDomain: 'zone-a.example', storeDir: '/tmp/pki' };

describe('pkiConfigSchema', () => {
  it('fills defaults for a minimal config', () => {
    expect(parseConfig(pkiConfigSchema, minimal)).toMatchObject({
      listen: { host: '127.0.0.1', port: 8443 },
      svidTtlSeconds: 86_400,
      witTtlSeconds: 300,
      bootstrapTokens: [],
    });
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
  ])('rejects %s naming the field', (_name, value, field) => {
    expect(() => parseConfig(pkiConfigSchema, value)).toThrow(field);
  });
});
