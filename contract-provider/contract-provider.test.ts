import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { silentLogger, type Logger } from '../lib/log/logger.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { ManualTimers } from '../test/support/manual-timers.js';
import { ScriptedContractSource } from '../test/contract-provider/scripted-contract-source.js';
import { approvedContract, revokedContract } from '../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import { waitFor } from '../test/contract-provider/wait-for.js';
import { ContractProvider } from './contract-provider.js';
import { DirectoryBundleWriter } from './directory-bundle-writer.js';
import { defaultMemoryFileName } from './provider-config.js';
import { ProviderMetrics } from './provider-metrics.js';
import { FileWithdrawnContractStore, type WithdrawnContractStore } from './withdrawn-contract-store.js';
import type { BundleWriter } from './bundle-writer.js';

const resyncIntervalMs = 60_000;

let a: TestZone;
let b: TestZone;
let c: TestZone;

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
  ]);
});

interface Harness {
  provider: ContractProvider;
  source: ScriptedContractSource;
  timers: ManualTimers;
  registry: Registry;
  directory: string;
  infoLines: string[];
  files(): Promise<string[]>;
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
}

let harness: Harness | undefined;

/** Our zone's roots as the PKI reports them now; a test may add one (a rotation of our zone). */
let ownRootSha256s: Set<string>;

beforeEach(() => {
  ownRootSha256s = new Set([a.rootSha256]);
});

/** What a test may put between the provider and its stores (a store that fails, for instance). */
interface Wrappers {
  writer?: (inner: BundleWriter) => BundleWriter;
  memory?: (inner: WithdrawnContractStore) => WithdrawnContractStore;
}

async function startProvider(directory?: string, wrappers: Wrappers = {}): Promise<Harness> {
  const outputDirectory = directory ?? (await mkdtemp(join(tmpdir(), 'accord-provider-')));
  const source = new ScriptedContractSource();
  const timers = new ManualTimers();
  const registry = new Registry();
  const infoLines: string[] = [];
  const logger: Logger = { ...silentLogger, info: (message) => infoLines.push(message), child: () => logger };
  const provider = new ContractProvider({
    source,
    acknowledgeRoot: () => Promise.resolve(),
    loadOwnZone: () => Promise.resolve({ trustDomain: a.trustDomain, rootSha256s: new Set(ownRootSha256s) }),
    writer: (wrappers.writer ?? ((inner) => inner))(new DirectoryBundleWriter(outputDirectory, silentLogger)),
    memory: (wrappers.memory ?? ((inner) => inner))(
      new FileWithdrawnContractStore(join(outputDirectory, defaultMemoryFileName)),
    ),
    metrics: new ProviderMetrics(registry),
    logger,
    clock: new ManualClock(),
    timers,
    random: () => 0.5,
    resyncIntervalMs,
    backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
  });
  provider.start();
  await waitFor(() => source.streams.length === 1);
  harness = {
    provider,
    source,
    timers,
    registry,
    directory: outputDirectory,
    infoLines,
    files: async () => (await readdir(outputDirectory)).filter((name) => !name.startsWith('.')).sort(),
    metric: async (name, labels = {}) => {
      const metric = await registry.getSingleMetric(name)?.get();
      return metric?.values.find((value) =>
        Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
      )?.value;
    },
  };
  return harness;
}

afterEach(async () => {
  if (harness === undefined) return;
  await harness.provider.stop();
  await rm(harness.directory, { recursive: true, force: true });
  harness = undefined;
});

function snapshot(...contracts: TrustContract[]) {
  return {
    kind: 'snapshot' as const,
    contracts: contracts.map((contract) => ({ id: contract.id, contract })),
  };
}

/** Counts calls and fails the first `failures` of them, as an API server that is not there yet. */
class FailingFirst {
  calls = 0;
  readonly #failures: number;

  constructor(failures: number) {
    this.#failures = failures;
  }

  /** Runs `call` once the failures are spent; throws before. */
  run<T>(call: () => Promise<T>): Promise<T> {
    this.calls += 1;
    if (this.calls <= this.#failures) return Promise.reject(new Error('connect ECONNREFUSED 10.96.0.1:443'));
    return call();
  }
}

async function settle(h: Harness): Promise<void> {
  await waitFor(() => h.provider.isReady());
  await h.provider.whenIdle();
}

describe('ContractProvider', () => {
  it('installs the bundle of a verified contract and not that of a contract with a forged partner approval', async () => {
    const h = await startProvider();
    const genuine = await approvedContract('ab', [a, b]);
    const onlyA = await approvedContract('ac', [a, c], [a]);
    const forgedApproval = onlyA.approvals[0];
    if (forgedApproval === undefined) throw new Error('fixture has no approval');
    const forged: TrustContract = {
      ...onlyA,
      approvals: [...onlyA.approvals, { ...forgedApproval, participant: 'zone-c' }],
    };
    h.source.current.send(snapshot(genuine, forged));
    await settle(h);
    expect(await h.files()).toEqual(['bundle-map.json', 'zone-b.example.pem', 'zone-b.example.spiffe.json']);
    expect(await h.metric('accord_provider_rejected_contracts_total', { reason: 'ApprovalInvalid' })).toBe(1);
    expect(await h.metric('accord_provider_trusted_zones')).toBe(1);
  });

  it("installs a contract pinning our zone's new root once our roots are re-read, without waiting for the resync", async () => {
    const h = await startProvider();
    // Our zone after a rotation: the same trust domain, a new root (and a new approver SVID).
    const rotatedA = await createTestZone('zone-a');
    h.source.current.send(snapshot(await approvedContract('ab', [rotatedA, b])));
    await settle(h);
    expect(await h.files()).toEqual(['bundle-map.json']);
    expect(await h.metric('accord_provider_rejected_contracts_total', { reason: 'OwnRootMismatch' })).toBe(1);

    ownRootSha256s.add(rotatedA.rootSha256);
    h.provider.refreshOwnRoots();
    await waitFor(async () => (await h.files()).includes('zone-b.example.pem'));
    // The resync timer has not fired: the renewal alone brought the contract in.
    expect(h.timers.delays()).toContain(resyncIntervalMs);
  });

  it('does not install a contract whose partner root was swapped after approval', async () => {
    const h = await startProvider();
    const contract = await approvedContract('ab', [a, b]);
    const [ownParticipant, partner] = contract.participants;
    if (ownParticipant === undefined || partner === undefined) throw new Error('fixture has no participants');
    const swapped: TrustContract = {
      ...contract,
      participants: [
        ownParticipant,
        { ...partner, root: c.root, rootPem: c.rootPem, rootSha256: c.rootSha256 },
      ],
    };
    h.source.current.send(snapshot(swapped));
    await settle(h);
    expect(await h.files()).toEqual(['bundle-map.json']);
    expect(await h.metric('accord_provider_rejected_contracts_total', { reason: 'ApprovalInvalid' })).toBe(1);
  });

  it('removes the zone bundle when its only contract is revoked', async () => {
    const h = await startProvider();
    const contract = await approvedContract('ab', [a, b]);
    h.source.current.send(snapshot(contract));
    await settle(h);
    expect(await h.files()).toContain('zone-b.example.pem');
    const revoked = await revokedContract(contract, b, 'ended');
    h.source.current.send({ kind: 'change', contract: { id: revoked.id, contract: revoked } });
    await waitFor(async () => (await h.files()).length === 1);
    await h.provider.whenIdle();
    expect(await h.files()).toEqual(['bundle-map.json']);
    expect(h.infoLines).toContain('bundle removed');
  });

  it('retries a failed bundle write with backoff, without waiting for an event or the resync, and only then turns ready', async () => {
    const writes = new FailingFirst(2);
    const h = await startProvider(undefined, {
      writer: (inner) => ({ sync: (desired) => writes.run(() => inner.sync(desired)) }),
    });
    h.source.current.send(snapshot(await approvedContract('ab', [a, b])));
    // Backoff 100 ms doubling, equal jitter at 0.5: 75 ms, then 150 ms.
    await waitFor(() => h.timers.delays().includes(75));
    expect(h.provider.isReady()).toBe(false);
    expect(await h.files()).toEqual([]);
    h.timers.fire((delayMs) => delayMs === 75);
    await waitFor(() => h.timers.delays().includes(150));
    expect(writes.calls).toBe(2);
    expect(h.provider.isReady()).toBe(false);
    h.timers.fire((delayMs) => delayMs === 150);
    await settle(h);
    expect(writes.calls).toBe(3);
    expect(await h.files()).toContain('zone-b.example.pem');
    // Nothing but the resync is pending once the write succeeded.
    expect(h.timers.delays()).toEqual([resyncIntervalMs]);
  });

  it('retries a failed write of the withdrawn-contracts memory with backoff, while the bundles are written', async () => {
    const saves = new FailingFirst(1);
    const h = await startProvider(undefined, {
      memory: (inner) => ({
        load: () => inner.load(),
        save: (memory) => saves.run(() => inner.save(memory)),
      }),
    });
    const contract = await approvedContract('ab', [a, b]);
    h.source.current.send(snapshot(contract));
    await settle(h);
    const revoked = await revokedContract(contract, b, 'ended');
    h.source.current.send({ kind: 'change', contract: { id: revoked.id, contract: revoked } });
    await waitFor(() => h.timers.delays().includes(75));
    expect(saves.calls).toBe(1);
    // The narrowing is written although the memory is not saved yet (the retry is scheduled
    // before the bundles are written: wait for that sync to end).
    await h.provider.whenIdle();
    expect(await h.files()).toEqual(['bundle-map.json']);
    h.timers.fire((delayMs) => delayMs === 75);
    await waitFor(() => saves.calls === 2);
    await h.provider.whenIdle();
    expect(h.timers.delays()).toEqual([resyncIntervalMs]);
  });

  it('keeps the installed bundles through a repository outage and reconnects from a snapshot', async () => {
    const h = await startProvider();
    h.source.current.send(snapshot(await approvedContract('ab', [a, b])));
    await settle(h);
    expect(await h.metric('accord_provider_repository_connected')).toBe(1);
    h.source.current.fail(new Error('connection reset'));
    await waitFor(() => h.timers.delays().includes(75));
    expect(await h.metric('accord_provider_repository_connected')).toBe(0);
    expect(await h.files()).toContain('zone-b.example.pem');
    h.timers.fire((delayMs) => delayMs === 75);
    await waitFor(() => h.source.streams.length === 2);
    expect(h.source.current.resumeToken).toBeUndefined();
  });

  it('drops a connection whose Watch stream stays silent, and dials anew', async () => {
    const h = await startProvider();
    await waitFor(() => h.timers.delays().includes(10_000));
    h.timers.fire((delayMs) => delayMs === 10_000);
    await waitFor(() => h.timers.delays().includes(75));
    expect(h.source.closes).toBe(1);
    expect(await h.metric('accord_provider_repository_connected')).toBe(0);
    h.timers.fire((delayMs) => delayMs === 75);
    await waitFor(() => h.source.streams.length === 2);
    h.source.current.send(snapshot(await approvedContract('ab', [a, b])));
    await settle(h);
    expect(await h.files()).toContain('zone-b.example.pem');
    expect(h.source.closes).toBe(1);
  });

  it('backs off exponentially up to the cap while the repository stays down', async () => {
    const h = await startProvider();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      h.source.current.fail(new Error('unavailable'));
      await waitFor(() => h.timers.delays().some((delayMs) => delayMs !== resyncIntervalMs));
      const delay = h.timers.delays().find((delayMs) => delayMs !== resyncIntervalMs) ?? 0;
      delays.push(delay);
      h.timers.fire((delayMs) => delayMs === delay);
      await waitFor(() => h.source.streams.length === attempt + 2);
    }
    expect(delays).toEqual([75, 150, 300, 600, 750, 750]);
  });

  it('leaves bundles on disk untouched until the first snapshot arrives', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'accord-provider-'));
    await writeFile(join(directory, 'zone-b.example.pem'), b.rootPem);
    const h = await startProvider(directory);
    h.source.current.fail(new Error('unavailable'));
    await waitFor(() => h.timers.delays().includes(75));
    await h.provider.whenIdle();
    expect(await h.files()).toEqual(['zone-b.example.pem']);
    expect(h.provider.isReady()).toBe(false);
  });

  it('writes nothing and logs nothing at info when the same contracts arrive again', async () => {
    const h = await startProvider();
    const contract = await approvedContract('ab', [a, b]);
    h.source.current.send(snapshot(contract));
    await settle(h);
    const linesAfterFirstSync = h.infoLines.length;
    h.source.current.send(snapshot(contract));
    h.source.current.send({ kind: 'change', contract: { id: contract.id, contract } });
    await waitFor(() => h.provider.isConnected());
    await h.provider.whenIdle();
    expect(h.infoLines.length).toBe(linesAfterFirstSync);
  });

  it('reopens Watch without a resume token and repairs a deleted file at each resync', async () => {
    const h = await startProvider();
    h.source.current.send(snapshot(await approvedContract('ab', [a, b])));
    await settle(h);
    await rm(join(h.directory, 'zone-b.example.pem'));
    h.timers.fire((delayMs) => delayMs === resyncIntervalMs);
    await waitFor(() => h.source.streams.length === 2);
    expect(h.source.current.resumeToken).toBeUndefined();
    await waitFor(async () => (await h.files()).includes('zone-b.example.pem'));
  });

  it('asks the writer to read what is installed at a resync only, not at every event', async () => {
    const resyncFlags: boolean[] = [];
    const h = await startProvider(undefined, {
      writer: (inner) => ({
        sync: (desired, options) => {
          resyncFlags.push(options?.isResync === true);
          return inner.sync(desired, options);
        },
      }),
    });
    h.source.current.send(snapshot(await approvedContract('ab', [a, b])));
    await settle(h);
    h.source.current.send({
      kind: 'change',
      contract: { id: 'ac', contract: await approvedContract('ac', [a, c]) },
    });
    await waitFor(async () => (await h.files()).includes('zone-c.example.pem'));
    await h.provider.whenIdle();
    expect(resyncFlags.length).toBeGreaterThanOrEqual(2);
    expect(resyncFlags.every((isResync) => !isResync)).toBe(true);
    const before = resyncFlags.length;
    h.timers.fire((delayMs) => delayMs === resyncIntervalMs);
    await waitFor(() => resyncFlags.length > before);
    expect(resyncFlags[before]).toBe(true);
    await h.provider.whenIdle();
    expect(resyncFlags.slice(before + 1).every((isResync) => !isResync)).toBe(true);
  });
});
