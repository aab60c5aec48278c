import { signApproval } from '../lib/contract/approval-signature.js';
import {
  chainAuditRecord,
  verifyAuditChain,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditRecord,
} from '../lib/contract/audit-chain.js';
import { validateProposal } from '../lib/contract/validate-proposal.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  NotFoundError,
  UnavailableError,
} from '../lib/errors/accord-error.js';
import { silentLogger } from '../lib/log/logger.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { ManualTimers } from '../test/support/manual-timers.js';
import { revocationBy } from '../test/support/test-contracts.js';
import { createTestZone, type TestSvid, type TestZone } from '../test/support/test-zone.js';
import { ContractRepository, maxCommitAttempts } from './contract-repository.js';
import type { ContractStore } from './contract-store.js';
import { testAdminId as adminId, testAdmins as admins, testCallers } from '../test/support/test-callers.js';

const { admin, zoneA: zoneACaller, zoneB: zoneBCaller } = testCallers;
const followIntervalMs = 1000;

/**
 * One audit log several replicas share, with the Kubernetes store's semantics: appending sequence
 * N is a create-if-absent, and `readAfter` hands over whatever sits after the head. It does not
 * verify what it hands over, so these tests show the repository's own verification.
 */
class SharedLog {
  readonly entries: AuditEntry[] = [];
  reads = 0;

  /** A store over this log; `isShared: false` leaves out `readAfter` (a single-writer store). */
  store(options: { beforeAppend?: () => Promise<void>; isShared?: boolean } = {}): ContractStore {
    let head = 0;
    const store: ContractStore = {
      load: () => {
        head = this.entries.length;
        return Promise.resolve({ snapshot: undefined, entries: [...this.entries] });
      },
      append: async (entry, expectedPreviousSequence) => {
        await options.beforeAppend?.();
        if (expectedPreviousSequence !== head || this.entries.length >= entry.sequence)
          throw new AlreadyExistsError(`sequence ${entry.sequence} is taken`);
        this.entries.push(entry);
        head = entry.sequence;
      },
      readEntries: (fromSequence, count) =>
        Promise.resolve(this.entries.slice(fromSequence - 1, Math.min(head, fromSequence - 1 + count))),
      writeSnapshot: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    if (options.isShared === false) return store;
    return {
      ...store,
      readAfter: (after: AuditCheckpoint) => {
        this.reads += 1;
        const fresh = this.entries.slice(after.sequence);
        head = after.sequence + fresh.length;
        return Promise.resolve(fresh);
      },
    };
  }
}

let zoneA: TestZone;
let zoneB: TestZone;
let signerB: TestSvid;
let clock: ManualClock;
let log: SharedLog;
let replicas: ContractRepository[];

beforeAll(async () => {
  [zoneA, zoneB] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
  signerB = zoneB.operator;
});

beforeEach(() => {
  clock = new ManualClock(new Date());
  log = new SharedLog();
  replicas = [];
});

afterEach(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
});

async function replica(
  store: ContractStore = log.store(),
  timers = new ManualTimers(),
): Promise<ContractRepository> {
  const opened = await ContractRepository.open({
    store,
    clock,
    logger: silentLogger,
    admins,
    timers,
    followIntervalMs,
  });
  replicas.push(opened);
  return opened;
}

function propose(on: ContractRepository, id: string) {
  return on.propose(admin, validateProposal({ id, participants: [zoneA.participant, zoneB.participant] }));
}

/** Waits, a bounded number of event-loop turns, for a background follow to reach `condition`. */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000 && !condition(); turn += 1)
    await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

function rawRecord(head: AuditCheckpoint, fields: Partial<AuditRecord> = {}): AuditRecord {
  return {
    sequence: head.sequence + 1,
    time: clock.now().toISOString(),
    actor: adminId,
    action: 'propose',
    contractId: 'forged',
    details: { participants: [] },
    ...fields,
  };
}

describe('ContractRepository replicas on a shared store, after a lost race', () => {
  it('catches up and refuses an approval that raced a revocation it now sees', async () => {
    const first = await replica();
    const proposed = await propose(first, 'ab');
    const second = await replica();
    const approval = await signApproval(proposed, 'zone-b', signerB.signer, clock.now());
    await first.revoke(
      zoneACaller,
      'ab',
      'changed our mind',
      await revocationBy(proposed, zoneA, 'changed our mind', () => clock.now()),
    );
    await expect(second.approve(zoneBCaller, 'ab', approval)).rejects.toThrow(FailedPreconditionError);
    await expect(second.approve(zoneBCaller, 'ab', approval)).rejects.toThrow(/is revoked/);
    expect(second.get(admin, 'ab')).toMatchObject({ state: 'revoked', approvals: [] });
    expect(log.entries.map((entry) => entry.sequence)).toEqual([1, 2]);
    expect(verifyAuditChain(log.entries)).toEqual(second.head);
  });

  it('re-decides a revocation that raced an approval and commits it after the approval', async () => {
    const first = await replica();
    const proposed = await propose(first, 'ab');
    const second = await replica();
    await first.approve(
      zoneBCaller,
      'ab',
      await signApproval(proposed, 'zone-b', signerB.signer, clock.now()),
    );
    const revoked = await second.revoke(
      zoneACaller,
      'ab',
      'changed our mind',
      await revocationBy(proposed, zoneA, 'changed our mind', () => clock.now()),
    );
    expect(revoked).toMatchObject({ state: 'revoked', revision: 3 });
    expect(revoked.approvals.map((approval) => approval.participant)).toEqual(['zone-b']);
    expect(verifyAuditChain(log.entries).sequence).toBe(3);
  });

  it('commits a change that does not conflict on the new head and announces both to its watches', async () => {
    const first = await replica();
    const second = await replica();
    const abort = new AbortController();
    const watch = second.watch(admin, '', abort.signal);
    expect((await watch.next()).value).toMatchObject({ kind: 'snapshot', resumeToken: '0' });
    await propose(first, 'ab');
    expect(await propose(second, 'cd')).toMatchObject({ id: 'cd', revision: 2 });
    const changes = [(await watch.next()).value, (await watch.next()).value];
    abort.abort();
    expect(changes).toMatchObject([
      { kind: 'change', resumeToken: '1', change: { contract: { id: 'ab' } } },
      { kind: 'change', resumeToken: '2', change: { contract: { id: 'cd' } } },
    ]);
    expect(second.list(admin).map((contract) => contract.id)).toEqual(['ab', 'cd']);
  });

  it(`gives up with UNAVAILABLE after losing the race ${maxCommitAttempts} times in a row`, async () => {
    const rival = await replica();
    let rivalCommits = 0;
    const loser = await replica(
      log.store({
        beforeAppend: async () => {
          rivalCommits += 1;
          await propose(rival, `rival-${rivalCommits}`);
        },
      }),
    );
    await expect(propose(loser, 'mine')).rejects.toThrow(UnavailableError);
    expect(rivalCommits).toBe(maxCommitAttempts);
    expect(() => loser.get(admin, 'mine')).toThrow(NotFoundError);
    expect(loser.head.sequence).toBe(maxCommitAttempts - 1);
    expect(verifyAuditChain(log.entries).sequence).toBe(maxCommitAttempts);
  });

  it('does not take a refusal of the domain (a duplicate id) for a lost race', async () => {
    const first = await replica();
    await propose(first, 'ab');
    const second = await replica();
    const readsBefore = log.reads;
    await expect(propose(second, 'ab')).rejects.toThrow(/contract ab already exists/);
    expect(log.reads).toBe(readsBefore);
  });

  it('leaves a lost race final on a single-writer store', async () => {
    const first = await replica(log.store({ isShared: false }));
    const second = await replica(log.store({ isShared: false }));
    await propose(first, 'ab');
    await expect(propose(second, 'cd')).rejects.toThrow(/sequence 1 is taken/);
    expect(log.reads).toBe(0);
  });
});

describe('ContractRepository following a shared store', () => {
  it('applies what another replica committed and announces it to its watches', async () => {
    const first = await replica();
    const timers = new ManualTimers();
    const second = await replica(log.store(), timers);
    const abort = new AbortController();
    const watch = second.watch(zoneBCaller, '', abort.signal);
    await watch.next();
    await propose(first, 'ab');
    expect(timers.delays()).toEqual([followIntervalMs]);
    timers.fire(() => true);
    expect((await watch.next()).value).toMatchObject({
      kind: 'change',
      resumeToken: '1',
      change: { contract: { id: 'ab', state: 'proposed' } },
    });
    abort.abort();
    expect(second.get(zoneBCaller, 'ab').state).toBe('proposed');
    await until(() => timers.delays().length === 1);
    expect(timers.delays()).toEqual([0]);
  });

  it('stops following when it closes', async () => {
    const timers = new ManualTimers();
    const closed = await replica(log.store(), timers);
    expect(timers.delays()).toEqual([followIntervalMs]);
    await closed.close();
    expect(timers.delays()).toEqual([]);
  });

  const forgeries: { name: string; forge: (head: AuditCheckpoint) => AuditEntry }[] = [
    {
      name: 'a hash that does not match its record',
      forge: (head) => ({ ...chainAuditRecord(head, rawRecord(head)), hash: new Uint8Array(32).fill(7) }),
    },
    {
      name: 'a link to a history it does not share',
      forge: (head) =>
        chainAuditRecord({ sequence: head.sequence, hash: new Uint8Array(32).fill(9) }, rawRecord(head)),
    },
    {
      name: 'a sequence that skips one',
      forge: (head) =>
        chainAuditRecord(
          { ...head, sequence: head.sequence + 1 },
          rawRecord({ ...head, sequence: head.sequence + 1 }),
        ),
    },
    {
      name: 'a well-chained approval of a contract that does not exist',
      forge: (head) =>
        chainAuditRecord(
          head,
          rawRecord(head, {
            action: 'approve',
            details: {
              participant: 'zone-a',
              signature: '',
              certificateChain: [],
              signedAt: clock.now().toISOString(),
            },
          }),
        ),
    },
  ];

  it.each(forgeries)('never applies an entry with $name, and then refuses writes', async ({ forge }) => {
    const first = await replica();
    const timers = new ManualTimers();
    const second = await replica(log.store(), timers);
    await propose(first, 'ab');
    timers.fire(() => true);
    await until(() => second.head.sequence === 1);
    const legitimateHead = second.head;

    log.entries.push(forge(legitimateHead));
    await until(() => timers.delays().length === 1);
    timers.fire(() => true);
    await until(() => !second.isReady);

    expect(second.head).toEqual(legitimateHead);
    expect(() => second.get(admin, 'forged')).toThrow(NotFoundError);
    expect(second.get(admin, 'ab').state).toBe('proposed');
    expect(timers.delays()).toEqual([]);
    await expect(propose(second, 'cd')).rejects.toThrow(/refused an audit log entry after sequence 1/);
    expect(log.entries).toHaveLength(2);
  });
});
