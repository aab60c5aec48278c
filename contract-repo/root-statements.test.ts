import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signApproval } from '../lib/contract/approval-signature.js';
import { canonicalRevocationBytes } from '../lib/contract/canonical-consent.js';
import { signConsent } from '../lib/contract/consent-signature.js';
import { contractRootChains } from '../lib/contract/participant-roots.js';
import { signRevocation } from '../lib/contract/revocation-signature.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { validateProposal } from '../lib/contract/validate-proposal.js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
} from '../lib/errors/accord-error.js';
import { silentLogger } from '../lib/log/logger.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { testAdmins as admins, testCaller, testCallers } from '../test/support/test-callers.js';
import { activateRoot, announceRoot, revokeRoot } from '../test/support/test-root-rotation.js';
import { createTestRoot, createTestZone, type TestRoot, type TestZone } from '../test/support/test-zone.js';
import { ContractRepository } from './contract-repository.js';
import { FileContractStore } from './file-contract-store.js';

const { admin, zoneA: approverA, zoneB: approverB } = testCallers;
const providerA = testCaller('spiffe://zone-a.example/accord/contract-provider');
const providerB = testCaller('spiffe://zone-b.example/accord/contract-provider');
const workloadA = testCaller('spiffe://zone-a.example/ns/shop/sa/web');

let zoneA: TestZone;
let zoneB: TestZone;
let mallory: TestZone;
let a1: TestRoot;
let directory: string;
let clock: ManualClock;
let repository: ContractRepository;
let contract: TrustContract;

beforeAll(async () => {
  [zoneA, zoneB, mallory, a1] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-a'),
    createTestRoot('zone-a.example'),
  ]);
});

const open = () =>
  ContractRepository.open({
    store: new FileContractStore(directory, silentLogger),
    clock,
    logger: silentLogger,
    admins,
  });

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'contract-repository-roots-'));
  clock = new ManualClock(new Date(Math.floor(Date.now())));
  repository = await open();
  const proposed = await repository.propose(
    admin,
    validateProposal({ id: 'ab', participants: [zoneA.participant, zoneB.participant] }),
  );
  await repository.approve(
    approverA,
    'ab',
    await signApproval(proposed, 'zone-a', zoneA.operator.signer, clock.now()),
  );
  contract = await repository.approve(
    approverB,
    'ab',
    await signApproval(proposed, 'zone-b', zoneB.operator.signer, clock.now()),
  );
});

afterEach(async () => {
  await repository.close();
  await rm(directory, { recursive: true, force: true });
});

const genuine = () => announceRoot(contract, zoneA, a1, zoneA.operator, { announcedAt: clock.now() });

describe('ContractRepository root statements', () => {
  it('stores a genuine announcement once, records it in the audit log and keeps it across a restart', async () => {
    const announced = await repository.announceRoot(approverA, 'ab', await genuine());
    expect(announced.rootRotations.map((rotation) => rotation.announcement.rootSha256)).toEqual([
      a1.rootSha256,
    ]);
    const [stored] = announced.rootRotations;
    if (stored === undefined) throw new Error('no announcement stored');
    const retried = await repository.announceRoot(approverA, 'ab', stored.announcement);
    expect(retried.revision).toBe(announced.revision);
    const page = await repository.auditLog(admin, 1, 100);
    expect(
      page.entries.map(
        (entry) => (JSON.parse(Buffer.from(entry.record).toString('utf8')) as { action: string }).action,
      ),
    ).toEqual(['propose', 'approve', 'approve', 'announce-root']);
    await repository.close();
    repository = await open();
    expect(
      repository.get(admin, 'ab').rootRotations.map((rotation) => rotation.announcement.rootSha256),
    ).toEqual([a1.rootSha256]);
  });

  it.each([
    {
      name: 'not signed by the root it replaces',
      caller: () => approverA,
      announcement: () =>
        announceRoot(contract, zoneA, a1, zoneA.operator, {
          announcedAt: clock.now(),
          continuitySigner: mallory,
        }),
      error: PermissionDeniedError,
      message: 'it is not signed by the key of the root it replaces',
    },
    {
      name: "not signed by the zone's approver",
      caller: () => approverA,
      announcement: async () =>
        announceRoot(contract, zoneA, a1, zoneA.operator, {
          announcedAt: clock.now(),
          approver: await zoneA.issue('/ns/shop/sa/web'),
        }),
      error: PermissionDeniedError,
      message: 'its approver signature does not come from a designated approver',
    },
    {
      name: 'replayed from another contract',
      caller: () => approverA,
      announcement: () =>
        announceRoot({ ...contract, id: 'ac' }, zoneA, a1, zoneA.operator, { announcedAt: clock.now() }),
      error: PermissionDeniedError,
      message: 'it was signed for another contract (ac',
    },
    {
      name: 'replayed from another zone (same trust domain, its own root)',
      caller: () => approverA,
      announcement: () => announceRoot(contract, mallory, a1, mallory.operator, { announcedAt: clock.now() }),
      error: FailedPreconditionError,
      message: `is not a root of zone-a in contract ab`,
    },
    {
      name: 'replayed from long ago',
      caller: () => approverA,
      announcement: () =>
        announceRoot(contract, zoneA, a1, zoneA.operator, {
          announcedAt: new Date(clock.now().getTime() - 3_600_000),
        }),
      error: InvalidArgumentError,
      message: "away from the repository's clock",
    },
    {
      name: 'sent by a workload of the zone',
      caller: () => workloadA,
      announcement: genuine,
      error: PermissionDeniedError,
      message: 'may not announce a root for zone-a.example in contract ab',
    },
    {
      name: 'sent by the partner zone',
      caller: () => approverB,
      announcement: genuine,
      error: PermissionDeniedError,
      message: 'may not announce a root for zone-a.example in contract ab',
    },
  ])(
    'refuses an announcement $name and stores nothing; the genuine one is accepted after',
    async (refusal) => {
      const attempt = repository.announceRoot(refusal.caller(), 'ab', await refusal.announcement());
      await expect(attempt).rejects.toThrow(refusal.error);
      await expect(attempt).rejects.toThrow(refusal.message);
      expect(repository.get(admin, 'ab').revision).toBe(contract.revision);
      const accepted = await repository.announceRoot(approverA, 'ab', await genuine());
      expect(accepted.rootRotations).toHaveLength(1);
    },
  );

  it("records a partner provider's acknowledgement, and refuses one from the announcing zone or an approver", async () => {
    await repository.announceRoot(approverA, 'ab', await genuine());
    await expect(
      repository.acknowledgeRoot(providerA, 'ab', zoneA.trustDomain, a1.rootSha256),
    ).rejects.toThrow("may not acknowledge its own zone's root");
    await expect(
      repository.acknowledgeRoot(approverB, 'ab', zoneA.trustDomain, a1.rootSha256),
    ).rejects.toThrow("only a participant's contract provider");
    const acknowledged = await repository.acknowledgeRoot(providerB, 'ab', zoneA.trustDomain, a1.rootSha256);
    expect(acknowledged.rootRotations[0]?.acknowledgements).toEqual([
      { trustDomain: zoneB.trustDomain, acknowledgedBy: providerB.spiffeId, acknowledgedAt: clock.now() },
    ]);
  });

  it('stores an activation signed by the new root, and refuses one its key did not sign', async () => {
    await repository.announceRoot(approverA, 'ab', await genuine());
    const activation = activateRoot(zoneA, a1, 1, clock.now(), 60_000);
    await expect(
      repository.activateRoot(approverA, 'ab', {
        ...activation,
        signature: activateRoot(zoneA, zoneA, 1, clock.now(), 60_000).signature,
      }),
    ).rejects.toThrow('not signed by the key of root');
    const activated = await repository.activateRoot(approverA, 'ab', activation);
    expect(activated.rootRotations[0]?.activation).toEqual(activation);
  });

  it('stores a root revocation signed by the revoked root, and refuses a forged one', async () => {
    await expect(
      repository.revokeRoot(approverA, 'ab', revokeRoot(zoneA, 'leaked', mallory)),
    ).rejects.toThrow('not signed by the key of root');
    const revoked = await repository.revokeRoot(approverA, 'ab', revokeRoot(zoneA, 'leaked'));
    expect(revoked.rootRevocations.map((revocation) => revocation.rootSha256)).toEqual([zoneA.rootSha256]);
  });

  it('accepts the next announcement of the same root after a cancelled one, and none once that root itself is revoked', async () => {
    await repository.announceRoot(approverA, 'ab', await genuine());
    await repository.revokeRoot(approverA, 'ab', revokeRoot(a1, 'cancelled: wrong key size'));
    const a2 = await createTestRoot(zoneA.trustDomain);
    const reannounced = await repository.announceRoot(
      approverA,
      'ab',
      await announceRoot(contract, zoneA, a2, zoneA.operator, { announcedAt: clock.now(), sequence: 2 }),
    );
    expect(
      contractRootChains(reannounced)
        .chains.get('zone-a')
        ?.links.map((link) => link.root.rootSha256),
    ).toEqual([zoneA.rootSha256, a2.rootSha256]);

    // An emergency: the current root is revoked, and nothing it announces counts any more.
    await repository.revokeRoot(approverA, 'ab', revokeRoot(zoneA, 'leaked'));
    const a3 = await createTestRoot(zoneA.trustDomain);
    const afterEmergency = await announceRoot(contract, zoneA, a3, zoneA.operator, {
      announcedAt: clock.now(),
      sequence: 3,
    });
    await expect(repository.announceRoot(approverA, 'ab', afterEmergency)).rejects.toThrow(
      new FailedPreconditionError(
        'the current root of zone-a in contract ab is revoked: a revoked root vouches for nothing (propose a new contract)',
      ),
    );
  });

  it("accepts the zone's revocation signed under its activated new root, and refuses one under a root it never announced", async () => {
    await repository.announceRoot(approverA, 'ab', await genuine());
    const rotated = await repository.activateRoot(
      approverA,
      'ab',
      activateRoot(zoneA, a1, 1, clock.now(), 60_000),
    );
    const reason = 'zone-a leaves';
    const unannounced = await createTestRoot(zoneA.trustDomain);
    const forged = await signConsent(
      canonicalRevocationBytes(rotated, 'zone-a', clock.now(), reason),
      'zone-a',
      (await unannounced.issue('/accord/operator')).signer,
      clock.now(),
    );
    await expect(repository.revoke(approverA, 'ab', reason, forged)).rejects.toThrow(
      new PermissionDeniedError(
        'revocation rejected: its timestamp is not signed by a root of participant zone-a in the contract (its pinned root or a root its verified rotations announced)',
      ),
    );
    expect(repository.get(admin, 'ab').state).toBe('active');
    const signed = await signRevocation(
      rotated,
      'zone-a',
      reason,
      (await a1.issue('/accord/operator')).signer,
      clock.now(),
    );
    const revoked = await repository.revoke(approverA, 'ab', reason, signed);
    expect(revoked.state).toBe('revoked');
    expect(revoked.revocation?.signed).toEqual(signed);
  });
});
