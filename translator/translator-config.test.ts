import { parseConfig } from '../lib/config/load-config.js';
import { audienceResolver, inboundAudiences, translatorConfigSchema } from './translator-config.js';

const minimal = { trustDomain: 'zone-b.example', bundleDirectory: '/bundles' };

describe('translatorConfigSchema', () => {
  it('defaults to a loopback listener and the zone as inbound audience', () => {
    const config = parseConfig(translatorConfigSchema, minimal);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9191 });
    expect(inboundAudiences(config)).toEqual(['spiffe://zone-b.example']);
    expect(config.outbound).toBeUndefined();
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
  ])('refuses %s, naming the field', (_, value, field) => {
    expect(() => parseConfig(translatorConfigSchema, value)).toThrow(field);
  });
});

describe('audienceResolver', () => {
  const resolve = audienceResolver([
    { hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' },
    { hostSuffix: 'eu.zone-b', audience: 'spiffe://eu.zone-b.example' },
  ]);

  it('picks the longest matching suffix on a label boundary', () => {
    expect(resolve('orders.zone-b')).toBe('spiffe://zone-b.example');
    expect(resolve('orders.eu.zone-b')).toBe('spiffe://eu.zone-b.example');
    expect(resolve('orders.notzone-b')).toBeUndefined();
  });
});
