import { activePartnerZones, routedZones, type RemoteZoneAddress } from './partner-zones.js';

function contract(trustDomains: string[], state: 'Proposed' | 'Active' | 'Revoked' | undefined) {
  return {
    spec: {
      participants: trustDomains.map((trustDomain, index) => ({ name: `z${String(index)}`, trustDomain })),
    },
    ...(state === undefined ? {} : { status: { observedGeneration: 1, state, conditions: [] } }),
  };
}

const addresses: RemoteZoneAddress[] = [
  { trustDomain: 'zone-b.example', hostSuffix: 'zone-b', endpoint: { host: 'b.example', port: 443 } },
  { trustDomain: 'zone-c.example', hostSuffix: 'zone-c', endpoint: { host: 'c.example', port: 443 } },
];

describe('activePartnerZones', () => {
  it('takes the other participants of Active contracts naming this zone, once each, sorted', () => {
    const result = activePartnerZones(
      [
        contract(['zone-a.example', 'zone-c.example'], 'Active'),
        contract(['zone-a.example', 'zone-b.example', 'zone-c.example'], 'Active'),
      ],
      'zone-a.example',
      addresses,
    );
    expect(result).toEqual({
      zones: [
        { trustDomain: 'zone-b.example', hostSuffix: 'zone-b', endpoint: { host: 'b.example', port: 443 } },
        { trustDomain: 'zone-c.example', hostSuffix: 'zone-c', endpoint: { host: 'c.example', port: 443 } },
      ],
      unaddressed: [],
    });
  });

  it.each([
    ['proposed', contract(['zone-a.example', 'zone-b.example'], 'Proposed')],
    ['revoked', contract(['zone-a.example', 'zone-b.example'], 'Revoked')],
    ['without a status', contract(['zone-a.example', 'zone-b.example'], undefined)],
    ['between other zones', contract(['zone-b.example', 'zone-c.example'], 'Active')],
    ['with a spec of another shape', { spec: { zones: [] }, status: contract([], 'Active').status }],
  ])('ignores a contract %s', (_name, ignored) => {
    expect(activePartnerZones([ignored], 'zone-a.example', addresses)).toEqual({
      zones: [],
      unaddressed: [],
    });
  });

  it('reports an Active partner the config has no address for', () => {
    const result = activePartnerZones(
      [contract(['zone-a.example', 'zone-d.example', 'zone-b.example'], 'Active')],
      'zone-a.example',
      addresses,
    );
    expect(result.zones.map((zone) => zone.trustDomain)).toEqual(['zone-b.example']);
    expect(result.unaddressed).toEqual(['zone-d.example']);
  });
});

describe('routedZones', () => {
  it('routes every configured remote zone, sorted, whatever the contracts say', () => {
    expect(routedZones([...addresses].reverse(), 'zone-a.example')).toEqual([
      { trustDomain: 'zone-b.example', hostSuffix: 'zone-b', endpoint: { host: 'b.example', port: 443 } },
      { trustDomain: 'zone-c.example', hostSuffix: 'zone-c', endpoint: { host: 'c.example', port: 443 } },
    ]);
  });

  it('never routes the own zone', () => {
    expect(routedZones(addresses, 'zone-b.example').map((zone) => zone.trustDomain)).toEqual([
      'zone-c.example',
    ]);
  });
});
