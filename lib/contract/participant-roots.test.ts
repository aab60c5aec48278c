import { approvedContract } from '../../test/support/test-contracts.js';
import { activateRoot, announceRoot, revokeRoot } from '../../test/support/test-root-rotation.js';
import {
  createTestRoot,
  createTestZone,
  type TestRoot,
  type TestZone,
} from '../../test/support/test-zone.js';
import { contractRootChains, trustedRootsAt, type RootStatementProblemReason } from './participant-roots.js';
import type { ContractRootRotation } from './root-rotation.js';
import { signRootActivation, signRootRevocation } from './root-statement-signature.js';
import type { TrustContract } from './trust-contract.js';

let a: TestZone;
let b: TestZone;
let mallory: TestZone;
let a1: TestRoot;
let a2: TestRoot;
let contract: TrustContract;

beforeAll(async () => {
  [a, b, mallory, a1, a2] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-a'),
    createTestRoot('zone-a.example'),
    createTestRoot('zone-a.example'),
  ]);
  contract = await approvedContract('ab', [a, b]);
});

const rotation = (announcement: ContractRootRotation['announcement']): ContractRootRotation => ({
  announcement,
  activation: undefined,
  acknowledgements: [],
});

/** Zone A's trusted roots in `carried` now, and the problems met on the way. */
function zoneARoots(carried: TrustContract, at = new Date()) {
  const { chains, problems } = contractRootChains(carried);
  const chain = chains.get('zone-a');
  if (chain === undefined) throw new Error('zone-a has no chain');
  return {
    trusted: trustedRootsAt(chain, at).map((root) => root.rootSha256),
    problems: problems.map((problem) => ({ reason: problem.reason, detail: problem.detail })),
  };
}

interface RefusalCase {
  name: string;
  carried: () => Promise<TrustContract>;
  reason: RootStatementProblemReason;
  detail: RegExp;
  /** Zone A's roots still trusted (default: only the pinned root). */
  trusted?: () => string[];
  /** A genuine rotation to carry beside the refused statement, and the roots trusted then. */
  genuine?: () => Promise<{ rotation: ContractRootRotation; trusted: string[] }>;
}

const genuineRotationToA2 = async () => ({
  rotation: rotation(await announceRoot(contract, a, a2, a.admin, { sequence: 3 })),
  trusted: [a.rootSha256, a2.rootSha256],
});

const refusals: RefusalCase[] = [
  {
    name: 'an announcement not signed by the key of the root it replaces',
    carried: async () => ({
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin, { continuitySigner: mallory }))],
    }),
    reason: 'RootAnnouncementInvalid',
    detail: /it is not signed by the key of the root it replaces/,
  },
  {
    name: 'an announcement signed by the new root instead of the old one',
    carried: async () => ({
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin, { continuitySigner: a1 }))],
    }),
    reason: 'RootAnnouncementInvalid',
    detail: /it is not signed by the key of the root it replaces/,
  },
  {
    name: 'an announcement whose second signer is a workload of the zone, not a designated approver',
    carried: async () => ({
      ...contract,
      rootRotations: [
        rotation(
          await announceRoot(contract, a, a1, a.admin, { approver: await a.issue('/ns/shop/sa/web') }),
        ),
      ],
    }),
    reason: 'RootAnnouncementInvalid',
    detail: /is not a designated approver of participant zone-a/,
  },
  {
    name: "an announcement whose second signer is the partner's approver",
    carried: async () => ({
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin, { approver: b.admin }))],
    }),
    reason: 'RootAnnouncementInvalid',
    detail: /its approver signature does not come from a designated approver/,
  },
  {
    name: 'an announcement signed for another contract, replayed into this one',
    carried: async () => {
      const other = await approvedContract('ac', [a, b]);
      return { ...contract, rootRotations: [rotation(await announceRoot(other, a, a1, a.admin))] };
    },
    reason: 'RootAnnouncementInvalid',
    detail: /it was signed for another contract \(ac, terms /,
  },
  {
    name: 'an announcement from an earlier contract under the same id (re-proposed after deletion)',
    carried: async () => {
      const earlier = { ...contract, createdAt: new Date(contract.createdAt.getTime() - 60_000) };
      return { ...contract, rootRotations: [rotation(await announceRoot(earlier, a, a1, a.admin))] };
    },
    reason: 'RootAnnouncementInvalid',
    detail: /it was signed for another contract \(ab, terms /,
  },
  {
    name: "another zone's announcement (same trust domain, its own root) replayed into this contract",
    carried: async () => ({
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, mallory, a1, mallory.admin))],
    }),
    reason: 'RootAnnouncementUnlinked',
    detail: /replaces [0-9a-f]{64}, which is not a trusted root of zone-a in this contract/,
  },
  {
    name: 'a replay of an earlier rotation (its sequence does not grow along the chain)',
    carried: async () => ({
      ...contract,
      rootRotations: [
        rotation(await announceRoot(contract, a, a1, a.admin, { sequence: 2 })),
        rotation(await announceRoot(contract, a1, a2, a.admin, { sequence: 1 })),
      ],
    }),
    reason: 'RootAnnouncementInvalid',
    detail: /its sequence 1 does not follow 2/,
    trusted: () => [a.rootSha256, a1.rootSha256],
    genuine: async () => ({
      rotation: rotation(await announceRoot(contract, a1, a2, a.admin, { sequence: 3 })),
      trusted: [a.rootSha256, a1.rootSha256, a2.rootSha256],
    }),
  },
  {
    name: 'a root revocation signed by another key than the revoked root',
    carried: () => Promise.resolve({ ...contract, rootRevocations: [revokeRoot(a, 'compromised', mallory)] }),
    reason: 'RootRevocationInvalid',
    detail: /not signed by the key of root [0-9a-f]{64} it revokes/,
  },
];

describe('contractRootChains', () => {
  it('trusts the pinned root and the root its key and the zone approver announce, side by side', async () => {
    const carried = { ...contract, rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin))] };
    expect(zoneARoots(carried)).toEqual({ trusted: [a.rootSha256, a1.rootSha256], problems: [] });
  });

  it.each(refusals)(
    'refuses $name, and still follows a genuine rotation carried beside it',
    async (refusal) => {
      const forged = await refusal.carried();
      const refused = zoneARoots(forged);
      expect(refused.problems.map((problem) => problem.reason)).toEqual([refusal.reason]);
      expect(refused.problems[0]?.detail).toMatch(refusal.detail);
      expect(refused.trusted).toEqual(refusal.trusted?.() ?? [a.rootSha256]);

      const genuine = await (refusal.genuine ?? genuineRotationToA2)();
      const both = zoneARoots({ ...forged, rootRotations: [...forged.rootRotations, genuine.rotation] });
      expect(both.trusted).toEqual(genuine.trusted);
    },
  );

  it('follows a chain of two rotations, each vouched for by the root it replaces', async () => {
    const carried = {
      ...contract,
      rootRotations: [
        rotation(await announceRoot(contract, a, a1, a.admin, { sequence: 1 })),
        rotation(await announceRoot(contract, a1, a2, await a1.issue('/accord/operator'), { sequence: 2 })),
      ],
    };
    expect(zoneARoots(carried)).toEqual({
      trusted: [a.rootSha256, a1.rootSha256, a2.rootSha256],
      problems: [],
    });
  });

  it('drops the replaced root once the activation signed by the new root says it has retired', async () => {
    const activatedAt = new Date(Math.floor(Date.now()));
    const carried = {
      ...contract,
      rootRotations: [
        {
          ...rotation(await announceRoot(contract, a, a1, a.admin)),
          activation: activateRoot(a, a1, 1, activatedAt, 60_000),
        },
      ],
    };
    expect(zoneARoots(carried, new Date(activatedAt.getTime() + 59_999)).trusted).toEqual([
      a.rootSha256,
      a1.rootSha256,
    ]);
    expect(zoneARoots(carried, new Date(activatedAt.getTime() + 60_000)).trusted).toEqual([a1.rootSha256]);
  });

  it('keeps the replaced root when the activation is not signed by the new root', async () => {
    const activatedAt = new Date(Math.floor(Date.now()));
    const forged = {
      ...activateRoot(a, a1, 1, activatedAt, 0),
      signature: activateRoot(a, a, 1, activatedAt, 0).signature,
    };
    const carried = {
      ...contract,
      rootRotations: [{ ...rotation(await announceRoot(contract, a, a1, a.admin)), activation: forged }],
    };
    const result = zoneARoots(carried, new Date(activatedAt.getTime() + 1));
    expect(result.trusted).toEqual([a.rootSha256, a1.rootSha256]);
    expect(result.problems.map((problem) => problem.reason)).toEqual(['RootActivationInvalid']);
    expect(result.problems[0]?.detail).toMatch(/not signed by the key of root [0-9a-f]{64} it activates/);
  });

  it('trusts no root of the zone once its pinned root is revoked by its own key (emergency rotation)', async () => {
    const carried = {
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin))],
      rootRevocations: [revokeRoot(a, 'key compromised')],
    };
    const result = zoneARoots(carried);
    expect(result.trusted).toEqual([]);
    expect(result.problems.map((problem) => problem.reason)).toEqual(['RootAnnouncementUnlinked']);
    expect(result.problems[0]?.detail).toContain('not a trusted root of zone-a');
  });

  it('keeps a retired root retired when the root that replaced it is revoked later (emergency after a rotation)', async () => {
    const activatedAt = new Date(Math.floor(Date.now()) - 60_000);
    const carried = {
      ...contract,
      rootRotations: [
        {
          ...rotation(await announceRoot(contract, a, a1, a.admin)),
          activation: activateRoot(a, a1, 1, activatedAt, 1_000),
        },
      ],
      rootRevocations: [revokeRoot(a1, 'key compromised')],
    };
    expect(zoneARoots(carried)).toEqual({ trusted: [], problems: [] });
  });

  it('ignores a cancelled rotation (its root revoked by its own key) and follows the next one', async () => {
    const carried = {
      ...contract,
      rootRotations: [
        rotation(await announceRoot(contract, a, a1, a.admin, { sequence: 1 })),
        rotation(await announceRoot(contract, a, a2, a.admin, { sequence: 2 })),
      ],
      rootRevocations: [revokeRoot(a1, 'rotation cancelled')],
    };
    expect(zoneARoots(carried)).toEqual({ trusted: [a.rootSha256, a2.rootSha256], problems: [] });
  });

  it('follows neither of two verified announcements that replace one root by different roots', async () => {
    const carried = {
      ...contract,
      rootRotations: [
        rotation(await announceRoot(contract, a, a1, a.admin, { sequence: 1 })),
        rotation(await announceRoot(contract, a, a2, a.admin, { sequence: 1 })),
      ],
    };
    const result = zoneARoots(carried);
    expect(result.trusted).toEqual([a.rootSha256]);
    expect(result.problems.map((problem) => problem.reason)).toEqual(['RootAnnouncementConflict']);
    expect(result.problems[0]?.detail).toMatch('neither is followed');
  });
});

describe('contractRootChains: the chain itself', () => {
  /** An activation of zone A's rotation a → a1 (sequence 1) with `change` applied, signed by a1's key. */
  const activationWith = (change: Partial<Parameters<typeof signRootActivation>[0]>) => {
    const activatedAt = new Date(Math.floor(Date.now()) - 60_000);
    return signRootActivation(
      {
        trustDomain: 'zone-a.example',
        sequence: 1,
        previousRootSha256: a.rootSha256,
        rootSha256: a1.rootSha256,
        activatedAt,
        previousRootRetireAfter: new Date(activatedAt.getTime() + 1_000),
        ...change,
      },
      a1.rootKey,
    );
  };

  it.each([
    ['another trust domain', { trustDomain: 'zone-b.example' }],
    ['another sequence', { sequence: 2 }],
    ['another new root', { rootSha256: 'f'.repeat(64) }],
    ['another replaced root', { previousRootSha256: 'f'.repeat(64) }],
  ])(
    "refuses an activation signed by the new root's key for %s, and keeps the old root",
    async (_name, change) => {
      const carried = {
        ...contract,
        rootRotations: [
          { ...rotation(await announceRoot(contract, a, a1, a.admin)), activation: activationWith(change) },
        ],
      };
      expect(zoneARoots(carried)).toEqual({
        trusted: [a.rootSha256, a1.rootSha256],
        problems: [
          {
            reason: 'RootActivationInvalid',
            detail: `activation of root (${a1.rootSha256}): it activates another rotation`,
          },
        ],
      });
    },
  );

  it('records each link: sequence, rotation, activation time and retirement, and ends at a revoked root', async () => {
    const activation = activationWith({});
    const announced = { ...rotation(await announceRoot(contract, a, a1, a.admin)), activation };
    const revocation = revokeRoot(a1, 'key compromised');
    const { chains } = contractRootChains({
      ...contract,
      rootRotations: [announced],
      rootRevocations: [revocation],
    });
    const links = chains.get('zone-a')?.links;
    expect(links?.map((link) => link.root.rootSha256)).toEqual([a.rootSha256, a1.rootSha256]);
    expect(links?.[0]).toMatchObject({
      sequence: 0,
      rotation: undefined,
      activatedAt: undefined,
      retireAfter: activation.previousRootRetireAfter,
      isRevoked: false,
      revocation: undefined,
    });
    expect(links?.[1]).toMatchObject({
      sequence: 1,
      rotation: announced,
      activatedAt: activation.activatedAt,
      retireAfter: undefined,
      isRevoked: true,
      revocation,
    });
    expect(links?.[1]?.root).toMatchObject({
      name: 'zone-a',
      trustDomain: 'zone-a.example',
      rootPem: a1.rootPem,
    });
    expect(chains.get('zone-b')?.links.map((link) => link.root.rootSha256)).toEqual([b.rootSha256]);
  });

  it('ends the chain at a root the provider remembers as revoked, with no statement carried', async () => {
    const carried = { ...contract, rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin))] };
    const remembered = contractRootChains(carried, new Set([a1.rootSha256])).chains.get('zone-a');
    expect(remembered?.links.map((link) => [link.root.rootSha256, link.isRevoked, link.revocation])).toEqual([
      [a.rootSha256, false, undefined],
      [a1.rootSha256, true, undefined],
    ]);
    expect(
      remembered === undefined
        ? undefined
        : trustedRootsAt(remembered, new Date()).map((root) => root.rootSha256),
    ).toEqual([a.rootSha256]);
    const pinned = contractRootChains(carried, new Set([a.rootSha256])).chains.get('zone-a');
    expect(pinned?.links.map((link) => link.isRevoked)).toEqual([true]);
  });

  it('still revokes a root when a forged revocation of it comes first, and ignores revocations of roots not in the chain', () => {
    const carried = {
      ...contract,
      rootRevocations: [
        revokeRoot(a1, 'not in the chain'),
        revokeRoot(a, 'forged', mallory),
        revokeRoot(a, 'genuine'),
      ],
    };
    expect(zoneARoots(carried)).toEqual({
      trusted: [],
      problems: [
        {
          reason: 'RootRevocationInvalid',
          detail: expect.stringMatching(
            new RegExp(
              `^revocation of root \\(${a.rootSha256}\\): root revocation rejected: not signed by the key`,
            ),
          ) as unknown,
        },
      ],
    });
  });

  it('refuses an announcement back to a root already in the chain, and one that does not raise the sequence', async () => {
    const back = {
      ...contract,
      rootRotations: [
        rotation(await announceRoot(contract, a, a1, a.admin, { sequence: 1 })),
        rotation(await announceRoot(contract, a1, a, a.admin, { sequence: 2 })),
      ],
    };
    expect(zoneARoots(back)).toEqual({
      trusted: [a.rootSha256, a1.rootSha256],
      problems: [
        {
          reason: 'RootAnnouncementInvalid',
          detail: `announcement of root (${a.rootSha256}): its sequence 2 does not follow 1, or its root is already in the chain`,
        },
      ],
    });
    const zero = {
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin, { sequence: 0 }))],
    };
    expect(zoneARoots(zero).problems.map((problem) => problem.detail)).toEqual([
      `announcement of root (${a1.rootSha256}): its sequence 0 does not follow 0, or its root is already in the chain`,
    ]);
  });

  it('refuses an announcement whose carried root PEM is not the root its signatures name', async () => {
    const announcement = { ...(await announceRoot(contract, a, a1, a.admin)), rootPem: a2.rootPem };
    const result = zoneARoots({ ...contract, rootRotations: [rotation(announcement)] });
    expect(result.trusted).toEqual([a.rootSha256]);
    expect(result.problems).toEqual([
      {
        reason: 'RootAnnouncementInvalid',
        detail: `announcement of root (${a1.rootSha256}): root_announcement.root.hash: ${a1.rootSha256} does not match the SHA-256 of public_key's DER (${a2.rootSha256})`,
      },
    ]);
  });

  it('reports an announcement of a trust domain that is no participant under that trust domain', async () => {
    const c = await createTestZone('zone-c');
    const { problems } = contractRootChains({
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, c, a1, c.admin))],
    });
    expect(problems).toEqual([
      {
        participant: 'zone-c.example',
        reason: 'RootAnnouncementUnlinked',
        detail: `announcement of root (${a1.rootSha256}) names trust domain zone-c.example, which is not a participant`,
      },
    ]);
  });

  it("names the participant in each problem, and leaves the partner's chain alone", async () => {
    const { chains, problems } = contractRootChains({
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin, { continuitySigner: mallory }))],
    });
    expect(problems.map((problem) => [problem.participant, problem.reason])).toEqual([
      ['zone-a', 'RootAnnouncementInvalid'],
    ]);
    expect(chains.get('zone-b')?.links).toHaveLength(1);
  });
});

describe('contractRootChains: what its mutation run left', () => {
  it('reports a forged activation of a cancelled rotation, and still ends the chain at its revoked root', async () => {
    const activatedAt = new Date(Math.floor(Date.now()) - 60_000);
    const forged = {
      ...activateRoot(a, a1, 1, activatedAt, 1_000),
      signature: activateRoot(a, a, 1, activatedAt, 1_000).signature,
    };
    const carried = {
      ...contract,
      rootRotations: [{ ...rotation(await announceRoot(contract, a, a1, a.admin)), activation: forged }],
      rootRevocations: [revokeRoot(a1, 'rotation cancelled')],
    };
    expect(zoneARoots(carried)).toEqual({
      trusted: [a.rootSha256],
      problems: [
        {
          reason: 'RootActivationInvalid',
          detail: `activation of root (${a1.rootSha256}): root activation rejected: not signed by the key of root ${a1.rootSha256} it activates`,
        },
      ],
    });
  });

  it('leaves an announcement naming another trust domain to that participant, even when it names this root', async () => {
    const { problems } = contractRootChains({
      ...contract,
      rootRotations: [
        rotation(await announceRoot(contract, a, a1, a.admin, { terms: { trustDomain: 'zone-b.example' } })),
      ],
    });
    expect(problems.map((problem) => [problem.participant, problem.reason])).toEqual([
      ['zone-b', 'RootAnnouncementUnlinked'],
    ]);
  });

  it('names both roots of a conflict', async () => {
    const carried = {
      ...contract,
      rootRotations: [
        rotation(await announceRoot(contract, a, a1, a.admin, { sequence: 1 })),
        rotation(await announceRoot(contract, a, a2, a.admin, { sequence: 1 })),
      ],
    };
    expect(zoneARoots(carried).problems).toEqual([
      {
        reason: 'RootAnnouncementConflict',
        detail: `root ${a.rootSha256} is replaced by ${a1.rootSha256} and ${a2.rootSha256}; neither is followed`,
      },
    ]);
  });

  it('marks a followed root as not revoked, and ignores a revocation of its hash under another trust domain', async () => {
    const otherDomain = signRootRevocation(
      {
        trustDomain: 'zone-b.example',
        rootSha256: a1.rootSha256,
        revokedAt: new Date(),
        reason: 'elsewhere',
      },
      a1.rootKey,
    );
    const carried = {
      ...contract,
      rootRotations: [rotation(await announceRoot(contract, a, a1, a.admin))],
      rootRevocations: [otherDomain],
    };
    const links = contractRootChains(carried).chains.get('zone-a')?.links;
    expect(links?.map((link) => [link.isRevoked, link.revocation])).toEqual([
      [false, undefined],
      [false, undefined],
    ]);
  });
});
