import { X509Certificate } from 'node:crypto';
import type { ContractRootRotation } from '../lib/contract/root-rotation.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { activateRoot, announceRoot, revokeRoot } from '../test/support/test-root-rotation.js';
import {
  approvedContract,
  forgeApproval,
  participantOf,
  proposedContract,
} from '../test/support/test-contracts.js';
import { createTestRoot, createTestZone, type TestRoot, type TestZone } from '../test/support/test-zone.js';
import {
  desiredBundles,
  type DesiredBundlesResult,
  type OwnZone,
  type RejectionReason,
} from './desired-bundles.js';

let a: TestZone;
let b: TestZone;
let c: TestZone;
let mallory: TestZone;

beforeAll(async () => {
  [a, b, c, mallory] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
    createTestZone('zone-a'),
  ]);
});

function ownZoneA(): OwnZone {
  return { trustDomain: a.trustDomain, rootSha256s: new Set([a.rootSha256]) };
}

interface Case {
  name: string;
  contracts: () => Promise<TrustContract[]>;
  trusted: () => Record<string, string[]>;
  rejected: RejectionReason[];
}

const cases: Case[] = [
  {
    name: 'trusts the partner root for its own trust domain when both zones approved',
    contracts: async () => [await approvedContract('ab', [a, b])],
    trusted: () => ({ [b.trustDomain]: [b.rootSha256] }),
    rejected: [],
  },
  {
    name: 'trusts nothing when the repository calls a contract active that only one zone approved',
    contracts: async () => [await approvedContract('ab', [a, b], [a])],
    trusted: () => ({}),
    rejected: ['ApprovalMissing'],
  },
  {
    name: 'ignores a proposed contract without reporting it',
    contracts: () => Promise.resolve([proposedContract('ab', [a, b])]),
    trusted: () => ({}),
    rejected: [],
  },
  {
    name: 'ignores a revoked contract even though its approvals still verify',
    contracts: async () => {
      const contract = await approvedContract('ab', [a, b]);
      return [
        {
          ...contract,
          state: 'revoked',
          revocation: { revokedBy: 'spiffe://zone-b.example/admin', revokedAt: new Date(), reason: 'done' },
        },
      ];
    },
    trusted: () => ({}),
    rejected: [],
  },
  {
    name: 'rejects an active contract whose partner approval is forged with another zone key',
    contracts: async () => {
      const genuine = await approvedContract('ab', [a, b], [a]);
      const forged = await approvedContract('ab', [a, b], [a]);
      const approvalOfA = forged.approvals[0];
      if (approvalOfA === undefined) throw new Error('fixture has no approval');
      return [{ ...genuine, approvals: [...genuine.approvals, { ...approvalOfA, participant: 'zone-b' }] }];
    },
    trusted: () => ({}),
    rejected: ['ApprovalInvalid'],
  },
  {
    name: 'rejects an active contract whose partner approval a workload of the partner zone signed',
    contracts: async () => {
      const contract = await approvedContract('ab', [a, b], [a]);
      const workload = await b.issue('/ns/shop/sa/some-app');
      return [
        {
          ...contract,
          approvals: [...contract.approvals, await forgeApproval(contract, 'zone-b', workload)],
        },
      ];
    },
    trusted: () => ({}),
    rejected: ['ApprovalInvalid'],
  },
  {
    name: 'rejects an active contract whose partner root was swapped after approval',
    contracts: async () => {
      const contract = await approvedContract('ab', [a, b]);
      const swapped = { ...participantOf(c), name: b.name, trustDomain: b.trustDomain };
      return [{ ...contract, participants: [participantOf(a), swapped] }];
    },
    trusted: () => ({}),
    rejected: ['ApprovalInvalid'],
  },
  {
    name: 'rejects a contract that does not name our trust domain',
    contracts: async () => [await approvedContract('bc', [b, c])],
    trusted: () => ({}),
    rejected: ['NotAParticipant'],
  },
  {
    name: 'rejects a contract that names our trust domain with a root that is not ours',
    contracts: async () => [await approvedContract('mb', [mallory, b])],
    trusted: () => ({}),
    rejected: ['OwnRootMismatch'],
  },
  {
    name: 'keeps trust from a valid contract when another contract with the same partner is tampered',
    contracts: async () => [
      await approvedContract('ab', [a, b]),
      await approvedContract('ab-2', [a, b], [a]),
    ],
    trusted: () => ({ [b.trustDomain]: [b.rootSha256] }),
    rejected: ['ApprovalMissing'],
  },
  {
    name: 'keeps one separate bundle per partner zone',
    contracts: async () => [await approvedContract('abc', [a, b, c])],
    trusted: () => ({ [b.trustDomain]: [b.rootSha256], [c.trustDomain]: [c.rootSha256] }),
    rejected: [],
  },
  {
    name: 'deduplicates a partner root that two contracts trust',
    contracts: async () => [await approvedContract('ab', [a, b]), await approvedContract('ab-2', [a, b])],
    trusted: () => ({ [b.trustDomain]: [b.rootSha256] }),
    rejected: [],
  },
];

describe('desiredBundles', () => {
  it.each(cases)('$name', async ({ contracts, trusted, rejected }) => {
    const result = desiredBundles(await contracts(), ownZoneA(), new Date());
    const fingerprints = Object.fromEntries(
      [...result.bundles].map(([trustDomain, bundle]) => [
        trustDomain,
        bundle.rootsPem.map((pem) => [a, b, c, mallory].find((zone) => zone.rootPem === pem)?.rootSha256),
      ]),
    );
    expect(fingerprints).toEqual(trusted());
    expect(result.rejections.map((rejection) => rejection.reason)).toEqual(rejected);
  });

  it('names every contract that establishes trust in a zone', async () => {
    const result = desiredBundles(
      [await approvedContract('ab-2', [a, b]), await approvedContract('ab', [a, b])],
      ownZoneA(),
      new Date(),
    );
    expect(result.bundles.get(b.trustDomain)?.contractIds).toEqual(['ab', 'ab-2']);
  });
});

describe('desiredBundles with root rotations', () => {
  const rotation = (announcement: ContractRootRotation['announcement']): ContractRootRotation => ({
    announcement,
    activation: undefined,
    acknowledgements: [],
  });
  const ownZoneB = (): OwnZone => ({ trustDomain: b.trustDomain, rootSha256s: new Set([b.rootSha256]) });
  const zoneARootsAtB = (result: DesiredBundlesResult) =>
    (result.bundles.get(a.trustDomain)?.rootsPem ?? []).map((pem) => sha256Hex(new X509Certificate(pem).raw));
  let a1: TestRoot;

  beforeAll(async () => {
    a1 = await createTestRoot(a.trustDomain);
  });

  it("installs a partner's announced root next to its pinned root and acknowledges it once", async () => {
    const contract = await approvedContract('ab', [a, b]);
    const announced = {
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin))],
    };
    const result = desiredBundles([announced], ownZoneB(), new Date());
    expect(zoneARootsAtB(result).sort()).toEqual([a.rootSha256, a1.rootSha256].sort());
    expect(result.toAcknowledge).toEqual([
      { contractId: 'ab', trustDomain: a.trustDomain, rootSha256: a1.rootSha256 },
    ]);
    const acknowledged = {
      ...announced,
      rootRotations: announced.rootRotations.map((carried) => ({
        ...carried,
        acknowledgements: [{ trustDomain: b.trustDomain, acknowledgedBy: 'x', acknowledgedAt: new Date() }],
      })),
    };
    expect(desiredBundles([acknowledged], ownZoneB(), new Date()).toAcknowledge).toEqual([]);
  });

  it('installs nothing new for an announcement its zone approver did not sign, and reports it', async () => {
    const contract = await approvedContract('ab', [a, b]);
    const forged = {
      ...contract,
      rootRotations: [
        rotation(await announceRoot(contract, a, a1, a.admin, { approver: await a.issue('/ns/x/sa/y') })),
      ],
    };
    const result = desiredBundles([forged], ownZoneB(), new Date());
    expect(zoneARootsAtB(result)).toEqual([a.rootSha256]);
    expect(result.toAcknowledge).toEqual([]);
    expect(result.refusedRootStatements.map((refused) => refused.reason)).toEqual([
      'RootAnnouncementInvalid',
    ]);
  });

  it('keeps only the new root once the replaced one retired, and the rotated zone still trusts its partners', async () => {
    const contract = await approvedContract('ab', [a, b]);
    const activatedAt = new Date(Math.floor(Date.now()));
    const rotated = {
      ...contract,
      rootRotations: [
        {
          ...rotation(await announceRoot(contract, a, a1, a.admin)),
          activation: activateRoot(a, a1, 1, activatedAt, 1000),
        },
      ],
    };
    const later = new Date(activatedAt.getTime() + 1000);
    expect(zoneARootsAtB(desiredBundles([rotated], ownZoneB(), later))).toEqual([a1.rootSha256]);
    const ownZoneAfterRotation = { trustDomain: a.trustDomain, rootSha256s: new Set([a1.rootSha256]) };
    const atA = desiredBundles([rotated], ownZoneAfterRotation, later);
    expect(atA.rejections).toEqual([]);
    expect([...atA.bundles.keys()]).toEqual([b.trustDomain]);
  });

  it('drops every root of a partner whose pinned root its own key revoked (emergency rotation)', async () => {
    const contract = await approvedContract('ab', [a, b]);
    const revoked = {
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin))],
      rootRevocations: [revokeRoot(a, 'key compromised')],
    };
    const result = desiredBundles([revoked], ownZoneB(), new Date());
    expect(result.bundles.has(a.trustDomain)).toBe(false);
  });
});
