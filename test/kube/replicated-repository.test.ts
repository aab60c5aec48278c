import { CoreV1Api } from '@kubernetes/client-node';
import { signApproval } from '../../lib/contract/approval-signature.js';
import { chainAuditRecord, verifyAuditChain, type AuditEntry } from '../../lib/contract/audit-chain.js';
import { contractToProto } from '../../lib/contract/contract-codec.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { validateProposal } from '../../lib/contract/validate-proposal.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  NotFoundError,
  UnavailableError,
} from '../../lib/errors/accord-error.js';
import { coreApiClient } from '../../lib/kube/kube-client.js';
import type { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { clientNodeApi } from './client-node-api.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { auditEntryToConfigMap } from '../../contract-repo/audit-entry-config-map.js';
import { eventToAuditRecord } from '../../contract-repo/contract-event.js';
import { ContractRepository } from '../../contract-repo/contract-repository.js';
import { KubeContractStore } from '../../contract-repo/kube-contract-store.js';
import { CorruptStoreError } from '../../contract-repo/stored-audit-entry.js';
import { participantOf } from '../support/test-contracts.js';
import { revocationBy } from '../support/test-contracts.js';
import { createTestZone, type TestSvid, type TestZone } from '../support/test-zone.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';
import { testAdminId as adminId, testAdmins as admins, testCallers } from '../support/test-callers.js';

/**
 * Several contract repository replicas serving at once on one Kubernetes store: commits race
 * through the store's create-if-absent, and every replica follows what the others append.
 */

const namespace = 'accord-system';
const { admin, zoneA: zoneACaller, zoneB: zoneBCaller } = testCallers;
/** Short, so that the tests wait little; production defaults to 500 ms. */
const followIntervalMs = 50;
const followTimeoutMs = 10_000;

let cluster: KubeApiServer;
let core: KubeCoreApi;
let zoneA: TestZone;
let zoneB: TestZone;
let signerA: TestSvid;
let signerB: TestSvid;
let opened: ContractRepository[];

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'replicated-repository' });
  core = coreApiClient(cluster.adminKubeconfig);
  await clientNodeApi(cluster.adminKubeconfig, CoreV1Api).createNamespace({
    body: { metadata: { name: namespace } },
  });
  [zoneA, zoneB] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
  [signerA, signerB] = [zoneA.operator, zoneB.operator];
}, 180_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

beforeEach(() => {
  opened = [];
});

afterEach(async () => {
  await Promise.all(opened.map((replica) => replica.close()));
});

function storeFor(logName: string, client = core): KubeContractStore {
  return new KubeContractStore(client, { namespace, logName }, silentLogger);
}

/** A repository replica (its own store, and its own API client if given) on the log `logName`. */
async function replica(
  logName: string,
  client = core,
  snapshotEveryEntries?: number,
): Promise<ContractRepository> {
  const repository = await ContractRepository.open({
    store: storeFor(logName, client),
    clock: systemClock,
    logger: silentLogger,
    admins,
    followIntervalMs,
    ...(snapshotEveryEntries === undefined ? {} : { snapshotEveryEntries }),
  });
  opened.push(repository);
  return repository;
}

/** Two replicas on the fresh log `logName`. */
async function twoReplicas(logName: string): Promise<[ContractRepository, ContractRepository]> {
  return [await replica(logName), await replica(logName)];
}

function propose(on: ContractRepository, id: string): Promise<TrustContract> {
  return on.propose(admin, validateProposal({ id, participants: [zoneA.participant, zoneB.participant] }));
}

/** Waits for `condition`, checking every few milliseconds, for at most `followTimeoutMs`. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + followTimeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function hasContract(on: ContractRepository, id: string): boolean {
  try {
    on.get(admin, id);
    return true;
  } catch {
    return false;
  }
}

/** Every contract in wire form (X509Certificate objects do not diff), for comparing replicas. */
function contractsOf(on: ContractRepository): unknown[] {
  return on.list(admin).map(contractToProto);
}

/** The whole log as a fresh store loads it (load verifies the chain from sequence 1). */
async function loadLog(logName: string): Promise<AuditEntry[]> {
  const store = storeFor(logName);
  try {
    return (await store.load()).entries;
  } finally {
    await store.close();
  }
}

describe('contract repository replicas on one Kubernetes store', () => {
  it('shows a proposal committed on one replica on the other once it follows', async () => {
    const [first, second] = await twoReplicas('follow');
    await propose(first, 'ab');
    await eventually(() => hasContract(second, 'ab'), 'the second replica has ab');
    expect(contractToProto(second.get(zoneBCaller, 'ab'))).toEqual(contractToProto(first.get(admin, 'ab')));
    expect(second.head).toEqual(first.head);
  });

  it('commits 20 proposals made in parallel on two replicas into one gapless chain both end with', async () => {
    const [first, second] = await twoReplicas('parallel');
    const ids = Array.from({ length: 20 }, (_, index) => `c${String(index).padStart(2, '0')}`);
    const results = await Promise.allSettled(
      ids.map((id, index) => propose(index % 2 === 0 ? first : second, id)),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);

    const entries = await loadLog('parallel');
    expect(entries.map((entry) => entry.sequence)).toEqual(ids.map((_, index) => index + 1));
    expect(verifyAuditChain(entries).sequence).toBe(20);
    await eventually(
      () => first.head.sequence === 20 && second.head.sequence === 20,
      'both replicas reach sequence 20',
    );
    expect(second.head).toEqual(first.head);
    expect(
      first
        .list(admin)
        .map((contract) => contract.id)
        .sort(),
    ).toEqual(ids);
    expect(contractsOf(second)).toEqual(contractsOf(first));
  }, 60_000);

  it('starts a new replica from the snapshot the others wrote, with every change before and after it', async () => {
    const [first, second] = [await replica('snapshots', core, 5), await replica('snapshots', core, 5)];
    const ids = Array.from({ length: 12 }, (_, index) => `s${String(index).padStart(2, '0')}`);
    for (const [index, id] of ids.entries()) await propose(index % 2 === 0 ? first : second, id);
    // Each replica learns the other's last commit only when it next follows the store.
    await eventually(
      () => first.head.sequence === 12 && second.head.sequence === 12,
      'both replicas reach sequence 12',
    );
    // Snapshots are written in the background: wait for one (bounded), never for a fixed time.
    const deadline = Date.now() + followTimeoutMs;
    let loaded = await storeFor('snapshots').load();
    while (loaded.snapshot === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      loaded = await storeFor('snapshots').load();
    }
    expect(loaded.snapshot?.head.sequence).toBeGreaterThanOrEqual(5);
    expect(loaded.snapshot?.head.sequence ?? 0).toBeLessThanOrEqual(12);
    const third = await replica('snapshots');
    expect(third.head).toEqual(first.head);
    expect(contractsOf(third)).toEqual(contractsOf(first));
    expect(verifyAuditChain((await third.auditLog(admin, 1, 100)).entries).sequence).toBe(12);
  }, 60_000);

  it('delivers a change committed on one replica to a Watch opened on the other', async () => {
    const [first, second] = await twoReplicas('watch');
    const abort = new AbortController();
    const watch = second.watch(zoneACaller, '', abort.signal);
    try {
      expect((await watch.next()).value).toMatchObject({ kind: 'snapshot', contracts: [] });
      await propose(first, 'ab');
      expect((await watch.next()).value).toMatchObject({
        kind: 'change',
        resumeToken: '1',
        change: { isDeleted: false, contract: { id: 'ab', state: 'proposed' } },
      });
    } finally {
      abort.abort();
    }
  });

  it('settles a revocation racing an approval on the other replica into a valid state each time', async () => {
    const [first, second] = await twoReplicas('revoke-approve');
    // Each side races from either replica in turn, so both orders of the race are exercised.
    for (const [id, revoker, approver] of [
      ['r1', first, second],
      ['r2', second, first],
      ['r3', first, second],
      ['r4', second, first],
    ] as const) {
      const proposed = await propose(first, id);
      await first.approve(
        zoneACaller,
        id,
        await signApproval(proposed, 'zone-a', signerA.signer, new Date()),
      );
      await eventually(
        () => second.head.sequence === first.head.sequence,
        `${id} approved by zone-a on both`,
      );
      const approval = await signApproval(proposed, 'zone-b', signerB.signer, new Date());
      const [revoked, approved] = await Promise.allSettled([
        revoker.revoke(zoneACaller, id, 'raced', await revocationBy(proposed, zoneA, 'raced')),
        approver.approve(zoneBCaller, id, approval),
      ]);
      // The revocation is allowed in either order; the approval only if it landed first.
      expect(revoked.status).toBe('fulfilled');
      if (approved.status === 'rejected') {
        expect(approved.reason).toBeInstanceOf(FailedPreconditionError);
        expect(approved.reason).not.toBeInstanceOf(AlreadyExistsError);
      }
      const approvers = approved.status === 'fulfilled' ? ['zone-a', 'zone-b'] : ['zone-a'];
      await eventually(() => second.head.sequence === first.head.sequence, `${id} settled on both`);
      for (const each of [first, second]) {
        const contract = each.get(admin, id);
        expect(contract.state).toBe('revoked');
        expect(contract.approvals.map((entry) => entry.participant)).toEqual(approvers);
      }
    }
    const entries = await loadLog('revoke-approve');
    expect(verifyAuditChain(entries)).toEqual(first.head);
    expect(contractsOf(second)).toEqual(contractsOf(first));
  }, 60_000);

  it('loses no acknowledged change when a replica dies mid-way, and invents none', async () => {
    // The dying replica's API client: once the pod is dead, no call of it gets an answer, even
    // one the API server already committed.
    const dyingCore = coreApiClient(cluster.adminKubeconfig);
    let isDead = false;
    const create = dyingCore.createNamespacedConfigMap.bind(dyingCore);
    const read = dyingCore.readNamespacedConfigMap.bind(dyingCore);
    const die = (): never => {
      throw new Error('the pod died');
    };
    jest.spyOn(dyingCore, 'createNamespacedConfigMap').mockImplementation(async (...args) => {
      if (isDead) die();
      const created = await create(...args);
      return isDead ? die() : created;
    });
    jest.spyOn(dyingCore, 'readNamespacedConfigMap').mockImplementation(async (...args) => {
      if (isDead) die();
      const found = await read(...args);
      return isDead ? die() : found;
    });
    const first = await replica('replica-dies', dyingCore);
    const second = await replica('replica-dies');
    const ids = Array.from({ length: 12 }, (_, index) => `d${String(index).padStart(2, '0')}`);
    const writes = ids.map((id, index) => propose(index % 2 === 0 ? first : second, id));
    await writes[0];
    isDead = true;
    const results = await Promise.allSettled(writes);
    const acknowledged = ids.filter((_, index) => results[index]?.status === 'fulfilled');
    // Every write sent to the survivor succeeds; the dead replica's fail after its first.
    expect(acknowledged).toEqual(expect.arrayContaining(ids.filter((_, index) => index % 2 === 1)));

    const successor = await replica('replica-dies');
    const stored = successor
      .list(admin)
      .map((contract) => contract.id)
      .sort();
    expect(stored).toEqual(expect.arrayContaining(acknowledged));
    // At most the one create in flight at the death may be stored without an acknowledgement.
    expect(stored.filter((id) => !acknowledged.includes(id)).length).toBeLessThanOrEqual(1);
    expect(ids).toEqual(expect.arrayContaining(stored));
    await eventually(() => second.head.sequence === successor.head.sequence, 'the survivor converges');
    expect(contractsOf(second)).toEqual(contractsOf(successor));
    expect(verifyAuditChain(await loadLog('replica-dies'))).toEqual(successor.head);
  }, 60_000);
});

describe('contract repository replicas refusing a forged audit entry', () => {
  const forgeries: { name: string; logName: string; forge: (legitimate: AuditEntry) => AuditEntry }[] = [
    {
      name: 'whose hash does not match its record',
      logName: 'forged-hash',
      forge: (legitimate) => ({ ...forgedProposalAfter(legitimate), hash: new Uint8Array(32).fill(7) }),
    },
    {
      name: 'that links to a history the log does not hold',
      logName: 'forged-link',
      forge: (legitimate) => forgedProposalAfter({ ...legitimate, hash: new Uint8Array(32).fill(9) }),
    },
  ];

  it.each(forgeries)(
    'never applies an injected entry $name, while the legitimate entry before it was followed',
    async ({ logName, forge }) => {
      const [first, second] = await twoReplicas(logName);
      await propose(first, 'ab');
      await eventually(() => hasContract(second, 'ab'), 'the legitimate entry is followed');
      const [legitimate] = (await loadLog(logName)) as [AuditEntry];

      await core.createNamespacedConfigMap({
        namespace,
        body: auditEntryToConfigMap(namespace, logName, forge(legitimate)),
      });
      await eventually(() => !second.isReady, 'the follower refuses the forged entry');

      expect(second.head.sequence).toBe(1);
      expect(() => second.get(admin, 'forged')).toThrow(NotFoundError);
      expect(second.get(admin, 'ab').state).toBe('proposed');
      await expect(propose(second, 'cd')).rejects.toThrow(UnavailableError);
      // The writer learns of the entry through its lost race, and refuses it the same way.
      await expect(propose(first, 'cd')).rejects.toThrow(/refused an audit log entry after sequence 1/);
      expect(first.isReady).toBe(false);
      expect(() => first.get(admin, 'forged')).toThrow(NotFoundError);
      await expect(loadLog(logName)).rejects.toThrow(CorruptStoreError);
    },
    60_000,
  );
});

/** A proposal of contract `forged` as sequence 2, chained onto `previous` with a genuine hash. */
function forgedProposalAfter(previous: AuditEntry): AuditEntry {
  const record = eventToAuditRecord({
    sequence: previous.sequence + 1,
    time: new Date(),
    actor: adminId,
    contractId: 'forged',
    event: { action: 'propose', participants: [participantOf(zoneA), participantOf(zoneB)] },
  });
  return chainAuditRecord({ sequence: previous.sequence, hash: previous.hash }, record);
}
