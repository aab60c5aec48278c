import { parseConfig } from '../../lib/config/load-config.js';
import { operatorConfigSchema } from '../operator-config.js';
import { requiredOperatorConfig } from '../../test/operator/operator-config-fixture.js';

const injection = {
  namespace: 'accord-system',
  envoy: { image: 'envoyproxy/envoy:v1.40.0' },
  translator: { image: 'ghcr.io/accord/accord:0.1.0' },
};
const zoneB = {
  trustDomain: 'zone-b.example',
  hostSuffix: 'zone-b',
  endpoint: { host: 'ingress.zone-b', port: 443 },
};

describe("the MeshWorkload controller's operator config", () => {
  it('routes no remote zone and leaves the PKI address to the operator by default', () => {
    const config = parseConfig(operatorConfigSchema, { ...requiredOperatorConfig, injection });
    expect(config.injection?.remoteZones).toEqual([]);
    expect(config.injection?.pkiAddress).toBeUndefined();
  });

  it('takes remote zones and a PKI address for the pods', () => {
    const config = parseConfig(operatorConfigSchema, {
      ...requiredOperatorConfig,
      injection: { ...injection, pkiAddress: 'accord-pki.accord-system.svc:8443', remoteZones: [zoneB] },
    });
    expect(config.injection?.remoteZones).toEqual([zoneB]);
    expect(config.injection?.pkiAddress).toBe('accord-pki.accord-system.svc:8443');
  });

  it.each([
    [
      'a duplicate host suffix',
      { remoteZones: [zoneB, { ...zoneB, trustDomain: 'zone-c.example' }] },
      'hostSuffix',
    ],
    [
      'a host suffix that is not a DNS name',
      { remoteZones: [{ ...zoneB, hostSuffix: 'Zone B' }] },
      'hostSuffix',
    ],
    ['an invalid trust domain', { remoteZones: [{ ...zoneB, trustDomain: 'Zone/B' }] }, 'trustDomain'],
    ['a PKI address without a port', { pkiAddress: 'accord-pki' }, 'pkiAddress'],
  ])('rejects %s', (_name, override, field) => {
    expect(() =>
      parseConfig(operatorConfigSchema, {
        ...requiredOperatorConfig,
        injection: { ...injection, ...override },
      }),
    ).toThrow(field);
  });
});
