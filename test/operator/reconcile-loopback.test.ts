import {
  contractRepositoryOverGrpc,
  type ContractRepositoryClient,
} from '../../lib/contract/contract-repository-client.js';
import { silentLogger } from '../../lib/log/logger.js';
import { ManualClock } from '../support/manual-clock.js';
import { startContractRepo, type RunningContractRepo } from '../../contract-repo/start-contract-repo.js';
import {
  reconcileTrustContract,
  type ReconcileResult,
} from '../../operator/trust-contract/reconcile-trust-contract.js';
import {
  createContractRepoFixture,
  type ContractRepoFixture,
} from '../contract-repo/contract-repo-fixture.js';
import { forgeApproval } from '../support/test-contracts.js';
import { createTestZone, type TestSvid, type TestZone } from '../support/test-zone.js';
import {
  participantSpec,
  reconcilerDeps,
  rootsFrom,
  trustContractObject,
  type ObjectOptions,
} from './trust-contract-builders.js';

// Each zone's operator talks to a REAL contract repository on loopback over mTLS, with its own
// SVID; zone A's operator is a repository admin (it may propose), zone B's is not.
let fixture: ContractRepoFixture;
let running: RunningContractRepo;
let clock: ManualClock;
let a: TestZone;
let b: TestZone;
let operatorA: TestSvid;
let operatorB: TestSvid;
let repositoryA: ContractRepositoryClient;
let repositoryB: ContractRepositoryClient;

beforeAll(async () => {
  fixture = await createContractRepoFixture();
  ({ zoneA: a, zoneB: b } = fixture);
  [operatorA, operatorB] = await Promise.all([a.issue('/accord/operator'), b.issue('/accord/operator')]);
  // The repository and the operators share one clock: approvals are signed at the operator's "now",
  // which the repository checks against its own.
  clock = new ManualClock(new Date());
  running = await startContractRepo(
    { ...fixture.config, admins: [...fixture.config.admins, operatorA.spiffeId] },
    silentLogger,
    clock,
  );
  repositoryA = contractRepositoryOverGrpc(fixture.client(running.grpcPort, operatorA));
  repositoryB = contractRepositoryOverGrpc(fixture.client(running.grpcPort, operatorB));
});

afterAll(async () => {
  repositoryA.close();
  repositoryB.close();
  await running.close();
  await fixture.cleanup();
});

// Zone B's root comes from a Secret in zone A's cluster, zone A's own root is inline.
const bRootRef = { secretKeyRef: { namespace: 'accord', name: 'zone-b-root', key: 'ca.crt' } };

function reconcileAsA(id: string, options: ObjectOptions = {}, bRoot = b.rootPem): Promise<ReconcileResult> {
  return reconcileTrustContract(
    trustContractObject(id, [participantSpec(a), participantSpec(b, bRootRef)], options),
    reconcilerDeps(a, repositoryA, clock, {
      signer: operatorA,
      readRoot: rootsFrom({ 'Secret/accord/zone-b-root/ca.crt': bRoot }),
    }),
  );
}

function reconcileAsB(id: string, options: ObjectOptions = {}, bRoot = b.rootPem): Promise<ReconcileResult> {
  return reconcileTrustContract(
    trustContractObject(id, [participantSpec(a), participantSpec(b, { pem: bRoot })], options),
    reconcilerDeps(b, repositoryB, clock, { signer: operatorB }),
  );
}

/** The repository's audit head: it moves on every write, and only on writes. */
function auditHead(): number {
  return running.repository.head.sequence;
}

function condition(result: ReconcileResult, type: string) {
  return result.status.conditions.find((candidate) => candidate.type === type);
}

describe('TrustContract reconcile against a real contract repository', () => {
  it('takes a contract from proposed by zone A to active with zone B, then stays silent', async () => {
    const deniedB = await reconcileAsB('ab');
    expect(condition(deniedB, 'Proposed')).toMatchObject({ status: 'False', reason: 'ProposeDenied' });

    const proposedA = await reconcileAsA('ab');
    expect(proposedA.status).toMatchObject({
      state: 'Proposed',
      approvedBy: ['zone-a'],
      approvalSummary: '1/2',
    });
    expect(condition(proposedA, 'Active')).toMatchObject({
      status: 'False',
      reason: 'WaitingForApprovals',
      message: 'waiting for approvals of zone-b',
    });

    clock.advance(1000);
    const activeB = await reconcileAsB('ab', { status: deniedB.status });
    expect(activeB.status).toMatchObject({ state: 'Active', approvedBy: ['zone-a', 'zone-b'] });
    const activeA = await reconcileAsA('ab', { status: proposedA.status });
    expect(activeA.status).toMatchObject({
      state: 'Active',
      approvedBy: ['zone-a', 'zone-b'],
      approvalSummary: '2/2',
    });

    const head = auditHead();
    clock.advance(60_000);
    const steadyA = await reconcileAsA('ab', { status: activeA.status });
    const steadyB = await reconcileAsB('ab', { status: activeB.status });
    expect(auditHead()).toBe(head);
    expect(steadyA).toEqual({
      status: activeA.status,
      isStatusChanged: false,
      finalizer: 'keep',
      events: [],
    });
    expect(steadyB).toEqual({
      status: activeB.status,
      isStatusChanged: false,
      finalizer: 'keep',
      events: [],
    });
  });

  it('refuses to approve a stored contract whose zone-b root differs from the spec', async () => {
    await reconcileAsA('ab-mismatch');
    const otherB = await createTestZone('zone-b');
    const head = auditHead();
    const result = await reconcileAsB('ab-mismatch', {}, otherB.rootPem);
    expect(auditHead()).toBe(head);
    expect(condition(result, 'Approved')).toMatchObject({ status: 'False', reason: 'SpecMismatch' });
    expect((await repositoryB.get('ab-mismatch')).approvals.map((approval) => approval.participant)).toEqual([
      'zone-a',
    ]);
  });

  it('revokes on deletion and asks to remove the finalizer; the other zone then sees it revoked', async () => {
    const proposed = await reconcileAsA('ab-delete');
    const active = await reconcileAsB('ab-delete');
    const deleted = await reconcileAsA('ab-delete', {
      deletionTimestamp: clock.now().toISOString(),
      status: proposed.status,
    });
    expect(deleted).toMatchObject({ finalizer: 'remove', status: { state: 'Revoked' } });
    expect((await repositoryA.get('ab-delete')).state).toBe('revoked');
    const seenByB = await reconcileAsB('ab-delete', { status: active.status });
    expect(seenByB.status.state).toBe('Revoked');
    expect(seenByB.events.map((event) => event.reason)).toEqual(['RevokedByParticipant']);
  });

  it('does not count a forged approval that a compromised repository serves', async () => {
    await reconcileAsA('ab-forged');
    const stored = await repositoryA.get('ab-forged');
    const intruder = await createTestZone('intruder');
    const forged = await forgeApproval(stored, 'zone-b', intruder.admin, { signedAt: clock.now() });
    await expect(repositoryB.approve('ab-forged', forged)).rejects.toMatchObject({
      kind: 'PermissionDenied',
    });
    // The real repository refuses it, so a compromised one is simulated by altering its answers.
    const compromised: typeof repositoryA = {
      ...repositoryA,
      get: async (id) => {
        const contract = await repositoryA.get(id);
        return { ...contract, state: 'active', approvals: [...contract.approvals, forged] };
      },
    };
    const result = await reconcileTrustContract(
      trustContractObject('ab-forged', [participantSpec(a), participantSpec(b)]),
      reconcilerDeps(a, compromised, clock, { signer: operatorA }),
    );
    expect(result.status).toMatchObject({
      state: 'Proposed',
      approvedBy: ['zone-a'],
      approvalSummary: '1/2',
    });
  });
});
