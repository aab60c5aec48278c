import { participantOf, proposedContract } from '../../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../../test/support/test-zone.js';
import { participantNamed, participantOfTrustDomain, type TrustContract } from './trust-contract.js';

let a: TestZone;
let b: TestZone;
let contract: TrustContract;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
  contract = proposedContract('ab', [a, b]);
});

describe('participantNamed and participantOfTrustDomain', () => {
  it('find the participant by its name or its trust domain, and no other', () => {
    expect(participantNamed(contract, 'zone-b')).toEqual(participantOf(b));
    expect(participantNamed(contract, 'zone-b.example')).toBeUndefined();
    expect(participantOfTrustDomain(contract, 'zone-a.example')).toEqual(participantOf(a));
    expect(participantOfTrustDomain(contract, 'zone-b.example')?.name).toBe('zone-b');
    expect(participantOfTrustDomain(contract, 'zone-a')).toBeUndefined();
  });
});
