import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { UnavailableError, PermissionDeniedError } from '../../lib/errors/accord-error.js';
import { ManualClock } from '../support/manual-clock.js';
import {
  reconcileTrustContract,
  type ReconcileResult,
} from '../../operator/trust-contract/reconcile-trust-contract.js';
import type { TrustContractStatus } from '../../operator/trust-contract/trust-contract-status.js';
import { InMemoryRepository } from '../cli/in-memory-repository.js';
import { approvedContract, forgeApproval, revocationBy } from '../support/test-contracts.js';
import { createTestZone, type TestZone } from '../support/test-zone.js';
import {
  participantSpec,
  reconcilerDeps,
  trustContractObject,
  type ObjectOptions,
} from './trust-contract-builders.js';

/** The in-memory repository (a named fake with the real validation) that records calls and can fail them. */
class ScriptedRepository extends InMemoryRepository {
  readonly calls: string[] = [];
  readonly failures = new Map<string, Error>();

  /** The calls that change the repository (its own approve and revoke read first, which is not recorded here). */
  get writes(): string[] {
    return this.calls.filter((call) => call !== 'get');
  }

  override get(id: string) {
    return this.#call('get', () => super.get(id));
  }
  override create(proposal: Parameters<InMemoryRepository['create']>[0]) {
    return this.#call('create', () => super.create(proposal));
  }
  override approve(id: string, approval: Parameters<InMemoryRepository['approve']>[1]) {
    return this.#call('approve', () => super.approve(id, approval));
  }
  override revoke(id: string, reason: string, signed: Parameters<InMemoryRepository['revoke']>[2]) {
    return this.#call('revoke', () => super.revoke(id, reason, signed));
  }

  #call(name: string, action: () => Promise<TrustContract>): Promise<TrustContract> {
    this.calls.push(name);
    const failure = this.failures.get(name);
    return failure === undefined ? action() : Promise.reject(failure);
  }
}

let a: TestZone;
let b: TestZone;
let c: TestZone;
let repository: ScriptedRepository;
let clock: ManualClock;

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
  ]);
});

beforeEach(() => {
  repository = new ScriptedRepository();
  clock = new ManualClock(new Date());
});

function reconcileAs(
  zone: TestZone,
  options: ObjectOptions = {},
  participants = [participantSpec(a), participantSpec(b)],
) {
  return reconcileTrustContract(
    trustContractObject('ab', participants, options),
    reconcilerDeps(zone, repository, clock),
  );
}

function reasons(status: TrustContractStatus): string[] {
  return status.conditions.map((condition) => `${condition.type}=${condition.status} ${condition.reason}`);
}

function eventReasons(result: ReconcileResult): string[] {
  return result.events.map((event) => `${event.type} ${event.reason}`);
}

describe('reconcileTrustContract', () => {
  it('proposes and approves a contract the repository does not have, and asks for the finalizer', async () => {
    const result = await reconcileAs(a, { finalizers: [] });
    expect(repository.writes).toEqual(['create', 'approve']);
    expect(result).toMatchObject({
      finalizer: 'add',
      isStatusChanged: true,
      status: { state: 'Proposed', approvedBy: ['zone-a'], approvalSummary: '1/2' },
    });
    expect(eventReasons(result)).toEqual(['Normal ContractProposed', 'Normal ApprovedByThisZone']);
  });

  it('approves as the second zone, and both zones then see the contract Active', async () => {
    const first = await reconcileAs(a);
    const second = await reconcileAs(b);
    expect(second.status).toMatchObject({ state: 'Active', approvedBy: ['zone-a', 'zone-b'] });
    const again = await reconcileAs(a, { status: first.status });
    expect(again.status.state).toBe('Active');
    expect(eventReasons(again)).toEqual(['Normal ApprovedByAllParticipants']);
  });

  it('writes nothing and records nothing in a steady state', async () => {
    await reconcileAs(b);
    const first = await reconcileAs(a);
    repository.calls.length = 0;
    clock.advance(60_000);
    const steady = await reconcileAs(a, { status: JSON.parse(JSON.stringify(first.status)) as unknown });
    expect(repository.writes).toEqual([]);
    expect(steady).toEqual({ status: first.status, isStatusChanged: false, finalizer: 'keep', events: [] });
  });

  it('reports an invalid spec without calling the repository', async () => {
    const result = await reconcileAs(a, {}, [participantSpec(a), participantSpec(b, { pem: 'nope' })]);
    expect(repository.calls).toEqual([]);
    expect(reasons(result.status)).toContain('Proposed=False InvalidSpec');
    expect(result.events).toEqual([
      {
        type: 'Warning',
        reason: 'InvalidSpec',
        message: expect.stringMatching(
          /^spec\.participants\[1\]\.root\.pem: .*: pem must start with/,
        ) as unknown,
      },
    ]);
  });

  it('reports a contract this zone is not part of as an invalid spec', async () => {
    const result = await reconcileAs(c);
    expect(repository.calls).toEqual([]);
    expect(result.status.conditions[0]).toMatchObject({
      reason: 'InvalidSpec',
      message: 'spec.participants: this zone (zone-c.example) is not a participant',
    });
  });

  it('waits for an admin when this zone may not propose, approving nothing', async () => {
    repository.failures.set(
      'create',
      new PermissionDeniedError('proposing a contract is restricted to repository admins'),
    );
    const result = await reconcileAs(a);
    expect(repository.writes).toEqual(['create']);
    expect(reasons(result.status)).toContain('Proposed=False ProposeDenied');
    expect(result.requeueAfterMs).toBeUndefined();
  });

  it('refuses to approve a stored contract whose zone-b root differs from the spec', async () => {
    const otherB = await createTestZone('zone-b');
    await repository.create({ id: 'ab', participants: [a.participant, otherB.participant] });
    repository.calls.length = 0;
    const result = await reconcileAs(a);
    expect(repository.writes).toEqual([]);
    expect(reasons(result.status)).toContain('Approved=False SpecMismatch');
    expect(result.status.conditions[0]?.message).toContain(
      `only in the spec: zone-b (zone-b.example, root sha256 ${b.rootSha256})`,
    );
  });

  it('keeps the last status and backs off while the repository is unreachable', async () => {
    const first = await reconcileAs(a);
    repository.failures.set('get', new UnavailableError('connection refused'));
    const result = await reconcileTrustContract(
      trustContractObject('ab', [participantSpec(a), participantSpec(b)], { status: first.status }),
      reconcilerDeps(a, repository, clock),
      3,
    );
    expect(result).toMatchObject({ finalizer: 'keep', requeueAfterMs: 8000, status: { state: 'Proposed' } });
    expect(eventReasons(result)).toEqual(['Warning RepositoryUnavailable']);
  });

  it('does not count a forged approval stored in the repository', async () => {
    const genuine = await approvedContract('ab', [a, b], [a]);
    const forged = await forgeApproval(genuine, 'zone-b', c.admin);
    repository.contracts.set('ab', {
      ...genuine,
      state: 'active',
      approvals: [...genuine.approvals, forged],
    });
    const result = await reconcileAs(a);
    expect(repository.writes).toEqual([]);
    expect(result.status).toMatchObject({
      state: 'Proposed',
      approvedBy: ['zone-a'],
      approvalSummary: '1/2',
    });
  });

  it('does not approve a revoked contract', async () => {
    await reconcileAs(a);
    await repository.revoke('ab', 'done', await revocationBy(await repository.get('ab'), a, 'done'));
    repository.calls.length = 0;
    const result = await reconcileAs(b);
    expect(repository.writes).toEqual([]);
    expect(result.status.state).toBe('Revoked');
  });

  describe('on deletion', () => {
    const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z' };

    it('revokes the contract this zone approved and releases the finalizer', async () => {
      const first = await reconcileAs(a);
      const result = await reconcileAs(a, { ...deleting, status: first.status });
      expect(repository.writes).toEqual(['create', 'approve', 'revoke']);
      expect(result).toMatchObject({ finalizer: 'remove', status: { state: 'Revoked' } });
      expect(eventReasons(result)).toEqual(['Warning RevokedByParticipant']);
    });

    it('releases the finalizer without revoking when this zone never approved', async () => {
      await reconcileAs(a);
      repository.calls.length = 0;
      const result = await reconcileAs(b, { ...deleting });
      expect(repository.writes).toEqual([]);
      expect(result.finalizer).toBe('remove');
    });

    it('releases the finalizer when the repository has no such contract', async () => {
      const result = await reconcileAs(a, deleting);
      expect(result).toMatchObject({ finalizer: 'remove', isStatusChanged: false, events: [] });
    });

    it('keeps the finalizer while the repository is unreachable', async () => {
      repository.failures.set('get', new UnavailableError('connection refused'));
      const result = await reconcileAs(a, deleting);
      expect(result).toMatchObject({ finalizer: 'keep', requeueAfterMs: 1000 });
    });

    it('leaves an object without the finalizer alone', async () => {
      const result = await reconcileAs(a, { ...deleting, finalizers: [] });
      expect(repository.calls).toEqual([]);
      expect(result).toMatchObject({ finalizer: 'keep', isStatusChanged: false, events: [] });
    });
  });
});
