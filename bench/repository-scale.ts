import { existsSync } from 'node:fs';
import { readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSnapshotEveryEntries } from '../contract-repo/contract-repository.js';
import { snapshotFileName } from '../contract-repo/file-contract-store.js';
import { contractRepositoryOverGrpc } from '../lib/contract/contract-repository-client.js';
import { readProcessMemory } from '../test/e2e/operator-replica.js';
import { testTool } from '../test/support/test-tools.js';
import { createTestZone, type TestSvid, type TestZone } from '../test/support/test-zone.js';
import { startDirectoryProvider } from '../test/support/directory-provider.js';
import type { BenchFigure } from './bench-figure.js';
import { runGhz } from './ghz.js';
import { percentile } from './percentiles.js';
import { readProcessCpuMs } from './process-cpu.js';
import {
  launchRepository,
  writeRepositorySetup,
  type RepositoryProcess,
  type RepositorySetup,
} from './repository-process.js';
import { seedAuditLog } from './seed-audit-log.js';
import { waitUntil } from './wait-until.js';

/** Sizes and bounds of the repository-at-scale runs. */
export interface RepositoryScaleOptions {
  /** Stored contracts per run, e.g. `[10_000, 100_000]`: everything is measured for each. */
  readonly totals: readonly number[];
  /** Zones the contracts are spread over (every pair in turn), all of them active. */
  readonly zoneCount: number;
  /** Active contracts of the zone that calls GetCertificates, the same in every run. */
  readonly callerContracts: number;
  /** Starts measured per run (the median is reported; use an odd number). */
  readonly startups: number;
  /** GetCertificates calls per ghz run, after `warmupCalls` unmeasured ones. */
  readonly calls: number;
  /** ghz runs of `calls` each; their medians are reported (use an odd number). */
  readonly callRuns: number;
  readonly warmupCalls: number;
  readonly concurrency: number;
  readonly connections: number;
  /** Bounds each ghz run's wall time, and the provider's first sync. */
  readonly maxDurationMs: number;
  readonly progress: (message: string) => void;
}

const getCertificatesMethod = 'accord.contracts.v1.ContractService/GetCertificates';
/** Contracts written after the first start's snapshot: three entries each, one entry short of the next snapshot. */
export const tailContracts = Math.floor((defaultSnapshotEveryEntries - 1) / 3);
const megabyte = 1_000_000;
/** A first start folds the whole log: about 300,000 entries at 100,000 contracts. */
export const firstStartTimeoutMs = 600_000;

/** The identities of a run: the admin, the zone calling GetCertificates and the bulk zones. */
interface ScaleZones {
  readonly hub: TestZone;
  readonly admin: TestSvid;
  readonly caller: TestZone;
  readonly providerOfCaller: TestSvid;
  readonly partners: readonly TestZone[];
  readonly zones: readonly TestZone[];
}

/**
 * The contract repository at scale, as its own process with its file store: for each total, an
 * audit log of that many active contracts among `zoneCount` zones (plus the calling zone's few)
 * is seeded, all but the last few hundred; the repository is started once (it folds the whole log
 * and writes a snapshot), the rest is appended (one entry short of the next snapshot), and then it
 * is started `startups` times, each killed with SIGKILL but the last: every measured start-up is
 * one after a crash with the longest tail of entries a snapshot leaves to fold (wall time to the
 * ready line, and the repository's own CPU time until then from `/proc`, which a shared machine
 * disturbs less). Against the running one: ghz makes GetCertificates calls over mTLS as the
 * calling zone, `callRuns` times (the repository's own CPU time per call is read from `/proc`);
 * an admin's and a zone's Watch and an admin's List go through the
 * client code the provider and accordctl use; a real provider of a bulk zone makes its first sync.
 * The repository's resident memory is read at the end.
 */
export async function runRepositoryScaleBenchmark(options: RepositoryScaleOptions): Promise<BenchFigure[]> {
  const ghz = testTool('ghz');
  options.progress(`repository: creating ${options.zoneCount + options.callerContracts + 2} zones`);
  const hub = await createTestZone('hub');
  const caller = await createTestZone('caller');
  const identities: ScaleZones = {
    hub,
    admin: await hub.issue('/accord/admin'),
    caller,
    providerOfCaller: await caller.issue('/accord/contract-provider'),
    partners: await createZones('partner', options.callerContracts),
    zones: await createZones('zone', options.zoneCount),
  };
  const figures: BenchFigure[] = [];
  for (const total of options.totals) {
    const directory = await mkdtemp(join(tmpdir(), 'accord-bench-repository-'));
    let repository: RepositoryProcess | undefined;
    try {
      const setup = await writeRepositorySetup({
        directory,
        hub,
        admins: [identities.admin.spiffeId],
        zones: [caller, ...identities.partners, ...identities.zones],
      });
      const { contractsByZone, started } = await seedAndStart(setup, identities, total, options);
      repository = started.repository;
      figures.push(...started.figures);
      figures.push(...(await measureGetCertificates(repository, identities, directory, ghz, total, options)));
      const zone = identities.zones[0];
      if (zone === undefined) throw new Error('zoneCount must be at least 1');
      figures.push(
        ...(await measureWatchAndList(
          repository,
          identities.admin,
          zone,
          contractsByZone.get(zone.name) ?? 0,
          total,
          options,
        )),
        ...(await measureProvider(repository, zone, identities.zones.length - 1, directory, total, options)),
      );
      const memory = await readProcessMemory(repository.pid);
      figures.push(
        { name: `repository-startup-${total}`, metric: 'rss', value: memory.rssBytes / megabyte, unit: 'MB' },
        {
          name: `repository-startup-${total}`,
          metric: 'peak-rss',
          value: memory.peakRssBytes / megabyte,
          unit: 'MB',
        },
      );
    } finally {
      await repository?.close();
      await rm(directory, { recursive: true, force: true });
    }
  }
  return figures;
}

/**
 * Seeds the log, lets a first start fold it and write its snapshot, appends the tail, and measures
 * the starts after a crash; returns the last (running) repository.
 */
async function seedAndStart(
  setup: RepositorySetup,
  identities: ScaleZones,
  total: number,
  options: RepositoryScaleOptions,
): Promise<{
  contractsByZone: ReadonlyMap<string, number>;
  started: { repository: RepositoryProcess; figures: BenchFigure[] };
}> {
  const name = `repository-startup-${total}`;
  const seed = {
    dataDir: setup.dataDir,
    admin: identities.admin,
    caller: identities.caller,
    partners: identities.partners,
    zones: identities.zones,
    progress: (message: string) => options.progress(`repository: ${message}`),
  };
  options.progress(`repository: seeding ${total} active contracts among ${identities.zones.length} zones`);
  const first = await seedAuditLog({ ...seed, totalContracts: total - tailContracts });
  options.progress(`repository: first start (folds the whole log, writes a snapshot)`);
  const firstStartedMs = performance.now();
  const firstStart = await launchRepository(setup, firstStartTimeoutMs);
  // The snapshot is written in the background after ready; on a loaded machine encoding 100,000
  // contracts can outlast the stop's grace period, and a start after the crash would then fold the
  // whole log instead of measuring snapshot + tail.
  await waitUntil(
    () => existsSync(join(setup.dataDir, snapshotFileName)),
    'the first start wrote its snapshot',
    firstStartTimeoutMs,
  );
  await firstStart.close();
  const firstMs = performance.now() - firstStartedMs;
  // The longest tail a snapshot leaves: just short of the next one.
  const tail = await seedAuditLog({
    ...seed,
    after: { head: first.head, contracts: total - tailContracts },
    totalContracts: tailContracts,
  });
  const contractsByZone = new Map(first.contractsByZone);
  for (const [zone, count] of tail.contractsByZone)
    contractsByZone.set(zone, (contractsByZone.get(zone) ?? 0) + count);
  options.progress(
    `repository: ${options.startups} starts after a crash (snapshot and ${tailContracts * 3} entries)`,
  );
  const startupsMs: number[] = [];
  const startupsCpuMs: number[] = [];
  let repository: RepositoryProcess | undefined;
  for (let run = 1; run <= options.startups; run += 1) {
    const startedMs = performance.now();
    repository = await launchRepository(setup);
    startupsMs.push(performance.now() - startedMs);
    startupsCpuMs.push(readProcessCpuMs(repository.pid));
    if (run < options.startups) await repository.kill();
  }
  if (repository === undefined) throw new Error('startups must be at least 1');
  return {
    contractsByZone,
    started: {
      repository,
      figures: [
        { name, metric: 'first', value: firstMs, unit: 'ms' },
        { name, metric: 'startup', value: percentile(startupsMs, 0.5), unit: 'ms' },
        { name, metric: 'startup-cpu', value: percentile(startupsCpuMs, 0.5), unit: 'ms' },
      ],
    },
  };
}

/**
 * ghz against GetCertificates as the calling zone, `callRuns` times: the medians of throughput,
 * latency and the repository's CPU time per call.
 */
async function measureGetCertificates(
  repository: RepositoryProcess,
  identities: ScaleZones,
  directory: string,
  ghz: string,
  total: number,
  options: RepositoryScaleOptions,
): Promise<BenchFigure[]> {
  const name = `get-certificates-${total}`;
  const certificateFile = join(directory, 'caller.pem');
  const privateKeyFile = join(directory, 'caller-key.pem');
  await writeFile(certificateFile, identities.providerOfCaller.certificatePem);
  await writeFile(privateKeyFile, identities.providerOfCaller.privateKeyPem, { mode: 0o600 });
  const run = {
    ghz,
    address: repository.address,
    method: getCertificatesMethod,
    requestJson: '{}',
    certificateFile,
    privateKeyFile,
    concurrency: options.concurrency,
    connections: options.connections,
    maxDurationMs: options.maxDurationMs,
  };
  options.progress(
    `repository: ${options.warmupCalls} warm-up and ${options.callRuns} × ${options.calls} GetCertificates calls`,
  );
  await runGhz({ ...run, calls: options.warmupCalls });
  const runs: { callsPerSecond: number; p50Ms: number; p99Ms: number; serverCpuUs: number }[] = [];
  for (let index = 0; index < options.callRuns; index += 1) {
    const cpuBeforeMs = readProcessCpuMs(repository.pid);
    const report = await runGhz({ ...run, calls: options.calls });
    const serverCpuMs = readProcessCpuMs(repository.pid) - cpuBeforeMs;
    if (report.okCount !== report.count || report.count === 0) {
      throw new Error(`GetCertificates failed: ${JSON.stringify(report.errors)}`);
    }
    runs.push({ ...report, serverCpuUs: (serverCpuMs * 1000) / report.count });
  }
  const median = (of: (each: (typeof runs)[number]) => number): number => percentile(runs.map(of), 0.5);
  return [
    { name, metric: 'calls', value: options.calls, unit: '' },
    { name, metric: 'throughput', value: median((each) => each.callsPerSecond), unit: '/s' },
    { name, metric: 'p50', value: median((each) => each.p50Ms), unit: 'ms' },
    { name, metric: 'p99', value: median((each) => each.p99Ms), unit: 'ms' },
    { name, metric: 'server-cpu', value: median((each) => each.serverCpuUs), unit: 'us' },
  ];
}

/**
 * The whole Watch snapshot of the admin (every contract) and of `zone` (its contracts), and every
 * page of the admin's List, each through `contractRepositoryOverGrpc` with gRPC's default 4 MiB
 * receive limit. `ok=1` once both snapshots held exactly the contracts seeded.
 */
async function measureWatchAndList(
  repository: RepositoryProcess,
  admin: TestSvid,
  zone: TestZone,
  zoneContracts: number,
  total: number,
  options: RepositoryScaleOptions,
): Promise<BenchFigure[]> {
  options.progress(`repository: Watch snapshots of the admin and of ${zone.name}, List of the admin`);
  const snapshotOf = async (identity: TestSvid): Promise<{ contracts: number; ms: number }> => {
    const client = contractRepositoryOverGrpc(repository.client(identity));
    const abort = new AbortController();
    const startedMs = performance.now();
    try {
      for await (const { event } of client.watch(undefined, abort.signal)) {
        if (event.kind === 'snapshot')
          return { contracts: event.contracts.length, ms: performance.now() - startedMs };
      }
      throw new Error('the Watch ended before its snapshot');
    } finally {
      abort.abort();
      client.close();
    }
  };
  const ofAdmin = await snapshotOf(admin);
  const ofZone = await snapshotOf(zone.admin);
  if (ofAdmin.contracts !== total || ofZone.contracts !== zoneContracts) {
    throw new Error(
      `Watch snapshots held ${ofAdmin.contracts} and ${ofZone.contracts} contracts, expected ${total} and ${zoneContracts}`,
    );
  }
  const lister = contractRepositoryOverGrpc(repository.client(admin));
  const listStartedMs = performance.now();
  const listed = await lister.list(undefined).finally(() => lister.close());
  if (listed.length !== total) throw new Error(`List returned ${listed.length} contracts, expected ${total}`);
  const name = `watch-snapshot-${total}`;
  return [
    { name, metric: 'ok', value: 1, unit: '' },
    { name, metric: 'admin', value: ofAdmin.ms, unit: 'ms' },
    { name, metric: 'zone-contracts', value: ofZone.contracts, unit: '' },
    { name, metric: 'zone', value: ofZone.ms, unit: 'ms' },
    {
      name: `list-contracts-${total}`,
      metric: 'admin',
      value: performance.now() - listStartedMs,
      unit: 'ms',
    },
  ];
}

/**
 * A real provider of `zone` (the one `measureWatchAndList` watched), from its start to its first
 * sync: the Watch snapshot, every approval of every contract verified, one bundle per partner.
 */
async function measureProvider(
  repository: RepositoryProcess,
  zone: TestZone,
  partners: number,
  directory: string,
  total: number,
  options: RepositoryScaleOptions,
): Promise<BenchFigure[]> {
  options.progress(`repository: provider of ${zone.name}, first sync`);
  const bundleDirectory = join(directory, 'bundles');
  const client = repository.client(await zone.issue('/accord/contract-provider'));
  const startedMs = performance.now();
  const provider = await startDirectoryProvider(zone, client, bundleDirectory);
  try {
    await waitUntil(() => provider.isReady(), `the provider of ${zone.name} synced`, options.maxDurationMs);
    const syncMs = performance.now() - startedMs;
    const bundles = (await readdir(bundleDirectory)).filter((file) => file.endsWith('.pem')).length;
    if (bundles !== partners) throw new Error(`the provider wrote ${bundles} bundles, expected ${partners}`);
    return [
      { name: `provider-sync-${total}`, metric: 'first-sync', value: syncMs, unit: 'ms' },
      { name: `provider-sync-${total}`, metric: 'bundles', value: bundles, unit: '' },
    ];
  } finally {
    await provider.stop();
    client.close();
  }
}

function createZones(prefix: string, count: number): Promise<TestZone[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => createTestZone(`${prefix}-${index}`)));
}
