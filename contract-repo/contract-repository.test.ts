import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditChain } from '../lib/contract/audit-chain.js';
import { contractToProto } from '../lib/contract/contract-codec.js';
import { signApproval } from '../lib/contract/approval-signature.js';
import { forgeApproval, revocationBy } from '../test/support/test-contracts.js';
import { createTestZone, type TestSvid, type TestZone } from '../test/support/test-zone.js';
import type { ContractApproval, TrustContract } from '../lib/contract/trust-contract.js';
import { validateProposal } from '../lib/contract/validate-proposal.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
} from '../lib/errors/accord-error.js';
import { silentLogger, type Logger } from '../lib/log/logger.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { callerOf, type Caller } from './contract-authorization.js';
import { ContractRepository } from './contract-repository.js';
import { contractSnapshotFormat } from './contract-snapshot.js';
import type { WatchEvent } from './contract-watcher.js';
import { FileContractStore, snapshotFileName } from './file-contract-store.js';
import { testAdminId as adminId, testAdmins as admins, testCallers } from '../test/support/test-callers.js';

const {
  admin,
  zoneA: zoneACaller,
  zoneB: zoneBCaller,
  zoneC: zoneCCaller,
  workloadB: workloadBCaller,
} = testCallers;

let zoneA: TestZone;
let zoneB: TestZone;
let zoneC: TestZone;
let signerA: TestSvid;
let signerB: TestSvid;
let signerC: TestSvid;
let directory: string;
let clock: ManualClock;
let repository: ContractRepository;

beforeAll(async () => {
  [zoneA, zoneB, zoneC] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
  ]);
  [signerA, signerB, signerC] = [zoneA.operator, zoneB.operator, zoneC.operator];
});

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'contract-repository-'));
  clock = new ManualClock(new Date());
  repository = await open();
});

afterEach(async () => {
  await repository.close();
  await rm(directory, { recursive: true, force: true });
});

function open(
  options: { snapshotEveryEntries?: number; limits?: { pageBytes: number } } = {},
): Promise<ContractRepository> {
  return ContractRepository.open({
    store: new FileContractStore(directory, silentLogger),
    clock,
    logger: silentLogger,
    admins,
    ...options,
  });
}

function proposeAB(id = 'ab'): Promise<TrustContract> {
  return repository.propose(
    admin,
    validateProposal({ id, participants: [zoneA.participant, zoneB.participant] }),
  );
}

const now = (): Date => clock.now();

function approvalOf(
  contract: TrustContract,
  participant: string,
  signer: TestSvid,
): Promise<ContractApproval> {
  return signApproval(
    contract,
    participant,
    signer.signerAt(() => clock.now()),
    clock.now(),
  );
}

/** The next `count` events of a watch. */
async function take(events: AsyncGenerator<WatchEvent>, count: number): Promise<WatchEvent[]> {
  const taken: WatchEvent[] = [];
  while (taken.length < count) {
    const next = await events.next();
    if (next.done === true) break;
    taken.push(next.value);
  }
  return taken;
}

describe('ContractRepository consent state machine', () => {
  it('keeps a contract proposed until every participant approved, then makes it active', async () => {
    const proposed = await proposeAB();
    expect(proposed.state).toBe('proposed');
    expect(proposed.proposedBy).toBe(adminId);
    const afterA = await repository.approve(zoneACaller, 'ab', await approvalOf(proposed, 'zone-a', signerA));
    expect(afterA.state).toBe('proposed');
    expect(repository.partners(zoneACaller)).toEqual([]);
    const afterB = await repository.approve(zoneBCaller, 'ab', await approvalOf(proposed, 'zone-b', signerB));
    expect(afterB.state).toBe('active');
    expect(repository.partners(zoneACaller).map((partner) => partner.rootSha256)).toEqual([zoneB.rootSha256]);
    expect(repository.partners(zoneBCaller).map((partner) => partner.contractIds)).toEqual([['ab']]);
  });

  it('makes revocation terminal and removes the trust at once', async () => {
    const proposed = await proposeAB();
    await repository.approve(zoneACaller, 'ab', await approvalOf(proposed, 'zone-a', signerA));
    await repository.approve(zoneBCaller, 'ab', await approvalOf(proposed, 'zone-b', signerB));
    const revoked = await repository.revoke(
      zoneBCaller,
      'ab',
      'rotating partners',
      await revocationBy(proposed, zoneB, 'rotating partners', now),
    );
    expect(revoked.state).toBe('revoked');
    expect(revoked.revocation).toMatchObject({
      revokedBy: 'spiffe://zone-b.example/accord/operator',
      reason: 'rotating partners',
    });
    expect(repository.partners(zoneACaller)).toEqual([]);
    await expect(
      repository.revoke(zoneACaller, 'ab', '', await revocationBy(proposed, zoneA, '', now)),
    ).rejects.toThrow(FailedPreconditionError);
  });

  it('refuses an approval for a revoked contract and a second approval by the same participant', async () => {
    const proposed = await proposeAB();
    const approvalA = await approvalOf(proposed, 'zone-a', signerA);
    await repository.approve(zoneACaller, 'ab', approvalA);
    await expect(repository.approve(zoneACaller, 'ab', approvalA)).rejects.toThrow(AlreadyExistsError);
    await repository.revoke(zoneBCaller, 'ab', 'stop', await revocationBy(proposed, zoneB, 'stop', now));
    await expect(
      repository.approve(zoneBCaller, 'ab', await approvalOf(proposed, 'zone-b', signerB)),
    ).rejects.toThrow(FailedPreconditionError);
  });

  it('assigns a UUID when the proposal has no id and refuses a duplicate id', async () => {
    const contract = await repository.propose(
      admin,
      validateProposal({ id: '', participants: [zoneA.participant, zoneB.participant] }),
    );
    expect(contract.id).toMatch(/^[0-9a-f-]{36}$/);
    await proposeAB();
    await expect(proposeAB()).rejects.toThrow(AlreadyExistsError);
  });

  it('never stores a rejected approval', async () => {
    const proposed = await proposeAB();
    const forged = await approvalOf(proposed, 'zone-a', signerA);
    const headBefore = repository.head.sequence;
    await expect(
      repository.approve(zoneACaller, 'ab', { ...forged, signature: new Uint8Array(64) }),
    ).rejects.toThrow(PermissionDeniedError);
    expect(repository.head.sequence).toBe(headBefore);
    expect(repository.get(admin, 'ab').approvals).toEqual([]);
  });

  it('refuses an approval signed outside the allowed clock skew', async () => {
    const proposed = await proposeAB();
    const approval = await approvalOf(proposed, 'zone-a', signerA);
    clock.advance(10 * 60 * 1000);
    await expect(repository.approve(zoneACaller, 'ab', approval)).rejects.toThrow(
      /approval.signed_at: .* away from the repository's clock/,
    );
  });

  it('rejects an approval replayed onto a contract re-proposed under the same id', async () => {
    const first = await proposeAB();
    const approvalA = await approvalOf(first, 'zone-a', signerA);
    await repository.delete(admin, 'ab');
    await proposeAB();
    await expect(repository.approve(zoneACaller, 'ab', approvalA)).rejects.toThrow(
      /signature does not verify/,
    );
  });

  it('rebuilds the same state and a verifying chain from the store after a restart', async () => {
    const proposed = await proposeAB();
    await repository.approve(zoneACaller, 'ab', await approvalOf(proposed, 'zone-a', signerA));
    await repository.approve(zoneBCaller, 'ab', await approvalOf(proposed, 'zone-b', signerB));
    await proposeAB('gone');
    await repository.delete(admin, 'gone');
    // Compared in wire form: node's X509Certificate objects hold internal caches that jest cannot diff.
    const before = contractToProto(repository.get(admin, 'ab'));
    await repository.close();
    repository = await open();
    expect(contractToProto(repository.get(admin, 'ab'))).toEqual(before);
    expect(() => repository.get(admin, 'gone')).toThrow(NotFoundError);
    const page = await repository.auditLog(admin, 1, 100);
    expect(verifyAuditChain(page.entries)).toEqual(page.head);
    expect(page.head.sequence).toBe(5);
  });
});

describe('ContractRepository snapshots', () => {
  /** A/B approved, B/C proposed, A/C deleted: five entries, each kind of state. */
  async function history(): Promise<void> {
    const proposed = await proposeAB();
    await repository.approve(zoneACaller, 'ab', await approvalOf(proposed, 'zone-a', signerA));
    await repository.approve(zoneBCaller, 'ab', await approvalOf(proposed, 'zone-b', signerB));
    await repository.propose(
      admin,
      validateProposal({ id: 'ac', participants: [zoneA.participant, zoneC.participant] }),
    );
    await repository.delete(admin, 'ac');
  }

  it('writes one every few entries and starts from it with the same state, resumable watches and the whole audit log', async () => {
    await repository.close();
    repository = await open({ snapshotEveryEntries: 4 });
    await history();
    const before = repository.list(admin).map(contractToProto);
    await repository.close();
    expect(await readdir(directory)).toContain(snapshotFileName);

    repository = await open({ snapshotEveryEntries: 4 });
    expect(repository.list(admin).map(contractToProto)).toEqual(before);
    expect(repository.partners(zoneACaller).map((partner) => partner.contractIds)).toEqual([['ab']]);
    const abort = new AbortController();
    const [resumed] = await take(repository.watch(zoneACaller, '3', abort.signal), 1);
    abort.abort();
    expect(resumed).toMatchObject({ kind: 'change', resumeToken: '5', change: { isDeleted: true } });
    const page = await repository.auditLog(admin, 1, 100);
    expect(page.entries.map((entry) => entry.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(verifyAuditChain(page.entries)).toEqual(page.head);
  });

  /** Replaces the snapshot with `bytes` at entry 5 (the head `history` leaves), through the store. */
  async function writeSnapshotAt5(bytes: Buffer): Promise<void> {
    const store = new FileContractStore(directory, silentLogger);
    await store.load();
    const [last] = await store.readEntries(5, 1);
    if (last === undefined) throw new Error('no entry 5');
    await store.writeSnapshot({ head: { sequence: 5, hash: last.hash }, bytes });
    await store.close();
  }

  it('refuses to start from a snapshot whose index does not decode, and starts from the log once it is removed', async () => {
    await history();
    await repository.close();
    await writeSnapshotAt5(Buffer.from(`${contractSnapshotFormat}\n{"headSequence":5}\n`));
    await expect(open()).rejects.toThrow(
      /^the snapshot at audit sequence 5 cannot be used \(remove it to rebuild the state from the log\): contract snapshot does not decode: headHash is not hex SHA-256$/,
    );
    await rm(join(directory, snapshotFileName));
    repository = await open();
    expect(repository.list(admin).map((contract) => contract.id)).toEqual(['ab']);
  });

  it('starts from the whole log, with a warning, when the snapshot is in an earlier format', async () => {
    await history();
    const before = repository.list(admin).map(contractToProto);
    await repository.close();
    await writeSnapshotAt5(Buffer.from('{"format":"accord.dev/contract-snapshot/v1","headSequence":5}'));
    const warnings: { message: string; error: unknown }[] = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (message, fields) => warnings.push({ message, error: fields?.error }),
    };
    repository = await ContractRepository.open({
      store: new FileContractStore(directory, logger),
      clock,
      logger,
      admins,
      snapshotEveryEntries: 5,
    });
    expect(repository.list(admin).map(contractToProto)).toEqual(before);
    expect(warnings).toEqual([
      {
        message: 'contract snapshot ignored, reading the whole audit log',
        error: 'the snapshot is in a format this version does not read',
      },
    ]);
  });

  it('refuses every use of a contract whose snapshot record does not decode, naming it, and appends nothing', async () => {
    await repository.close();
    repository = await open({ snapshotEveryEntries: 5 });
    await history();
    await repository.close();
    const store = new FileContractStore(directory, silentLogger);
    const stored = (await store.load()).snapshot;
    await store.close();
    const text = Buffer.from(stored?.bytes ?? []).toString('utf8');
    expect(text).toContain('"proposedBy":0');
    await writeSnapshotAt5(Buffer.from(text.replace('"proposedBy":0', '"proposedBy":9'), 'utf8'));
    repository = await open();
    const reason = 'contract snapshot does not decode: contract ab: refers to a missing actor 9';
    expect(() => repository.get(admin, 'ab')).toThrow(reason);
    expect(() => repository.list(admin)).toThrow(reason);
    await expect(repository.delete(admin, 'ab')).rejects.toThrow(reason);
    expect(repository.head.sequence).toBe(5);
  });
});

describe('ContractRepository authorization', () => {
  type Outcome = 'ok' | typeof PermissionDeniedError | typeof NotFoundError;
  const cases: {
    who: string;
    caller: () => Caller;
    operation: string;
    run: (caller: Caller, contract: TrustContract) => unknown;
    outcome: Outcome;
  }[] = [
    {
      who: 'an admin',
      caller: () => admin,
      operation: 'propose',
      run: (who) =>
        repository.propose(
          who,
          validateProposal({ id: 'x', participants: [zoneA.participant, zoneC.participant] }),
        ),
      outcome: 'ok',
    },
    {
      who: 'a participant zone',
      caller: () => zoneACaller,
      operation: 'propose',
      run: (who) =>
        repository.propose(
          who,
          validateProposal({ id: 'x', participants: [zoneA.participant, zoneC.participant] }),
        ),
      outcome: PermissionDeniedError,
    },
    {
      who: 'an admin',
      caller: () => admin,
      operation: 'delete',
      run: (who) => repository.delete(who, 'ab'),
      outcome: 'ok',
    },
    {
      who: 'a participant zone',
      caller: () => zoneBCaller,
      operation: 'delete',
      run: (who) => repository.delete(who, 'ab'),
      outcome: PermissionDeniedError,
    },
    {
      who: 'an admin',
      caller: () => admin,
      operation: 'read the audit log',
      run: (who) => repository.auditLog(who, 1, 10),
      outcome: 'ok',
    },
    {
      who: 'a participant zone',
      caller: () => zoneACaller,
      operation: 'read the audit log',
      run: (who) => repository.auditLog(who, 1, 10),
      outcome: PermissionDeniedError,
    },
    {
      who: 'a participant zone',
      caller: () => zoneBCaller,
      operation: 'get',
      run: (who) => repository.get(who, 'ab'),
      outcome: 'ok',
    },
    {
      who: 'a non-participant zone',
      caller: () => zoneCCaller,
      operation: 'get',
      run: (who) => repository.get(who, 'ab'),
      outcome: NotFoundError,
    },
    {
      who: 'a participant zone',
      caller: () => zoneACaller,
      operation: 'revoke for zone-a',
      run: async (who, contract) =>
        repository.revoke(who, 'ab', '', await revocationBy(contract, zoneA, '', now)),
      outcome: 'ok',
    },
    {
      who: 'the other participant zone',
      caller: () => zoneBCaller,
      operation: 'revoke for zone-a',
      run: async (who, contract) =>
        repository.revoke(who, 'ab', '', await revocationBy(contract, zoneA, '', now)),
      outcome: PermissionDeniedError,
    },
    {
      who: 'a non-participant zone',
      caller: () => zoneCCaller,
      operation: 'revoke for zone-a',
      run: async (who, contract) =>
        repository.revoke(who, 'ab', '', await revocationBy(contract, zoneA, '', now)),
      outcome: NotFoundError,
    },
    {
      who: 'a repository admin that is zone-a’s admin (a designated approver of zone-a)',
      caller: () => admin,
      operation: 'revoke for zone-a',
      run: async (who, contract) =>
        repository.revoke(who, 'ab', '', await revocationBy(contract, zoneA, '', now)),
      outcome: 'ok',
    },
    {
      who: 'a repository admin of another trust domain',
      caller: () => admin,
      operation: 'revoke for zone-b',
      run: async (who, contract) =>
        repository.revoke(who, 'ab', '', await revocationBy(contract, zoneB, '', now)),
      outcome: PermissionDeniedError,
    },
    {
      who: 'the participant zone itself',
      caller: () => zoneBCaller,
      operation: 'approve for zone-b',
      run: async (who, contract) =>
        repository.approve(who, 'ab', await approvalOf(contract, 'zone-b', signerB)),
      outcome: 'ok',
    },
    {
      who: 'the other participant zone',
      caller: () => zoneACaller,
      operation: 'approve for zone-b',
      run: async (who, contract) =>
        repository.approve(who, 'ab', await approvalOf(contract, 'zone-b', signerB)),
      outcome: PermissionDeniedError,
    },
    {
      who: 'a non-participant zone',
      caller: () => zoneCCaller,
      operation: 'approve for zone-b',
      run: async (who, contract) =>
        repository.approve(who, 'ab', await approvalOf(contract, 'zone-b', signerB)),
      outcome: NotFoundError,
    },
    {
      who: 'a participant zone with a non-participant key',
      caller: () => zoneBCaller,
      operation: 'approve for zone-b',
      run: async (who, contract) =>
        repository.approve(
          who,
          'ab',
          await forgeApproval(contract, 'zone-b', signerC, { signedAt: clock.now() }),
        ),
      outcome: PermissionDeniedError,
    },
  ];

  it.each(cases)('$operation by $who: $outcome.name', async ({ caller: who, run, outcome }) => {
    const contract = await proposeAB();
    const result = Promise.resolve().then(() => run(who(), contract));
    if (outcome === 'ok') await expect(result).resolves.not.toThrow();
    else await expect(result).rejects.toThrow(outcome);
  });

  describe('consent from a workload of a participant zone (any pod can get such an SVID)', () => {
    const approvers = 'spiffe://zone-b.example/accord/admin, spiffe://zone-b.example/accord/operator';
    let workloadB: TestSvid;
    beforeAll(async () => {
      workloadB = await zoneB.issue('/ns/shop/sa/some-app');
    });

    it.each([
      {
        attack: 'approving for its zone with its own signature',
        run: async (contract: TrustContract) =>
          repository.approve(
            workloadBCaller,
            'ab',
            await forgeApproval(contract, 'zone-b', workloadB, {
              signedAt: clock.now(),
              timestamper: zoneB.timestamper(() => clock.now()),
            }),
          ),
        message: `spiffe://zone-b.example/ns/shop/sa/some-app may not approve for participant zone-b: only its designated approvers (${approvers}) may`,
      },
      {
        attack: "submitting its own signature through the zone's operator",
        run: async (contract: TrustContract) =>
          repository.approve(
            zoneBCaller,
            'ab',
            await forgeApproval(contract, 'zone-b', workloadB, {
              signedAt: clock.now(),
              timestamper: zoneB.timestamper(() => clock.now()),
            }),
          ),
        message: `approval rejected: the signer spiffe://zone-b.example/ns/shop/sa/some-app is not a designated approver of participant zone-b (only ${approvers})`,
      },
      {
        attack: 'revoking the contract',
        run: async (contract: TrustContract) =>
          repository.revoke(
            workloadBCaller,
            'ab',
            'not mine to revoke',
            await revocationBy(contract, zoneB, 'not mine to revoke', now),
          ),
        message: `spiffe://zone-b.example/ns/shop/sa/some-app may not revoke for participant zone-b: only its designated approvers (${approvers}) may`,
      },
    ])('refuses $attack with PERMISSION_DENIED and stores nothing', async ({ run, message }) => {
      const contract = await proposeAB();
      const attempt = run(contract);
      await expect(attempt).rejects.toThrow(PermissionDeniedError);
      await expect(attempt).rejects.toThrow(message);
      expect(repository.get(admin, 'ab')).toMatchObject({ state: 'proposed', approvals: [], revision: 1 });
    });

    it('lets the same zone approve through its designated approver, and the workload still read it', async () => {
      const contract = await proposeAB();
      const approved = await repository.approve(
        zoneBCaller,
        'ab',
        await approvalOf(contract, 'zone-b', signerB),
      );
      expect(approved.approvals.map((approval) => approval.participant)).toEqual(['zone-b']);
      expect(repository.get(workloadBCaller, 'ab').revision).toBe(approved.revision);
    });
  });

  it('lists only the caller zone’s contracts, and all of them for an admin', async () => {
    await proposeAB();
    await repository.propose(
      admin,
      validateProposal({ id: 'bc', participants: [zoneB.participant, zoneC.participant] }),
    );
    expect(repository.list(zoneACaller).map((contract) => contract.id)).toEqual(['ab']);
    expect(repository.list(zoneBCaller).map((contract) => contract.id)).toEqual(['ab', 'bc']);
    expect(repository.list(admin).map((contract) => contract.id)).toEqual(['ab', 'bc']);
    expect(repository.list(admin, 'active')).toEqual([]);
  });

  it('treats a call without a peer certificate as unauthenticated', () => {
    expect(() => callerOf(undefined, admins)).toThrow(UnauthenticatedError);
  });
});

describe('ContractRepository watch', () => {
  it('sends a snapshot of the caller’s contracts, then only the changes it may see', async () => {
    await proposeAB();
    const abort = new AbortController();
    const forC = repository.watch(zoneCCaller, '', abort.signal);
    const forA = repository.watch(zoneACaller, '', abort.signal);
    const [snapshotC] = await take(forC, 1);
    const [snapshotA] = await take(forA, 1);
    expect(snapshotC).toMatchObject({ kind: 'snapshot', contracts: [], resumeToken: '1' });
    expect(snapshotA).toMatchObject({ kind: 'snapshot', resumeToken: '1' });
    await repository.propose(
      admin,
      validateProposal({ id: 'ac', participants: [zoneA.participant, zoneC.participant] }),
    );
    await repository.revoke(
      zoneACaller,
      'ab',
      'done',
      await revocationBy(repository.get(zoneACaller, 'ab'), zoneA, 'done', now),
    );
    const changesA = await take(forA, 2);
    expect(
      changesA.map((event) => (event.kind === 'change' ? [event.change.contract.id, event.resumeToken] : [])),
    ).toEqual([
      ['ac', '2'],
      ['ab', '3'],
    ]);
    const [changeC] = await take(forC, 1);
    expect(changeC).toMatchObject({ kind: 'change', resumeToken: '2', change: { contract: { id: 'ac' } } });
    abort.abort();
    expect((await forA.next()).done).toBe(true);
  });

  it('resumes with the latest state of each visible contract changed after the token, including deletions', async () => {
    const proposed = await proposeAB();
    await repository.propose(
      admin,
      validateProposal({ id: 'bc', participants: [zoneB.participant, zoneC.participant] }),
    );
    await repository.approve(zoneACaller, 'ab', await approvalOf(proposed, 'zone-a', signerA));
    await repository.propose(
      admin,
      validateProposal({ id: 'ac', participants: [zoneA.participant, zoneC.participant] }),
    );
    await repository.delete(admin, 'ac');
    const abort = new AbortController();
    const events = await take(repository.watch(zoneACaller, '1', abort.signal), 2);
    abort.abort();
    expect(
      events.map((event) =>
        event.kind === 'change' ? [event.change.contract.id, event.change.isDeleted, event.resumeToken] : [],
      ),
    ).toEqual([
      ['ab', false, '3'],
      ['ac', true, '5'],
    ]);
  });

  it('starts with a snapshot when the resume token is not one it issued', async () => {
    await proposeAB();
    const abort = new AbortController();
    const [first] = await take(repository.watch(zoneACaller, '999', abort.signal), 1);
    abort.abort();
    expect(first?.kind).toBe('snapshot');
  });
});

describe('ContractRepository pages and snapshot parts', () => {
  /** Room for about two of these small contracts per page or part. */
  const twoContractBytes = 4200;
  const ids = ['c1', 'c4', 'c2', 'c5', 'c3'];

  beforeEach(async () => {
    await repository.close();
    repository = await open({ limits: { pageBytes: twoContractBytes } });
    for (const id of ids) await proposeAB(id);
  });

  it('lists in id order, a page at most the size asked and the bytes allowed, until the token is empty', () => {
    const pages: string[][] = [];
    let token = '';
    do {
      const page = repository.listPage(admin, undefined, 10, token);
      pages.push(page.contracts.map((contract) => contract.id));
      token = page.nextPageToken;
    } while (token !== '');
    expect(pages).toEqual([['c1', 'c2'], ['c3', 'c4'], ['c5']]);
    expect(repository.listPage(admin, undefined, 1, 'c2').contracts.map((contract) => contract.id)).toEqual([
      'c3',
    ]);
    expect(repository.listPage(zoneCCaller, undefined, 10, '')).toEqual({ contracts: [], nextPageToken: '' });
    expect(repository.listPage(admin, undefined, 0, '').contracts).toHaveLength(5);
  });

  it('refuses a page token it did not issue', () => {
    expect(() => repository.listPage(admin, undefined, 10, 'Not/A/Token')).toThrow(
      new InvalidArgumentError('page_token: not a token this repository issued'),
    );
  });

  it('sends a snapshot in parts whose last one carries the head, each part resumable', async () => {
    const abort = new AbortController();
    const parts = await take(repository.watch(admin, '', abort.signal, true), 3);
    abort.abort();
    expect(
      parts.map((part) =>
        part.kind === 'snapshot'
          ? [
              part.contracts.map((contract) => contract.id),
              part.resumeToken,
              part.hasMore,
              part.isContinuation,
            ]
          : [],
      ),
    ).toEqual([
      [['c1', 'c2'], '5.c2', true, false],
      [['c3', 'c4'], '5.c4', true, true],
      [['c5'], '5', false, true],
    ]);
  });

  it('resumes a snapshot with the changes to the contracts the client holds, then the rest as they are now', async () => {
    await repository.delete(admin, 'c1');
    const proposed = repository.get(admin, 'c3');
    await repository.approve(zoneACaller, 'c3', await approvalOf(proposed, 'zone-a', signerA));
    await proposeAB('c0');
    const abort = new AbortController();
    const events = await take(repository.watch(admin, '5.c2', abort.signal, true), 4);
    abort.abort();
    expect(
      events.map((event) =>
        event.kind === 'change'
          ? ['change', event.change.contract.id, event.change.isDeleted, event.resumeToken]
          : ['part', event.contracts.map((contract) => contract.id), event.resumeToken, event.isContinuation],
      ),
    ).toEqual([
      ['change', 'c1', true, '5.c2'],
      ['change', 'c0', false, '5.c2'],
      // c3 now holds an approval: it needs a part of its own.
      ['part', ['c3'], '8.c3', true],
      ['part', ['c4', 'c5'], '8', true],
    ]);
  });

  it.each([
    ['a part token of a future head', '99.c2'],
    ['a malformed token', 'x.c2'],
  ])('starts a new snapshot in parts for %s', async (_name, token) => {
    const abort = new AbortController();
    const [first] = await take(repository.watch(admin, token, abort.signal, true), 1);
    abort.abort();
    expect(first).toMatchObject({ kind: 'snapshot', isContinuation: false, resumeToken: '5.c2' });
  });
});

describe('ContractRepository input limits', () => {
  it('refuses a revocation reason longer than the limit', async () => {
    const proposed = await proposeAB();
    const reason = 'x'.repeat(1025);
    await expect(
      repository.revoke(zoneACaller, 'ab', reason, await revocationBy(proposed, zoneA, reason, now)),
    ).rejects.toThrow(InvalidArgumentError);
  });
});
