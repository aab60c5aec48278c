import { approvedContract, proposedContract } from '../../test/support/test-contracts.js';
import { activateRoot, announceRoot, revokeRoot } from '../../test/support/test-root-rotation.js';
import {
  createTestRoot,
  createTestZone,
  type TestRoot,
  type TestZone,
} from '../../test/support/test-zone.js';
import { FailedPreconditionError } from '../errors/accord-error.js';
import type { PkiRootRotationClient } from '../identity/pki-root-rotation-client.js';
import {
  activatePreparedRoot,
  announcePreparedRoot,
  cancelPreparedRoot,
  emergencyRotateRoot,
  postActivation,
  rotationStatus,
  type RotationParties,
  type RotationRepository,
} from './announced-rotation.js';
import { contractTermsSha256 } from './canonical-consent.js';
import { contractRootChains } from './participant-roots.js';
import type {
  AnnouncementTarget,
  ContractRootRotation,
  RootActivation,
  RootAnnouncement,
  RootRevocation,
  ZoneRootView,
} from './root-rotation.js';
import { signRootAnnouncementTerms } from './root-statement-signature.js';
import type { ContractState, TrustContract } from './trust-contract.js';

// Zone A rotates from its root `a` to `a2`, then to `a3`; `aOld` is a zone-a root its PKI no
// longer holds (pinned by an old contract); `fresh` is the root an emergency switches to.
let a: TestZone;
let b: TestZone;
let c: TestZone;
let aOld: TestZone;
let a2: TestRoot;
let a3: TestRoot;
let b2: TestRoot;
let fresh: TestRoot;
let ab: TrustContract;
let ac: TrustContract;
let abc: TrustContract;
let bc: TrustContract;
let old: TrustContract;

beforeAll(async () => {
  [a, b, c, aOld, a2, a3, b2, fresh] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
    createTestZone('zone-a'),
    createTestRoot('zone-a.example'),
    createTestRoot('zone-a.example'),
    createTestRoot('zone-b.example'),
    createTestRoot('zone-a.example'),
  ]);
  [ab, ac, abc, bc, old] = await Promise.all([
    approvedContract('ab', [a, b]),
    approvedContract('ac', [a, c]),
    approvedContract('abc', [a, b, c]),
    approvedContract('bc', [b, c]),
    approvedContract('old', [aOld, b]),
  ]);
});

const dayMs = 24 * 60 * 60 * 1000;
const now = () => new Date(Math.floor(Date.now()));

/** A provider's acknowledgement that `trustDomain` installed the announced root. */
const acknowledgement = (trustDomain: string) => ({
  trustDomain,
  acknowledgedBy: `spiffe://${trustDomain}/accord/contract-provider`,
  acknowledgedAt: now(),
});

/** `contract` carrying zone A's genuine announcement of `next` after `previous` (sequence `sequence`). */
async function announced(
  contract: TrustContract,
  previous: TestRoot,
  next: TestRoot,
  sequence: number,
  options: { acknowledgedBy?: string[]; isActivated?: boolean } = {},
): Promise<ContractRootRotation> {
  return {
    announcement: await announceRoot(contract, previous, next, a.admin, { sequence }),
    activation:
      options.isActivated === true ? activateRoot(previous, next, sequence, now(), dayMs) : undefined,
    acknowledgements: (options.acknowledgedBy ?? []).map(acknowledgement),
  };
}

/** A contract's record of `announcement`, neither activated nor acknowledged. */
const recordOf = (announcement: RootAnnouncement): ContractRootRotation => ({
  announcement,
  activation: undefined,
  acknowledgements: [],
});

const carrying = (contract: TrustContract, ...rootRotations: ContractRootRotation[]): TrustContract => ({
  ...contract,
  rootRotations: [...contract.rootRotations, ...rootRotations],
});

/** A contract in which zone A went from `a` to `a2` (activated) and announced `a3`, acknowledged by `acknowledgedBy`. */
async function rotatedTwice(contract: TrustContract, acknowledgedBy: string[] = []): Promise<TrustContract> {
  return carrying(
    contract,
    await announced(contract, a, a2, 1, { isActivated: true, acknowledgedBy: ['zone-b.example'] }),
    await announced(contract, a2, a3, 2, { acknowledgedBy }),
  );
}

/** The name and message of what `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected a refusal');
}

const rootView = (root: TestRoot, sequence: number): ZoneRootView => ({
  certificatePem: root.rootPem,
  sha256: root.rootSha256,
  sequence,
});

/**
 * A fake zone PKI (named as one: lib/ may not import pki/, whose `ZoneRootRotation` is tested in
 * pki/zone-root-rotation.test.ts and end to end in test/e2e/announced-root-rotation.test.ts). It
 * holds `held` (the signing root first), has `next` prepared, signs as the real one does with the
 * roots' keys, and records every call.
 */
class FakeZonePki implements PkiRootRotationClient {
  readonly targets: AnnouncementTarget[][] = [];
  readonly calls: string[] = [];
  readonly activation: RootActivation | undefined;
  readonly #held: readonly TestRoot[];
  readonly #next: { root: TestRoot; sequence: number } | undefined;

  constructor(held: readonly TestRoot[], next?: { root: TestRoot; sequence: number }) {
    this.#held = held;
    this.#next = next;
    const signing = held[0];
    this.activation =
      next === undefined || signing === undefined
        ? undefined
        : activateRoot(signing, next.root, next.sequence, now(), dayMs);
  }

  view() {
    this.calls.push('view');
    const [signing] = this.#held;
    if (signing === undefined) throw new Error('the fake PKI holds no root');
    return Promise.resolve({
      trustDomain: signing.trustDomain,
      signing: rootView(signing, 0),
      next: this.#next === undefined ? undefined : rootView(this.#next.root, this.#next.sequence),
      retiring: [],
      activation: undefined,
      revocations: [],
    });
  }

  prepare(): Promise<ZoneRootView> {
    throw new Error('not used');
  }

  signAnnouncements(targets: readonly AnnouncementTarget[]) {
    this.calls.push('signAnnouncements');
    this.targets.push([...targets]);
    const next = this.#prepared();
    return Promise.resolve(
      targets.map((target) => {
        const previous = this.#held.find((root) => root.rootSha256 === target.previousRootSha256);
        if (previous === undefined) throw new FailedPreconditionError('not a root this PKI holds');
        const terms = {
          ...target,
          trustDomain: next.root.trustDomain,
          sequence: next.sequence,
          rootSha256: next.root.rootSha256,
          announcedAt: now(),
        };
        return {
          ...terms,
          rootPem: next.root.rootPem,
          root: next.root.root,
          previousRootSignature: signRootAnnouncementTerms(terms, previous.rootKey),
        };
      }),
    );
  }

  activate(): Promise<RootActivation> {
    this.calls.push('activate');
    if (this.activation === undefined) throw new Error('nothing prepared');
    return Promise.resolve(this.activation);
  }

  cancel(reason: string): Promise<RootRevocation> {
    this.calls.push(`cancel: ${reason}`);
    return Promise.resolve(revokeRoot(this.#prepared().root, reason));
  }

  emergency(reason: string) {
    this.calls.push(`emergency: ${reason}`);
    const roots = this.#next === undefined ? this.#held : [...this.#held, this.#next.root];
    return Promise.resolve({
      signing: rootView(fresh, 3),
      revocations: roots.map((root) => revokeRoot(root, reason)),
    });
  }

  #prepared() {
    if (this.#next === undefined) throw new Error('nothing prepared');
    return this.#next;
  }
}

/**
 * A fake repository (named as one: lib/ may not import contract-repo/; the real one is driven by
 * test/e2e/announced-root-rotation.test.ts). It serves `contracts` by state, stores each root
 * statement posted as the repository does (without verifying it: the tests verify what it stored
 * with `contractRootChains`), and records every call.
 */
class FakeRepository implements RotationRepository {
  readonly listed: (ContractState | undefined)[] = [];
  readonly posted: { call: string; contractId: string; rootSha256: string }[] = [];
  contracts: TrustContract[];

  constructor(contracts: TrustContract[]) {
    this.contracts = contracts;
  }

  list(state: ContractState | undefined): Promise<TrustContract[]> {
    this.listed.push(state);
    return Promise.resolve(
      this.contracts.filter((contract) => state === undefined || contract.state === state),
    );
  }

  get(id: string): TrustContract {
    const contract = this.contracts.find((candidate) => candidate.id === id);
    if (contract === undefined) throw new Error(`no contract ${id}`);
    return contract;
  }

  announceRoot(id: string, announcement: RootAnnouncement): Promise<TrustContract> {
    return this.#post('announceRoot', id, announcement.rootSha256, (contract) =>
      carrying(contract, recordOf(announcement)),
    );
  }

  activateRoot(id: string, activation: RootActivation): Promise<TrustContract> {
    return this.#post('activateRoot', id, activation.rootSha256, (contract) => ({
      ...contract,
      rootRotations: contract.rootRotations.map((rotation) =>
        rotation.announcement.rootSha256 === activation.rootSha256 ? { ...rotation, activation } : rotation,
      ),
    }));
  }

  revokeRoot(id: string, revocation: RootRevocation): Promise<TrustContract> {
    return this.#post('revokeRoot', id, revocation.rootSha256, (contract) => ({
      ...contract,
      rootRevocations: [...contract.rootRevocations, revocation],
    }));
  }

  watch(): AsyncIterable<never> {
    throw new Error('not used');
  }

  #post(
    call: string,
    contractId: string,
    rootSha256: string,
    change: (contract: TrustContract) => TrustContract,
  ): Promise<TrustContract> {
    this.posted.push({ call, contractId, rootSha256 });
    const changed = change(this.get(contractId));
    this.contracts = this.contracts.map((contract) => (contract.id === contractId ? changed : contract));
    return Promise.resolve(changed);
  }
}

const partiesOf = (pki: FakeZonePki, repository: FakeRepository): RotationParties => ({
  trustDomain: 'zone-a.example',
  pki,
  repository,
});

/** Zone A's chain in `contract` as every reader verifies it: each root, and the problems met. */
function zoneAChain(contract: TrustContract) {
  const { chains, problems } = contractRootChains(contract);
  return {
    roots: (chains.get('zone-a')?.links ?? []).map((link) => ({
      rootSha256: link.root.rootSha256,
      isActivated: link.activatedAt !== undefined,
      isRevoked: link.isRevoked,
    })),
    problems,
  };
}

describe('rotationStatus', () => {
  it('reports, per active contract of the zone, its current root, the announcement and which partners installed it', async () => {
    const contracts = [
      carrying(ab, await announced(ab, a, a2, 1, { acknowledgedBy: ['zone-b.example'] })),
      // An acknowledgement by the zone itself or by a stranger is no partner's.
      carrying(
        abc,
        await announced(abc, a, a2, 1, {
          acknowledgedBy: ['zone-a.example', 'zone-c.example', 'zone-x.example'],
        }),
      ),
      ac,
      bc,
      proposedContract('proposed', [a, b]),
      { ...ab, id: 'revoked', state: 'revoked' as const },
    ];
    expect(rotationStatus(contracts, 'zone-a.example', a2.rootSha256)).toEqual([
      {
        contractId: 'ab',
        currentRootSha256: a.rootSha256,
        isAnnounced: true,
        acknowledgedBy: ['zone-b.example'],
        pendingPartners: [],
      },
      {
        contractId: 'abc',
        currentRootSha256: a.rootSha256,
        isAnnounced: true,
        acknowledgedBy: ['zone-c.example'],
        pendingPartners: ['zone-b.example'],
      },
      {
        contractId: 'ac',
        currentRootSha256: a.rootSha256,
        isAnnounced: false,
        acknowledgedBy: [],
        pendingPartners: ['zone-c.example'],
      },
    ]);
  });

  it('names as current root the one the prepared root replaces, after an earlier rotation', async () => {
    const twice = await rotatedTwice(ab, ['zone-b.example']);
    expect(rotationStatus([twice], 'zone-a.example', a3.rootSha256)).toEqual([
      {
        contractId: 'ab',
        currentRootSha256: a2.rootSha256,
        isAnnounced: true,
        acknowledgedBy: ['zone-b.example'],
        pendingPartners: [],
      },
    ]);
    // Prepared but not announced yet: still replaces the latest root.
    const once = carrying(ab, await announced(ab, a, a2, 1, { isActivated: true }));
    expect(rotationStatus([once], 'zone-a.example', a3.rootSha256)).toEqual([
      {
        contractId: 'ab',
        currentRootSha256: a2.rootSha256,
        isAnnounced: false,
        acknowledgedBy: [],
        pendingPartners: ['zone-b.example'],
      },
    ]);
  });

  it('names the latest root as current after several activated rotations', async () => {
    const a4 = await createTestRoot('zone-a.example');
    const thrice = carrying(
      ab,
      await announced(ab, a, a2, 1, { isActivated: true }),
      await announced(ab, a2, a3, 2, { isActivated: true }),
    );
    expect(rotationStatus([thrice], 'zone-a.example', a4.rootSha256)).toMatchObject([
      { contractId: 'ab', currentRootSha256: a3.rootSha256, isAnnounced: false },
    ]);
  });

  it('counts a cancelled (revoked) announcement neither as announced nor as the current root', async () => {
    const cancelled = {
      ...carrying(ab, await announced(ab, a, a2, 1, { acknowledgedBy: ['zone-b.example'] })),
      rootRevocations: [revokeRoot(a2, 'cancelled')],
    };
    expect(zoneAChain(cancelled).roots.map((root) => root.isRevoked)).toEqual([false, true]);
    const unannounced = {
      contractId: 'ab',
      currentRootSha256: a.rootSha256,
      isAnnounced: false,
      acknowledgedBy: [],
      pendingPartners: ['zone-b.example'],
    };
    expect(rotationStatus([cancelled], 'zone-a.example', a3.rootSha256)).toEqual([unannounced]);
    expect(rotationStatus([cancelled], 'zone-a.example', a2.rootSha256)).toEqual([unannounced]);
  });

  it('falls back to the pinned root when every root of the chain is revoked', () => {
    const revoked = { ...ab, rootRevocations: [revokeRoot(a, 'root key leaked')] };
    expect(rotationStatus([revoked], 'zone-a.example', a2.rootSha256)).toEqual([
      {
        contractId: 'ab',
        currentRootSha256: a.rootSha256,
        isAnnounced: false,
        acknowledgedBy: [],
        pendingPartners: ['zone-b.example'],
      },
    ]);
  });

  it('counts a root the contract pins as announced there (there is nothing to announce)', () => {
    expect(rotationStatus([ab], 'zone-a.example', a.rootSha256)).toMatchObject([
      { contractId: 'ab', currentRootSha256: a.rootSha256, isAnnounced: true },
    ]);
  });
});

describe('announcePreparedRoot', () => {
  it('announces in every active contract of the zone that lacks it, replacing the root current there, signed by that root and the approver', async () => {
    const alreadyAnnounced = carrying(abc, await announced(abc, a, a3, 2));
    const once = carrying(ac, await announced(ac, a, a2, 1, { isActivated: true }));
    const repository = new FakeRepository([
      ab,
      once,
      alreadyAnnounced,
      bc,
      proposedContract('proposed', [a, b]),
    ]);
    const pki = new FakeZonePki([a2, a], { root: a3, sequence: 2 });

    expect(await announcePreparedRoot(partiesOf(pki, repository), a.admin.signer)).toEqual(['ab', 'ac']);

    expect(repository.listed).toEqual(['active']);
    expect(pki.targets).toEqual([
      [
        { contractId: 'ab', contractTermsSha256: contractTermsSha256(ab), previousRootSha256: a.rootSha256 },
        { contractId: 'ac', contractTermsSha256: contractTermsSha256(ac), previousRootSha256: a2.rootSha256 },
      ],
    ]);
    expect(repository.posted).toEqual([
      { call: 'announceRoot', contractId: 'ab', rootSha256: a3.rootSha256 },
      { call: 'announceRoot', contractId: 'ac', rootSha256: a3.rootSha256 },
    ]);
    // What the repository stored verifies for every reader: both signatures, the approver's chain.
    const stored = repository.get('ab').rootRotations[0]?.announcement;
    expect(stored?.approverCertificateChainDer).toEqual(a.admin.signer.certificateChainDer);
    expect(zoneAChain(repository.get('ab'))).toEqual({
      roots: [
        { rootSha256: a.rootSha256, isActivated: false, isRevoked: false },
        { rootSha256: a3.rootSha256, isActivated: false, isRevoked: false },
      ],
      problems: [],
    });
    expect(zoneAChain(repository.get('ac')).roots.map((root) => root.rootSha256)).toEqual([
      a.rootSha256,
      a2.rootSha256,
      a3.rootSha256,
    ]);
    expect(zoneAChain(repository.get('ac')).problems).toEqual([]);
    expect(
      rotationStatus(repository.contracts, 'zone-a.example', a3.rootSha256).map(
        (status) => status.isAnnounced,
      ),
    ).toEqual([true, true, true]);
  });

  it('asks the PKI nothing and posts nothing when every contract carries the announcement', async () => {
    const repository = new FakeRepository([carrying(ab, await announced(ab, a, a2, 1)), bc]);
    const pki = new FakeZonePki([a], { root: a2, sequence: 1 });
    expect(await announcePreparedRoot(partiesOf(pki, repository), a.admin.signer)).toEqual([]);
    expect(pki.calls).toEqual(['view']);
    expect(repository.posted).toEqual([]);
  });

  it('refuses when no root is prepared, before reading the contracts', async () => {
    const repository = new FakeRepository([ab]);
    expect(
      await refusal(announcePreparedRoot(partiesOf(new FakeZonePki([a]), repository), a.admin.signer)),
    ).toEqual({
      name: 'FailedPreconditionError',
      message: 'no root rotation is prepared (PrepareRootRotation first)',
    });
    expect(repository.listed).toEqual([]);
  });
});

describe('activatePreparedRoot', () => {
  it('refuses, even forced, while a contract lacks the announcement, naming each such contract', async () => {
    const repository = new FakeRepository([
      ab,
      carrying(abc, await announced(abc, a, a2, 1, { acknowledgedBy: ['zone-b.example', 'zone-c.example'] })),
      ac,
    ]);
    const pki = new FakeZonePki([a], { root: a2, sequence: 1 });
    expect(await refusal(activatePreparedRoot(partiesOf(pki, repository), true))).toEqual({
      name: 'FailedPreconditionError',
      message: 'the prepared root is not announced in contract(s) ab, ac (announce it first)',
    });
    expect(pki.calls).toEqual(['view']);
    expect(repository.posted).toEqual([]);
  });

  const announcedEverywhere = async (acknowledged: boolean) =>
    new FakeRepository([
      carrying(ab, await announced(ab, a, a2, 1, { acknowledgedBy: acknowledged ? ['zone-b.example'] : [] })),
      carrying(
        abc,
        await announced(abc, a, a2, 1, {
          acknowledgedBy: acknowledged ? ['zone-c.example', 'zone-b.example'] : [],
        }),
      ),
      carrying(ac, await announced(ac, a, a2, 1, { acknowledgedBy: ['zone-c.example'] })),
      bc,
    ]);

  it('refuses, unless forced, while a partner has not installed the prepared root, naming each contract and partner', async () => {
    const repository = await announcedEverywhere(false);
    const pki = new FakeZonePki([a], { root: a2, sequence: 1 });
    expect(await refusal(activatePreparedRoot(partiesOf(pki, repository), false))).toEqual({
      name: 'FailedPreconditionError',
      message:
        'partners have not installed the prepared root yet: ab (zone-b.example); abc (zone-b.example, zone-c.example); ' +
        'calls signed by it would fail there (retry, or --force)',
    });
    expect(pki.calls).toEqual(['view']);
    expect(repository.posted).toEqual([]);
  });

  it.each([
    { case: 'once every partner installed it', isForced: false, acknowledged: true },
    { case: 'forced, before the partners installed it', isForced: true, acknowledged: false },
    { case: 'forced, after the partners installed it', isForced: true, acknowledged: true },
  ])(
    'activates $case and posts the activation to every contract carrying the announcement',
    async ({ isForced, acknowledged }) => {
      const repository = await announcedEverywhere(acknowledged);
      const pki = new FakeZonePki([a], { root: a2, sequence: 1 });
      expect(await activatePreparedRoot(partiesOf(pki, repository), isForced)).toBe(pki.activation);
      expect(pki.calls).toEqual(['view', 'activate']);
      expect(repository.listed).toEqual(['active', 'active']);
      expect(repository.posted).toEqual(
        ['ab', 'abc', 'ac'].map((contractId) => ({
          call: 'activateRoot',
          contractId,
          rootSha256: a2.rootSha256,
        })),
      );
      expect(zoneAChain(repository.get('abc'))).toEqual({
        roots: [
          { rootSha256: a.rootSha256, isActivated: false, isRevoked: false },
          { rootSha256: a2.rootSha256, isActivated: true, isRevoked: false },
        ],
        problems: [],
      });
    },
  );

  it('refuses when no root is prepared, before reading the contracts', async () => {
    const repository = new FakeRepository([ab]);
    expect(await refusal(activatePreparedRoot(partiesOf(new FakeZonePki([a]), repository), true))).toEqual({
      name: 'FailedPreconditionError',
      message: 'no root rotation is prepared (PrepareRootRotation first)',
    });
    expect(repository.listed).toEqual([]);
  });
});

describe('postActivation', () => {
  it('posts the activation only to the active contracts carrying its announcement, whatever else they carry', async () => {
    const activation = activateRoot(a2, a3, 2, now(), dayMs);
    const repository = new FakeRepository([
      // a2 then a3, and zone B's own announcement: carries a3's.
      carrying(await rotatedTwice(ab), recordOf(await announceRoot(ab, b, b2, b.admin))),
      // Only the earlier rotation of the zone: not this activation's.
      carrying(ac, await announced(ac, a, a2, 1, { isActivated: true })),
      // A record naming another zone with a3's root is not zone A's announcement.
      carrying(abc, recordOf(await announceRoot(abc, b, a3, b.admin))),
      bc,
      { ...(await rotatedTwice(ab)), id: 'proposed', state: 'proposed' as const },
    ]);
    await postActivation(partiesOf(new FakeZonePki([a2]), repository), activation);
    expect(repository.listed).toEqual(['active']);
    expect(repository.posted).toEqual([
      { call: 'activateRoot', contractId: 'ab', rootSha256: a3.rootSha256 },
    ]);
  });
});

describe('emergencyRotateRoot', () => {
  it('revokes every root the PKI held in each active contract of the zone whose chain has it, and nowhere else', async () => {
    const repository = new FakeRepository([
      await rotatedTwice(ab),
      ac,
      old,
      bc,
      proposedContract('proposed', [a, b]),
    ]);
    const pki = new FakeZonePki([a2, a], { root: a3, sequence: 2 });
    expect(await emergencyRotateRoot(partiesOf(pki, repository), 'root key leaked')).toEqual({
      rootSha256: fresh.rootSha256,
      contractIds: ['ab', 'ac'],
    });
    expect(pki.calls).toEqual(['emergency: root key leaked']);
    expect(repository.listed).toEqual(['active']);
    expect(repository.posted).toEqual([
      { call: 'revokeRoot', contractId: 'ab', rootSha256: a2.rootSha256 },
      { call: 'revokeRoot', contractId: 'ab', rootSha256: a.rootSha256 },
      { call: 'revokeRoot', contractId: 'ab', rootSha256: a3.rootSha256 },
      { call: 'revokeRoot', contractId: 'ac', rootSha256: a.rootSha256 },
    ]);
    // Every reader now trusts none of zone A's roots there: the chain ends at its revoked pinned root.
    expect(zoneAChain(repository.get('ab')).roots).toEqual([
      { rootSha256: a.rootSha256, isActivated: false, isRevoked: true },
    ]);
  });
});

describe('cancelPreparedRoot', () => {
  it('revokes the prepared root in every active contract carrying its announcement', async () => {
    const repository = new FakeRepository([
      carrying(ab, await announced(ab, a, a2, 1)),
      ac,
      carrying(abc, await announced(abc, a, a2, 1)),
      bc,
    ]);
    const pki = new FakeZonePki([a], { root: a2, sequence: 1 });
    expect(await cancelPreparedRoot(partiesOf(pki, repository), 'prepared by mistake')).toEqual({
      rootSha256: a2.rootSha256,
      contractIds: ['ab', 'abc'],
    });
    expect(pki.calls).toEqual(['view', 'cancel: prepared by mistake']);
    expect(repository.listed).toEqual(['active']);
    expect(repository.posted).toEqual([
      { call: 'revokeRoot', contractId: 'ab', rootSha256: a2.rootSha256 },
      { call: 'revokeRoot', contractId: 'abc', rootSha256: a2.rootSha256 },
    ]);
    expect(zoneAChain(repository.get('ab')).roots.map((root) => root.isRevoked)).toEqual([false, true]);
  });

  it('refuses when no root is prepared, cancelling nothing', async () => {
    const repository = new FakeRepository([carrying(ab, await announced(ab, a, a2, 1))]);
    const pki = new FakeZonePki([a]);
    expect(await refusal(cancelPreparedRoot(partiesOf(pki, repository), 'prepared by mistake'))).toEqual({
      name: 'FailedPreconditionError',
      message: 'no root rotation is prepared: there is nothing to cancel',
    });
    expect(pki.calls).toEqual(['view']);
    expect(repository.listed).toEqual([]);
  });
});
