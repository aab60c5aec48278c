import type { TrustContract } from '../lib/contract/trust-contract.js';
import {
  approvedContract,
  forgeApproval,
  participantOf,
  proposedContract,
} from '../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import { desiredBundles, type OwnZone, type RejectionReason } from './desired-bundles.js';

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
    const result = desiredBundles(await contracts(), ownZoneA());
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
    );
    expect(result.bundles.get(b.trustDomain)?.contractIds).toEqual(['ab', 'ab-2']);
  });
});
