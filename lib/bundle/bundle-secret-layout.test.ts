import { bundleMapSecretName, bundleSecretName } from './bundle-secret-layout.js';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('bundleSecretName', () => {
  it.each([
    ['a dotted trust domain', 'zone-b.example', /^accord-bundle-zone-b-example-[0-9a-f]{8}$/],
    [
      'a trust domain with underscores',
      'team_a.corp.example',
      /^accord-bundle-team-a-corp-example-[0-9a-f]{8}$/,
    ],
    [
      'a trust domain of the longest allowed length',
      `${'x'.repeat(250)}.io`,
      /^accord-bundle-x{40}-[0-9a-f]{8}$/,
    ],
  ])('turns %s into a DNS-1123 label', (_, trustDomain, expected) => {
    const name = bundleSecretName(trustDomain);
    expect(name).toMatch(expected);
    expect(name).toMatch(dns1123Label);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it('gives trust domains that read the same after sanitizing different names', () => {
    const names = ['a.b', 'a_b', 'a-b'].map(bundleSecretName);
    expect(new Set(names).size).toBe(3);
  });

  it('depends on the trust domain only, and never names the bundle map Secret', () => {
    expect(bundleSecretName('zone-b.example')).toBe(bundleSecretName('zone-b.example'));
    expect(bundleSecretName('map')).not.toBe(bundleMapSecretName);
  });
});
