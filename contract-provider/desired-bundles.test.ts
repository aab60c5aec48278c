import { X509Certificate } from 'node:crypto';
import { canonicalRevocationBytes, contractTermsSha256 } from '../lib/contract/canonical-consent.js';
import { signConsent } from '../lib/contract/consent-signature.js';
import type { ContractRootRotation } from '../lib/contract/root-rotation.js';
import type { ConsentSigner } from '../lib/contract/zone-approvers.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { activateRoot, announceRoot, revokeRoot } from '../test/support/test-root-rotation.js';
import {
  approvedContract,
  forgeApproval,
  participantOf,
  proposedContract,
  revokedContract,
} from '../test/support/test-contracts.js';
import { createTestRoot, createTestZone, type TestRoot, type TestZone } from '../test/support/test-zone.js';
import {
  desiredBundles,
  type DesiredBundlesResult,
  type OwnZone,
  type RejectionReason,
} from './desired-bundles.js';
import { WithdrawnContracts, withdrawnContract } from './withdrawn-contracts.js';

let a: TestZone;
let b: TestZone;
let c: TestZone;
let mallory: TestZone;
/** A zone whose root expires in two hours: still valid for signing, expired at `afterExpiry()`. */
let expiring: TestZone;

beforeAll(async () => {
  [a, b, c, mallory, expiring] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
    createTestZone('zone-a'),
    createTestZone('zone-x', 'zone-x.example', {
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 2 * 3_600_000),
    }),
  ]);
});

/** Three hours from now: every test zone's root is still valid, `expiring`'s is not. */
function afterExpiry(): Date {
  return new Date(Date.now() + 3 * 3_600_000);
}

function ownZoneA(): OwnZone {
  return { trustDomain: a.trustDomain, rootSha256s: new Set([a.rootSha256]) };
}

interface Case {
  name: string;
  contracts: () => Promise<TrustContract[]>;
  trusted: () => Record<string, string[]>;
  rejected: RejectionReason[];
  /** Contracts the provider saw withdrawn earlier (its memory). */
  withdrawnBefore?: () => Promise<TrustContract[]>;
  /** Ids of the contracts this computation newly withdraws. */
  withdrawals?: string[];
}

/** One genuine contract between a and b, made once, so that cases can serve it again. */
let genuineAB: Promise<TrustContract> | undefined;
function contractAB(): Promise<TrustContract> {
  genuineAB ??= approvedContract('ab', [a, b]);
  return genuineAB;
}

function memoryOf(contracts: readonly TrustContract[]): WithdrawnContracts {
  return new WithdrawnContracts(
    contracts.map((contract) => withdrawnContract(contract, 'revoked', new Date())),
  );
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
    name: 'ignores a revoked contract even though its approvals still verify, and remembers it',
    contracts: async () => [await revokedContract(await contractAB(), b)],
    trusted: () => ({}),
    rejected: [],
    withdrawals: ['ab'],
  },
  {
    name: 'remembers a contract shown revoked whose revocation does not verify, and reports it',
    contracts: async () => {
      const revoked = await revokedContract(await contractAB(), b);
      const forged =
        revoked.revocation === undefined ? undefined : { ...revoked.revocation, reason: 'edited' };
      return [{ ...revoked, revocation: forged }];
    },
    trusted: () => ({}),
    rejected: ['RevocationInvalid'],
    withdrawals: ['ab'],
  },
  {
    name: 'ignores and remembers a contract the repository calls active that carries a revocation',
    contracts: async () => [{ ...(await revokedContract(await contractAB(), b)), state: 'active' }],
    trusted: () => ({}),
    rejected: [],
    withdrawals: ['ab'],
  },
  {
    name: 'remembers a contract shown revoked without any revocation',
    contracts: async () => [{ ...(await contractAB()), state: 'revoked' }],
    trusted: () => ({}),
    rejected: ['RevocationInvalid'],
    withdrawals: ['ab'],
  },
  {
    name: 'does not remember a revoked contract twice',
    withdrawnBefore: async () => [await contractAB()],
    contracts: async () => [await revokedContract(await contractAB(), b)],
    trusted: () => ({}),
    rejected: [],
  },
  {
    name: 'refuses a contract served active again after it was withdrawn (undone revocation)',
    withdrawnBefore: async () => [await contractAB()],
    contracts: async () => [await contractAB()],
    trusted: () => ({}),
    rejected: ['WithdrawnEarlier'],
  },
  {
    name: 'trusts a new contract under the withdrawn id, with a new creation time and fresh approvals',
    withdrawnBefore: async () => [await contractAB()],
    contracts: async () => [await approvedContract('ab', [a, b])],
    trusted: () => ({ [b.trustDomain]: [b.rootSha256] }),
    rejected: [],
  },
  {
    name: 'refuses a contract one of whose roots has expired',
    contracts: async () => [await approvedContract('ax', [a, expiring])],
    trusted: () => ({}),
    rejected: ['ParticipantRootInvalid'],
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
  it.each(cases)('$name', async ({ contracts, trusted, rejected, withdrawnBefore, withdrawals = [] }) => {
    const memory = memoryOf((await withdrawnBefore?.()) ?? []);
    const result = desiredBundles(await contracts(), ownZoneA(), memory, afterExpiry());
    const fingerprints = Object.fromEntries(
      [...result.bundles].map(([trustDomain, bundle]) => [
        trustDomain,
        bundle.rootsPem.map((pem) => [a, b, c, mallory].find((zone) => zone.rootPem === pem)?.rootSha256),
      ]),
    );
    expect(fingerprints).toEqual(trusted());
    expect(result.rejections.map((rejection) => rejection.reason)).toEqual(rejected);
    expect(result.withdrawals.map((entry) => entry.contractId)).toEqual(withdrawals);
  });

  it('says why a contract served again after its withdrawal is refused', async () => {
    const contract = await contractAB();
    const [rejection] = desiredBundles([contract], ownZoneA(), memoryOf([contract]), new Date()).rejections;
    expect(rejection?.detail).toBe(
      `contract ab with terms ${contractTermsSha256(contract)} was revoked or deleted before; propose a new contract`,
    );
  });

  it.each([
    [
      'a reason edited after signing',
      (revoked: TrustContract): TrustContract => ({
        ...revoked,
        revocation: revoked.revocation && { ...revoked.revocation, reason: 'edited' },
      }),
      'revocation rejected: the signature does not verify over the canonical bytes of contract ab for participant zone-b',
    ],
    [
      'no signature',
      (revoked: TrustContract): TrustContract => ({
        ...revoked,
        revocation: revoked.revocation && { ...revoked.revocation, signed: undefined },
      }),
      'revocation: unsigned; a participant signs its revocation',
    ],
    [
      'no revocation at all',
      (revoked: TrustContract): TrustContract => ({ ...revoked, revocation: undefined }),
      'the contract is revoked without a revocation',
    ],
  ])(
    'reports a revocation with %s as RevocationInvalid, and still withdraws the contract',
    async (_name, edit, detail) => {
      const revoked = edit(await revokedContract(await contractAB(), b));
      const result = desiredBundles([revoked], ownZoneA(), new WithdrawnContracts(), new Date());
      expect(result.rejections).toEqual([
        { contractId: 'ab', revision: revoked.revision, reason: 'RevocationInvalid', detail },
      ]);
      expect(result.withdrawals.map((entry) => entry.termsSha256)).toEqual([contractTermsSha256(revoked)]);
    },
  );

  it('remembers a withdrawn contract until its earliest root expires', async () => {
    const contract = await approvedContract('ax', [a, expiring]);
    const [withdrawal] = desiredBundles(
      [await revokedContract(contract, a)],
      ownZoneA(),
      new WithdrawnContracts(),
      new Date(),
    ).withdrawals;
    expect(withdrawal).toMatchObject({
      contractId: 'ax',
      withdrawal: 'revoked',
      termsSha256: contractTermsSha256(contract),
      forgetAfter: new Date(expiring.root.validTo),
    });
  });

  it('names every contract that establishes trust in a zone', async () => {
    const result = desiredBundles(
      [await approvedContract('ab-2', [a, b]), await approvedContract('ab', [a, b])],
      ownZoneA(),
      new WithdrawnContracts(),
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
    const result = desiredBundles([announced], ownZoneB(), new WithdrawnContracts(), new Date());
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
    expect(
      desiredBundles([acknowledged], ownZoneB(), new WithdrawnContracts(), new Date()).toAcknowledge,
    ).toEqual([]);
  });

  it('installs nothing new for an announcement its zone approver did not sign, and reports it', async () => {
    const contract = await approvedContract('ab', [a, b]);
    const forged = {
      ...contract,
      rootRotations: [
        rotation(await announceRoot(contract, a, a1, a.admin, { approver: await a.issue('/ns/x/sa/y') })),
      ],
    };
    const result = desiredBundles([forged], ownZoneB(), new WithdrawnContracts(), new Date());
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
    expect(zoneARootsAtB(desiredBundles([rotated], ownZoneB(), new WithdrawnContracts(), later))).toEqual([
      a1.rootSha256,
    ]);
    const ownZoneAfterRotation = { trustDomain: a.trustDomain, rootSha256s: new Set([a1.rootSha256]) };
    const atA = desiredBundles([rotated], ownZoneAfterRotation, new WithdrawnContracts(), later);
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
    const result = desiredBundles([revoked], ownZoneB(), new WithdrawnContracts(), new Date());
    expect(result.bundles.has(a.trustDomain)).toBe(false);
    // The whole contract is refused, saying why (not that a root expired).
    expect(result.rejections).toEqual([
      expect.objectContaining({
        contractId: 'ab',
        reason: 'ParticipantRootInvalid',
        detail: 'participant zone-a has no trusted root left: its own key revoked every root of its chain',
      }),
    ]);
  });

  it('withdraws a contract its partner revoked under its activated new root, and reports one revoked under a root never announced', async () => {
    const contract = await approvedContract('ab', [a, b]);
    const rotated: TrustContract = {
      ...contract,
      rootRotations: [
        {
          ...rotation(await announceRoot(contract, a, a1, a.admin)),
          activation: activateRoot(a, a1, 1, new Date(Math.floor(Date.now())), 3_600_000),
        },
      ],
    };
    const reason = 'zone-a leaves';
    const revokedWith = async (signer: ConsentSigner): Promise<TrustContract> => {
      const signedAt = new Date(Math.floor(Date.now()));
      const signed = await signConsent(
        canonicalRevocationBytes(rotated, 'zone-a', signedAt, reason),
        'zone-a',
        signer,
        signedAt,
      );
      return {
        ...rotated,
        state: 'revoked',
        revocation: {
          revokedBy: 'spiffe://zone-a.example/accord/operator',
          revokedAt: signedAt,
          reason,
          signed,
        },
        revision: rotated.revision + 1,
      };
    };
    const genuine = await revokedWith((await a1.issue('/accord/operator')).signer);
    const result = desiredBundles([genuine], ownZoneB(), new WithdrawnContracts(), new Date());
    expect(result.rejections).toEqual([]);
    expect(result.bundles.has(a.trustDomain)).toBe(false);
    expect(result.withdrawals.map((entry) => entry.termsSha256)).toEqual([contractTermsSha256(genuine)]);
    const unannounced = await createTestRoot(a.trustDomain);
    const forged = await revokedWith((await unannounced.issue('/accord/operator')).signer);
    expect(desiredBundles([forged], ownZoneB(), new WithdrawnContracts(), new Date()).rejections).toEqual([
      {
        contractId: 'ab',
        revision: forged.revision,
        reason: 'RevocationInvalid',
        detail:
          'revocation rejected: its timestamp is not signed by a root of participant zone-a in the contract (its pinned root or a root its verified rotations announced)',
      },
    ]);
  });
});

describe('desiredBundles: each rule of the verification, with its reason', () => {
  const verify = (contracts: TrustContract[], now = new Date(), ownZone = ownZoneA()): DesiredBundlesResult =>
    desiredBundles(contracts, ownZone, new WithdrawnContracts(), now);
  const rejectionsOf = (contracts: TrustContract[], now?: Date, ownZone?: OwnZone) =>
    verify(contracts, now, ownZone).rejections.map(({ reason, detail }) => ({ reason, detail }));

  it('says which zone is not a participant, whose approval is missing and whose is invalid', async () => {
    expect(rejectionsOf([await approvedContract('bc', [b, c])])).toEqual([
      { reason: 'NotAParticipant', detail: 'zone-a.example is not a participant' },
    ]);
    expect(rejectionsOf([await approvedContract('abc', [a, b, c], [a])])).toEqual([
      { reason: 'ApprovalMissing', detail: 'no valid approval from zone-b, zone-c' },
    ]);
    const contract = await approvedContract('ab', [a, b], [a]);
    const workload = await b.issue('/ns/shop/sa/some-app');
    const forged = {
      ...contract,
      approvals: [...contract.approvals, await forgeApproval(contract, 'zone-b', workload)],
    };
    expect(rejectionsOf([forged])).toEqual([
      {
        reason: 'ApprovalInvalid',
        detail:
          'approval of zone-b: approval rejected: the signer spiffe://zone-b.example/ns/shop/sa/some-app is not a designated approver of participant zone-b (only spiffe://zone-b.example/accord/admin, spiffe://zone-b.example/accord/operator)',
      },
    ]);
  });

  it('says whose root is not ours', async () => {
    expect(rejectionsOf([await approvedContract('mb', [mallory, b])])).toEqual([
      {
        reason: 'OwnRootMismatch',
        detail: `root ${mallory.rootSha256} of zone-a is not one of our roots`,
      },
    ]);
  });

  // The approvals sign the participants, so these contracts are refused before their approvals
  // are looked at: each carries genuine approvals of exactly what it shows.
  it('refuses two participants that claim one trust domain, and trusts neither', async () => {
    const otherB = await createTestZone('zone-b-too', b.trustDomain);
    const contract = await approvedContract('abb', [a, b, otherB]);
    const result = verify([contract]);
    expect(result.bundles.size).toBe(0);
    expect(result.rejections.map(({ reason, detail }) => ({ reason, detail }))).toEqual([
      { reason: 'TrustDomainConflict', detail: 'trust domain zone-b.example appears twice' },
    ]);
  });

  it.each([
    [
      'a root that does not match its fingerprint',
      (zone: TestZone) => ({ rootSha256: c.rootSha256, root: zone.root }),
    ],
    [
      'a leaf certificate instead of a CA root',
      (zone: TestZone) => ({
        rootSha256: sha256Hex(zone.admin.certificateDer),
        root: zone.admin.certificate,
      }),
    ],
    ['a trust domain that is not a SPIFFE trust domain', () => ({ trustDomain: 'Zone-B.example' })],
  ])('refuses a participant with %s', async (_name, participantRoot) => {
    const contract = await approvedContract('ab', [a, b]);
    const [own, partner] = contract.participants;
    if (own === undefined || partner === undefined) throw new Error('fixture has two participants');
    const edited = { ...contract, participants: [own, { ...partner, ...participantRoot(b) }] };
    expect(rejectionsOf([edited])).toEqual([
      { reason: 'ParticipantRootInvalid', detail: 'participant zone-b has an invalid root or trust domain' },
    ]);
  });

  it('trusts a partner until the last millisecond of its root, and says when the root expired', async () => {
    const contract = await approvedContract('ax', [a, expiring]);
    const lastMs = Date.parse(expiring.root.validTo);
    expect(verify([contract], new Date(lastMs)).bundles.has(expiring.trustDomain)).toBe(true);
    expect(rejectionsOf([contract], new Date(lastMs + 1))).toEqual([
      {
        reason: 'ParticipantRootInvalid',
        detail: `the root of participant zone-x expired at ${new Date(lastMs).toISOString()}`,
      },
    ]);
  });

  it('keeps a partner whose pinned root expired when a root it announced is still valid', async () => {
    const contract = await approvedContract('ax', [a, expiring]);
    const x1 = await createTestRoot(expiring.trustDomain);
    const rotated = {
      ...contract,
      rootRotations: [
        {
          announcement: await announceRoot(contract, expiring, x1, expiring.admin),
          activation: undefined,
          acknowledgements: [],
        },
      ],
    };
    const result = verify([rotated], afterExpiry());
    expect(result.rejections).toEqual([]);
    expect(result.bundles.get(expiring.trustDomain)?.rootsPem).toContain(x1.rootPem);
  });

  it('names us by any root of our chain that our PKI holds, not only the pinned one', async () => {
    const a1 = await createTestRoot(a.trustDomain);
    const contract = await approvedContract('ab', [a, b]);
    const announced = {
      ...contract,
      rootRotations: [
        {
          announcement: await announceRoot(contract, a, a1, a.admin),
          activation: undefined,
          acknowledgements: [],
        },
      ],
    };
    // The contract trusts both of our roots; our PKI already serves only the new one.
    const ownNew = { trustDomain: a.trustDomain, rootSha256s: new Set([a1.rootSha256]) };
    expect(rejectionsOf([announced], new Date(), ownNew)).toEqual([]);
  });

  it('lists zones and each zone’s roots in a fixed order, whatever order the contracts arrive in', async () => {
    const otherB = await createTestZone('zone-b', b.trustDomain);
    const contracts = [
      await approvedContract('ac', [a, c]),
      await approvedContract('ab', [a, b]),
      await approvedContract('ab-2', [a, otherB]),
    ];
    const forward = verify(contracts);
    const backward = verify([...contracts].reverse());
    for (const result of [forward, backward]) {
      expect([...result.bundles.keys()]).toEqual([b.trustDomain, c.trustDomain]);
      expect(result.bundles.get(b.trustDomain)?.rootsPem).toEqual(
        [b, otherB].sort((x, y) => x.rootSha256.localeCompare(y.rootSha256)).map((zone) => zone.rootPem),
      );
    }
  });

  it('asks to acknowledge an announced root until our own zone did, whatever other zones did', async () => {
    const a1 = await createTestRoot(a.trustDomain);
    const contract = await approvedContract('abc', [a, b, c]);
    const acknowledgedByC = {
      ...contract,
      rootRotations: [
        {
          announcement: await announceRoot(contract, a, a1, a.admin),
          activation: undefined,
          acknowledgements: [{ trustDomain: c.trustDomain, acknowledgedBy: 'x', acknowledgedAt: new Date() }],
        },
      ],
    };
    const ownZoneB = { trustDomain: b.trustDomain, rootSha256s: new Set([b.rootSha256]) };
    expect(verify([acknowledgedByC], new Date(), ownZoneB).toAcknowledge).toEqual([
      { contractId: 'abc', trustDomain: a.trustDomain, rootSha256: a1.rootSha256 },
    ]);
  });

  it('reports when the next replaced root retires: the earliest one still ahead', async () => {
    const a1 = await createTestRoot(a.trustDomain);
    const activatedAt = new Date(Math.floor(Date.now()));
    const rotatedWithRetention = async (id: string, retainMs: number): Promise<TrustContract> => {
      const contract = await approvedContract(id, [a, b]);
      return {
        ...contract,
        rootRotations: [
          {
            announcement: await announceRoot(contract, a, a1, a.admin),
            activation: activateRoot(a, a1, 1, activatedAt, retainMs),
            acknowledgements: [],
          },
        ],
      };
    };
    const later = await rotatedWithRetention('ab', 2 * 3_600_000);
    const sooner = await rotatedWithRetention('ab-2', 3_600_000);
    const ownZoneB = { trustDomain: b.trustDomain, rootSha256s: new Set([b.rootSha256]) };
    const at = (ms: number) =>
      desiredBundles([later, sooner], ownZoneB, new WithdrawnContracts(), new Date(ms));
    expect(at(activatedAt.getTime()).nextRetirementAt).toEqual(new Date(activatedAt.getTime() + 3_600_000));
    expect(
      desiredBundles([sooner, later], ownZoneB, new WithdrawnContracts(), activatedAt).nextRetirementAt,
    ).toEqual(new Date(activatedAt.getTime() + 3_600_000));
    // At the instant a root retires it is gone already; the next one is ahead.
    expect(at(activatedAt.getTime() + 3_600_000).nextRetirementAt).toEqual(
      new Date(activatedAt.getTime() + 2 * 3_600_000),
    );
    expect(at(activatedAt.getTime() + 2 * 3_600_000).nextRetirementAt).toBeUndefined();
    expect(verify([await contractAB()], new Date(), ownZoneB).nextRetirementAt).toBeUndefined();
  });
});
