import type { ContractRootRotation, RootAcknowledgement } from '../../lib/contract/root-rotation.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { approvedContract } from '../../test/support/test-contracts.js';
import { activateRoot, announceRoot, revokeRoot } from '../../test/support/test-root-rotation.js';
import {
  createTestRoot,
  createTestZone,
  type TestRoot,
  type TestZone,
} from '../../test/support/test-zone.js';
import { contractRootsStatus } from './participant-roots-status.js';
import type { ParticipantRootsStatus } from './trust-contract-crd.js';

let a: TestZone;
let b: TestZone;
let c: TestZone;
let mallory: TestZone;
let a1: TestRoot;
let contract: TrustContract;

beforeAll(async () => {
  [a, b, c, mallory, a1] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
    createTestZone('zone-a'),
    createTestRoot('zone-a.example'),
  ]);
  contract = await approvedContract('abc', [a, b, c]);
});

const now = new Date(Math.floor(Date.now()));
const activatedAt = new Date(now.getTime() - 10_000);

function acknowledged(...zones: { trustDomain: string }[]): RootAcknowledgement[] {
  return zones.map(({ trustDomain }) => ({
    trustDomain,
    acknowledgedBy: `spiffe://${trustDomain}/accord/contract-provider`,
    acknowledgedAt: now,
  }));
}

async function announcedA1(
  acknowledgements: RootAcknowledgement[] = [],
  options: Parameters<typeof announceRoot>[4] = {},
): Promise<ContractRootRotation> {
  return {
    announcement: await announceRoot(contract, a, a1, a.admin, { announcedAt: activatedAt, ...options }),
    activation: undefined,
    acknowledgements,
  };
}

/** Zone A's entry of `status.participants` for `carried`, at `at`. */
function zoneA(carried: TrustContract, at = now): ParticipantRootsStatus | undefined {
  return contractRootsStatus(carried, at).participants.find((participant) => participant.name === 'zone-a');
}

function validityOf(root: TestRoot) {
  return {
    notBefore: new Date(root.root.validFrom).toISOString(),
    notAfter: new Date(root.root.validTo).toISOString(),
  };
}

describe('contractRootsStatus', () => {
  it("shows every participant's pinned root as current, in the contract's order, when nothing rotates", () => {
    const status = contractRootsStatus(contract, now);
    expect(status.rotatingParticipants).toBe(0);
    expect(status.participants).toEqual(
      [a, b, c].map((zone) => ({
        name: zone.name,
        trustDomain: zone.trustDomain,
        phase: 'Stable',
        currentRoot: { sha256: zone.rootSha256, sequence: 0, ...validityOf(zone) },
      })),
    );
  });

  it('shows an announced root as next, with the partners that acknowledged it', async () => {
    const carried = { ...contract, rootRotations: [await announcedA1(acknowledged(b))] };
    const status = contractRootsStatus(carried, now);
    expect(status.rotatingParticipants).toBe(1);
    expect(zoneA(carried)).toEqual({
      name: 'zone-a',
      trustDomain: 'zone-a.example',
      phase: 'Announced',
      currentRoot: { sha256: a.rootSha256, sequence: 0, ...validityOf(a) },
      nextRoot: {
        sha256: a1.rootSha256,
        sequence: 1,
        ...validityOf(a1),
        announcedAt: activatedAt.toISOString(),
        acknowledgedBy: ['zone-b'],
      },
    });
    expect(status.participants.map((participant) => participant.phase)).toEqual([
      'Announced',
      'Stable',
      'Stable',
    ]);
  });

  it("lists only the contract's other participants as acknowledgers, in the contract's order", async () => {
    const carried = {
      ...contract,
      rootRotations: [await announcedA1(acknowledged(c, a, { trustDomain: 'zone-x.example' }, b))],
    };
    expect(zoneA(carried)?.nextRoot?.acknowledgedBy).toEqual(['zone-b', 'zone-c']);
  });

  it('shows the activated root as current and the replaced one as previous until it retires', async () => {
    const carried = {
      ...contract,
      rootRotations: [
        {
          ...(await announcedA1(acknowledged(b, c))),
          activation: activateRoot(a, a1, 1, activatedAt, 60_000),
        },
      ],
    };
    const retireAfter = new Date(activatedAt.getTime() + 60_000);
    expect(zoneA(carried)).toMatchObject({
      phase: 'Overlap',
      currentRoot: { sha256: a1.rootSha256, sequence: 1, activatedAt: activatedAt.toISOString() },
      previousRoot: { sha256: a.rootSha256, sequence: 0, retireAfter: retireAfter.toISOString() },
    });
    expect(zoneA(carried)?.nextRoot).toBeUndefined();
    expect(contractRootsStatus(carried, now).rotatingParticipants).toBe(1);

    const retired = zoneA(carried, retireAfter);
    expect(retired).toMatchObject({ phase: 'Stable', currentRoot: { sha256: a1.rootSha256 } });
    expect(retired?.previousRoot).toBeUndefined();
  });

  it('shows current, previous and next at once when the zone announces again during an overlap', async () => {
    const a2 = await createTestRoot('zone-a.example');
    const carried = {
      ...contract,
      rootRotations: [
        {
          ...(await announcedA1(acknowledged(b, c))),
          activation: activateRoot(a, a1, 1, activatedAt, 60_000),
        },
        {
          announcement: await announceRoot(contract, a1, a2, await a1.issue('/accord/admin'), {
            sequence: 2,
          }),
          activation: undefined,
          acknowledgements: [],
        },
      ],
    };
    expect(zoneA(carried)).toMatchObject({
      phase: 'Announced',
      currentRoot: { sha256: a1.rootSha256, sequence: 1 },
      nextRoot: { sha256: a2.rootSha256, sequence: 2, acknowledgedBy: [] },
      previousRoot: { sha256: a.rootSha256, sequence: 0 },
    });
  });

  it('ignores an announcement not signed by the root it replaces: no next root is shown', async () => {
    const carried = {
      ...contract,
      rootRotations: [await announcedA1(acknowledged(b, c), { continuitySigner: mallory })],
    };
    expect(zoneA(carried)).toEqual({
      name: 'zone-a',
      trustDomain: 'zone-a.example',
      phase: 'Stable',
      currentRoot: { sha256: a.rootSha256, sequence: 0, ...validityOf(a) },
    });
    expect(contractRootsStatus(carried, now).rotatingParticipants).toBe(0);
  });

  it('keeps the announced root next when its activation is not signed by the new root', async () => {
    const forged = {
      ...activateRoot(a, a1, 1, activatedAt, 0),
      signature: activateRoot(a, a, 1, activatedAt, 0).signature,
    };
    const carried = { ...contract, rootRotations: [{ ...(await announcedA1()), activation: forged }] };
    expect(zoneA(carried)).toMatchObject({
      phase: 'Announced',
      currentRoot: { sha256: a.rootSha256 },
      nextRoot: { sha256: a1.rootSha256 },
    });
    expect(zoneA(carried)?.nextRoot?.activatedAt).toBeUndefined();
  });

  it('shows no current root and the pinned root revoked after an emergency rotation', async () => {
    const revocation = revokeRoot(a, 'key compromised');
    const carried = { ...contract, rootRotations: [await announcedA1()], rootRevocations: [revocation] };
    expect(zoneA(carried)).toEqual({
      name: 'zone-a',
      trustDomain: 'zone-a.example',
      phase: 'Revoked',
      revokedRoot: {
        sha256: a.rootSha256,
        sequence: 0,
        ...validityOf(a),
        revokedAt: revocation.revokedAt.toISOString(),
      },
    });
  });

  it('shows a cancelled announced root as revoked next to the current root, which stays', async () => {
    const carried = {
      ...contract,
      rootRotations: [await announcedA1(acknowledged(b))],
      rootRevocations: [revokeRoot(a1, 'rotation cancelled')],
    };
    expect(zoneA(carried)).toMatchObject({
      phase: 'Stable',
      currentRoot: { sha256: a.rootSha256 },
      revokedRoot: { sha256: a1.rootSha256, sequence: 1, acknowledgedBy: ['zone-b'] },
    });
    expect(zoneA(carried)?.nextRoot).toBeUndefined();
  });

  it('shows no current root when the activated root is revoked after the replaced one retired', async () => {
    const longAgo = new Date(now.getTime() - 120_000);
    const carried = {
      ...contract,
      rootRotations: [
        {
          ...(await announcedA1([], { announcedAt: longAgo })),
          activation: activateRoot(a, a1, 1, longAgo, 1_000),
        },
      ],
      rootRevocations: [revokeRoot(a1, 'key compromised')],
    };
    expect(zoneA(carried)).toMatchObject({ phase: 'Revoked', revokedRoot: { sha256: a1.rootSha256 } });
    expect(zoneA(carried)?.currentRoot).toBeUndefined();
  });

  it('ignores a revocation not signed by the revoked root', () => {
    const carried = { ...contract, rootRevocations: [revokeRoot(a, 'compromised', mallory)] };
    expect(zoneA(carried)).toMatchObject({ phase: 'Stable', currentRoot: { sha256: a.rootSha256 } });
    expect(zoneA(carried)?.revokedRoot).toBeUndefined();
  });
});
