import { CoreV1Api } from '@kubernetes/client-node';
import { signApproval } from '../../lib/contract/approval-signature.js';
import {
  AuditChainVerifier,
  auditGenesis,
  type AuditCheckpoint,
  type AuditEntry,
} from '../../lib/contract/audit-chain.js';
import {
  approvalToProto,
  auditEntryFromProto,
  contractFromProto,
} from '../../lib/contract/contract-codec.js';
import { parseConfig } from '../../lib/config/load-config.js';
import { AlreadyExistsError, UnavailableError } from '../../lib/errors/accord-error.js';
import { coreApiClient } from '../../lib/kube/kube-client.js';
import type { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import type { V1ConfigMap } from '../../lib/kube/kube-objects.js';
import { clientNodeApi } from './client-node-api.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { ContractState } from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { auditEntryToConfigMap, auditSegmentLabel } from '../../contract-repo/audit-entry-config-map.js';
import { contractRepoConfigSchema } from '../../contract-repo/contract-repo-config.js';
import { CorruptStoreError } from '../../contract-repo/stored-audit-entry.js';
import { KubeContractStore } from '../../contract-repo/kube-contract-store.js';
import { startContractRepo } from '../../contract-repo/start-contract-repo.js';
import { createContractRepoFixture } from '../contract-repo/contract-repo-fixture.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';
import { kubectl } from './kubectl.js';
import { auditEntriesAfter } from '../support/test-audit-entries.js';

const namespace = 'accord-system';

let cluster: KubeApiServer;
let core: KubeCoreApi;

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'contract-store' });
  core = coreApiClient(cluster.adminKubeconfig);
  await clientNodeApi(cluster.adminKubeconfig, CoreV1Api).createNamespace({
    body: { metadata: { name: namespace } },
  });
}, 180_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

/** `count` entries chained after `previous`; `reason` tells apart rival entries of one sequence. */
function storeFor(logName: string, listPageSize?: number): KubeContractStore {
  return new KubeContractStore(
    core,
    { namespace, logName, ...(listPageSize === undefined ? {} : { listPageSize }) },
    silentLogger,
  );
}

async function storeWith(logName: string, entries: readonly AuditEntry[]): Promise<void> {
  const store = storeFor(logName);
  await store.load();
  for (const entry of entries) await store.append(entry, entry.sequence - 1);
  await store.close();
}

async function load(logName: string): Promise<AuditEntry[]> {
  const store = storeFor(logName);
  try {
    return (await store.load()).entries;
  } finally {
    await store.close();
  }
}

/** An API client that counts the ConfigMap GETs and lists made through it. */
function countingCore(): { core: KubeCoreApi; calls: { gets: number; lists: number } } {
  const counted = coreApiClient(cluster.adminKubeconfig);
  const calls = { gets: 0, lists: 0 };
  const read = counted.readNamespacedConfigMap.bind(counted);
  const list = counted.listNamespacedConfigMap.bind(counted);
  counted.readNamespacedConfigMap = (request) => {
    calls.gets += 1;
    return read(request);
  };
  counted.listNamespacedConfigMap = (request) => {
    calls.lists += 1;
    return list(request);
  };
  return { core: counted, calls };
}

function headOf(entries: readonly AuditEntry[]): AuditCheckpoint {
  const last = entries.at(-1);
  if (last === undefined) throw new Error('no entries');
  return { sequence: last.sequence, hash: last.hash };
}

describe('KubeContractStore against a real API server', () => {
  it('returns every appended entry to a new store', async () => {
    expect(await load('round-trip')).toEqual([]);
    const entries = auditEntriesAfter(auditGenesis, 3);
    await storeWith('round-trip', entries);
    expect(await load('round-trip')).toEqual(entries);
  });

  it('stores entries as immutable objects the API server refuses to edit', async () => {
    await storeWith('immutable', auditEntriesAfter(auditGenesis, 1));
    const edit = await kubectl(
      cluster.adminKubeconfig,
      ...['-n', namespace, 'patch', 'configmap', 'immutable-000000000001'],
      ...['--type', 'merge', '-p', '{"data":{"record":"{}"}}'],
    );
    expect(edit.code).not.toBe(0);
    expect(edit.stderr).toMatch(/field is immutable/);
  });

  it('lets exactly one of two stores at the same head append the next entry', async () => {
    const entries = auditEntriesAfter(auditGenesis, 2);
    await storeWith('race', entries);
    const [left, right] = [storeFor('race'), storeFor('race')];
    await Promise.all([left.load(), right.load()]);
    const rivals = [
      auditEntriesAfter(headOf(entries), 1, 'left'),
      auditEntriesAfter(headOf(entries), 1, 'right'),
    ];
    const [leftEntry, rightEntry] = rivals.map((rival) => rival[0]) as [AuditEntry, AuditEntry];
    const results = await Promise.allSettled([left.append(leftEntry, 2), right.append(rightEntry, 2)]);
    const winners = results.flatMap((result, index) => (result.status === 'fulfilled' ? [index] : []));
    const failures = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    expect(winners).toHaveLength(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(AlreadyExistsError);
    expect(await load('race')).toEqual([...entries, winners[0] === 0 ? leftEntry : rightEntry]);
  });

  it('refuses an append whose expected previous sequence is not the head it loaded', async () => {
    const entries = auditEntriesAfter(auditGenesis, 2);
    await storeWith('stale-head', entries.slice(0, 1));
    const store = storeFor('stale-head');
    await store.load();
    const [, second] = entries as [AuditEntry, AuditEntry];
    await expect(store.append(second, 0)).rejects.toThrow(AlreadyExistsError);
  });

  it('loads a log larger than one list page by following continue tokens', async () => {
    const entries = auditEntriesAfter(auditGenesis, 5);
    await storeWith('paged', entries);
    const list = jest.spyOn(core, 'listNamespacedConfigMap');
    try {
      const store = storeFor('paged', 2);
      expect(await store.load()).toEqual({ snapshot: undefined, entries });
      expect(list).toHaveBeenCalledTimes(3);
    } finally {
      list.mockRestore();
    }
  });

  it('refuses to load a log with a deleted entry', async () => {
    await storeWith('gap', auditEntriesAfter(auditGenesis, 3));
    const deleted = await kubectl(
      cluster.adminKubeconfig,
      ...['-n', namespace, 'delete', 'configmap', 'gap-000000000002'],
    );
    expect(deleted.code).toBe(0);
    await expect(load('gap')).rejects.toThrow(CorruptStoreError);
    await expect(load('gap')).rejects.toThrow(
      /audit log accord-system\/gap does not verify: expected entry 2, found 3/,
    );
  });

  it('refuses to load a log whose entry hash does not match its record', async () => {
    const [entry] = auditEntriesAfter(auditGenesis, 1) as [AuditEntry];
    const tampered = { ...entry, hash: new Uint8Array(32).fill(7) };
    await core.createNamespacedConfigMap({
      namespace,
      body: auditEntryToConfigMap(namespace, 'tampered', tampered),
    });
    await expect(load('tampered')).rejects.toThrow(CorruptStoreError);
    await expect(load('tampered')).rejects.toThrow(
      /audit log accord-system\/tampered does not verify: entry 1 hash does not match its record/,
    );
  });
});

describe('KubeContractStore following other writers', () => {
  it('reads the entries another store appended after its head, then appends after them', async () => {
    const [follower, writer] = [storeFor('read-after'), storeFor('read-after')];
    await Promise.all([follower.load(), writer.load()]);
    const entries = auditEntriesAfter(auditGenesis, 3);
    for (const entry of entries.slice(0, 2)) await writer.append(entry, entry.sequence - 1);
    expect(await follower.readAfter(auditGenesis)).toEqual(entries.slice(0, 2));
    expect(await follower.readAfter(headOf(entries.slice(0, 2)))).toEqual([]);
    const [, , third] = entries as [AuditEntry, AuditEntry, AuditEntry];
    await follower.append(third, 2);
    expect(await load('read-after')).toEqual(entries);
  });

  it('returns at most one batch per call and the rest on the next', async () => {
    const store = new KubeContractStore(
      core,
      { namespace, logName: 'read-after-batch', readAfterBatchSize: 2 },
      silentLogger,
    );
    await store.load();
    const entries = auditEntriesAfter(auditGenesis, 5);
    await storeWith('read-after-batch', entries);
    expect(await store.readAfter(auditGenesis)).toEqual(entries.slice(0, 2));
    expect(await store.readAfter(headOf(entries.slice(0, 2)))).toEqual(entries.slice(2, 4));
    expect(await store.readAfter(headOf(entries.slice(0, 4)))).toEqual(entries.slice(4));
    expect(await store.readAfter(headOf(entries))).toEqual([]);
  });

  it('learns by reading after a create whose answer it never got that the entry was stored', async () => {
    const store = storeFor('lost-answer');
    await store.load();
    const [first, second] = auditEntriesAfter(auditGenesis, 2) as [AuditEntry, AuditEntry];
    const create = core.createNamespacedConfigMap.bind(core);
    const lostAnswer = jest
      .spyOn(core, 'createNamespacedConfigMap')
      .mockImplementationOnce(async (...args) => {
        await create(...args);
        throw new Error('connection reset');
      });
    try {
      await expect(store.append(first, 0)).rejects.toThrow(UnavailableError);
    } finally {
      lostAnswer.mockRestore();
    }
    await expect(store.append(first, 0)).rejects.toThrow(/waiting to read whether it was committed/);
    expect(await store.readAfter(auditGenesis)).toEqual([first]);
    await store.append(second, 1);
    expect(await load('lost-answer')).toEqual([first, second]);
  });

  const refusals: { name: string; logName: string; object: (next: AuditEntry) => V1ConfigMap }[] = [
    {
      name: 'a next entry whose hash does not match its record',
      logName: 'read-after-hash',
      object: (next) =>
        auditEntryToConfigMap(namespace, 'read-after-hash', { ...next, hash: new Uint8Array(32).fill(7) }),
    },
    {
      name: 'a next entry that links to another history',
      logName: 'read-after-link',
      object: (next) =>
        auditEntryToConfigMap(
          namespace,
          'read-after-link',
          auditEntriesAfter({ sequence: 1, hash: new Uint8Array(32).fill(9) }, 1)[0] ?? next,
        ),
    },
    {
      name: 'an object named for the next entry without the log label',
      logName: 'read-after-label',
      object: (next) => {
        const configMap = auditEntryToConfigMap(namespace, 'read-after-label', next);
        delete configMap.metadata?.labels;
        return configMap;
      },
    },
  ];

  it.each(refusals)('refuses $name, and every read and append after it', async ({ logName, object }) => {
    const [first, next] = auditEntriesAfter(auditGenesis, 2) as [AuditEntry, AuditEntry];
    const store = storeFor(logName);
    await store.load();
    await store.append(first, 0);
    const afterFirst = headOf([first]);
    await core.createNamespacedConfigMap({ namespace, body: object(next) });
    await expect(store.readAfter(afterFirst)).rejects.toThrow(CorruptStoreError);
    await expect(store.readAfter(afterFirst)).rejects.toThrow(/entry 2 does not verify against the head 1/);
    await expect(store.append(next, 1)).rejects.toThrow(CorruptStoreError);
  });

  it('hands over the verified entries before a refused one, and refuses on the next call', async () => {
    const entries = auditEntriesAfter(auditGenesis, 2);
    const store = storeFor('read-after-partial');
    await store.load();
    await storeWith('read-after-partial', entries);
    const forged = { ...auditEntriesAfter(headOf(entries), 1)[0], hash: new Uint8Array(32) } as AuditEntry;
    await core.createNamespacedConfigMap({
      namespace,
      body: auditEntryToConfigMap(namespace, 'read-after-partial', forged),
    });
    expect(await store.readAfter(auditGenesis)).toEqual(entries);
    await expect(store.readAfter(headOf(entries))).rejects.toThrow(CorruptStoreError);
  });
});

describe('KubeContractStore snapshots', () => {
  /** A store of `logName` holding `entries` (appended through it), loaded and open. */
  async function openWith(logName: string, entries: readonly AuditEntry[]): Promise<KubeContractStore> {
    await storeWith(logName, entries);
    const store = storeFor(logName);
    await store.load();
    return store;
  }

  function headAt(entries: readonly AuditEntry[], sequence: number): AuditCheckpoint {
    return headOf(entries.slice(0, sequence));
  }

  it('starts from the published snapshot and reads only the entries after it', async () => {
    const entries = auditEntriesAfter(auditGenesis, 40);
    const store = await openWith('snapshot-tail', entries);
    await store.writeSnapshot({ head: headAt(entries, 5), bytes: Buffer.from('state at 5') });
    await store.close();
    const loaded = await storeFor('snapshot-tail').load();
    expect(loaded).toEqual({
      snapshot: { head: headAt(entries, 5), bytes: Buffer.from('state at 5') },
      entries: entries.slice(5),
    });
  });

  it('lists the entries after the snapshot by segment, and reads one by one those written without the label', async () => {
    const entries = auditEntriesAfter(auditGenesis, 40);
    const store = storeFor('snapshot-segments');
    await store.load();
    // Entries 6–10 as a version before segments wrote them, the rest labelled.
    for (const entry of entries) {
      if (entry.sequence < 6 || entry.sequence > 10) await store.append(entry, entry.sequence - 1);
      else {
        const body = auditEntryToConfigMap(namespace, 'snapshot-segments', entry);
        delete body.metadata?.labels?.[auditSegmentLabel];
        await core.createNamespacedConfigMap({ namespace, body });
        await store.readAfter(headAt(entries, entry.sequence - 1));
      }
    }
    /** Loads with a counting client: what it returned and the calls it made. */
    const countedLoad = async (): Promise<{ loaded: unknown; calls: unknown }> => {
      const counting = countingCore();
      const counted = new KubeContractStore(
        counting.core,
        { namespace, logName: 'snapshot-segments' },
        silentLogger,
      );
      return { loaded: await counted.load(), calls: counting.calls };
    };
    await store.writeSnapshot({ head: headAt(entries, 12), bytes: Buffer.from('state at 12') });
    // The pointer, its chunk, the head entry and the one after the last listed (not found): no GET per entry.
    expect(await countedLoad()).toEqual({
      loaded: {
        snapshot: { head: headAt(entries, 12), bytes: Buffer.from('state at 12') },
        entries: entries.slice(12),
      },
      calls: { gets: 4, lists: 1 },
    });
    // From a snapshot before the unlabelled entries, the list stops at entry 6: from there one GET each.
    await store.writeSnapshot({ head: headAt(entries, 13), bytes: Buffer.from('state at 13') });
    await kubectl(
      cluster.adminKubeconfig,
      '-n',
      namespace,
      'delete',
      'configmap',
      'snapshot-segments-snapshot',
    );
    await store.writeSnapshot({ head: headAt(entries, 5), bytes: Buffer.from('state at 5') });
    await store.close();
    expect(await countedLoad()).toEqual({
      loaded: {
        snapshot: { head: headAt(entries, 5), bytes: Buffer.from('state at 5') },
        entries: entries.slice(5),
      },
      // 35 found and one not, in windows of 1, 2, 4, … 32.
      calls: { gets: 3 + 1 + 2 + 4 + 8 + 16 + 32, lists: 1 },
    });
  });

  it('publishes the snapshot of one writer when two write at once, and alternates slots after', async () => {
    const entries = auditEntriesAfter(auditGenesis, 6);
    const [left, right] = [await openWith('snapshot-race', entries), storeFor('snapshot-race')];
    await right.load();
    await Promise.all([
      left.writeSnapshot({ head: headAt(entries, 3), bytes: Buffer.from('left') }),
      right.writeSnapshot({ head: headAt(entries, 4), bytes: Buffer.from('right') }),
    ]);
    const first = await storeFor('snapshot-race').load();
    expect(['left', 'right']).toContain(first.snapshot?.bytes.toString());
    await left.writeSnapshot({ head: headAt(entries, 5), bytes: Buffer.from('five') });
    await left.writeSnapshot({ head: headAt(entries, 6), bytes: Buffer.from('six'.repeat(1000)) });
    const pointer = await core.readNamespacedConfigMap({ namespace, name: 'snapshot-race-snapshot' });
    expect(pointer.data).toMatchObject({ sequence: '6', chunks: '1' });
    expect((await storeFor('snapshot-race').load()).snapshot?.bytes.toString()).toBe('six'.repeat(1000));
    await Promise.all([left.close(), right.close()]);
  });

  it('ignores a snapshot whose chunk was edited, and lists every entry instead', async () => {
    const entries = auditEntriesAfter(auditGenesis, 4);
    const store = await openWith('snapshot-edited', entries);
    await store.writeSnapshot({ head: headAt(entries, 4), bytes: Buffer.from('state') });
    await store.close();
    const name = 'snapshot-edited-snapshot-a-000';
    const chunk = await core.readNamespacedConfigMap({ namespace, name });
    chunk.binaryData = { chunk: Buffer.from('edited').toString('base64') };
    await core.replaceNamespacedConfigMap({ namespace, name, body: chunk });
    expect(await storeFor('snapshot-edited').load()).toEqual({ snapshot: undefined, entries });
  });

  it('lists a page of half a segment or more by its segments, across a segment boundary', async () => {
    const entries = auditEntriesAfter(auditGenesis, 1100);
    await storeWith('segment-pages', entries);
    const counting = countingCore();
    const store = new KubeContractStore(counting.core, { namespace, logName: 'segment-pages' }, silentLogger);
    await store.load();
    const calls = { ...counting.calls };
    expect(await store.readEntries(601, 500)).toEqual(entries.slice(600, 1100));
    // Segment 0 in two pages of 500 (plus an empty third when the API server cannot tell it was
    // the end), segment 1 in one; no GET.
    expect(counting.calls.gets - calls.gets).toBe(0);
    expect(counting.calls.lists - calls.lists).toBeLessThanOrEqual(4);
    expect(await store.readEntries(1, 5000)).toEqual(entries);
    await store.close();
  }, 120_000);

  it('reads pages of entries from any sequence, never past its head', async () => {
    const entries = auditEntriesAfter(auditGenesis, 70);
    const store = await openWith('snapshot-pages', entries);
    expect(await store.readEntries(20, 40)).toEqual(entries.slice(19, 59));
    expect(await store.readEntries(65, 100)).toEqual(entries.slice(64));
    expect(await store.readEntries(71, 5)).toEqual([]);
    await store.close();
  });
});

describe('a contract repository on the Kubernetes store', () => {
  it('keeps an approved contract and a verifying audit chain across a restart', async () => {
    const fixture = await createContractRepoFixture();
    const config = parseConfig(contractRepoConfigSchema, {
      ...fixture.configFields,
      dataDir: undefined,
      kubernetesStore: { namespace, logName: 'end-to-end', kubeconfig: cluster.adminKubeconfig },
    });
    try {
      const first = await startContractRepo(config, silentLogger, systemClock);
      const clients = [fixture.admin, fixture.svidA, fixture.svidB].map((identity) =>
        fixture.client(first.grpcPort, identity),
      );
      const [admin, zoneA, zoneB] = clients as [
        (typeof clients)[0],
        (typeof clients)[0],
        (typeof clients)[0],
      ];
      try {
        const created = await admin.create({
          contract: {
            id: 'ab',
            participants: [{ ...fixture.zoneA.participant }, { ...fixture.zoneB.participant }],
          },
        });
        if (created.contract === undefined) throw new Error('no contract in response');
        const contract = contractFromProto(created.contract);
        for (const [client, participant, signer] of [
          [zoneA, 'zone-a', fixture.svidA],
          [zoneB, 'zone-b', fixture.svidB],
        ] as const) {
          const approval = await signApproval(contract, participant, signer.signer, new Date());
          await client.approve({ id: contract.id, approval: approvalToProto(approval) });
        }
      } finally {
        for (const client of clients) client.close();
        await first.close();
      }

      const second = await startContractRepo(config, silentLogger, systemClock);
      const reader = fixture.client(second.grpcPort, fixture.admin);
      try {
        const stored = await reader.get({ id: 'ab' });
        expect(stored.contract?.state).toBe(ContractState.ACTIVE);
        expect(stored.contract?.approvals).toHaveLength(2);
        const page = await reader.auditLog({ startSequence: 1n, pageSize: 100 });
        const verifier = new AuditChainVerifier();
        for (const entry of page.entries) verifier.add(auditEntryFromProto(entry));
        expect(verifier.finish().sequence).toBe(3);
        expect(page.headSequence).toBe(3n);
      } finally {
        reader.close();
        await second.close();
      }
      const objects = await kubectl(
        cluster.adminKubeconfig,
        ...['-n', namespace, 'get', 'configmaps', '-l', 'accord.dev/audit-log=end-to-end', '-o', 'name'],
      );
      expect(objects.stdout.split('\n')).toEqual([
        'configmap/end-to-end-000000000001',
        'configmap/end-to-end-000000000002',
        'configmap/end-to-end-000000000003',
      ]);
    } finally {
      await fixture.cleanup();
    }
  }, 60_000);
});
