import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSnapshotEveryEntries } from '../contract-repo/contract-repository.js';
import { readProcessMemory } from '../test/e2e/operator-replica.js';
import { testTool } from '../test/support/test-tools.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import type { BenchFigure } from './bench-figure.js';
import { runGhz } from './ghz.js';
import { percentile } from './percentiles.js';
import { readProcessCpuMs } from './process-cpu.js';
import { launchRepository, writeRepositorySetup, type RepositoryProcess } from './repository-process.js';
import { seedAuditLog } from './seed-audit-log.js';

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
  /** GetCertificates calls through ghz, after `warmupCalls` unmeasured ones. */
  readonly calls: number;
  readonly warmupCalls: number;
  readonly concurrency: number;
  readonly connections: number;
  /** Bounds each ghz run's wall time. */
  readonly maxDurationMs: number;
  readonly progress: (message: string) => void;
}

const getCertificatesMethod = 'accord.contracts.v1.ContractService/GetCertificates';
/** Contracts written after the first start's snapshot: three entries each, one entry short of the next snapshot. */
const tailContracts = Math.floor((defaultSnapshotEveryEntries - 1) / 3);
const megabyte = 1_000_000;

/**
 * The contract repository at scale, as its own process with its file store: for each total, an
 * audit log of that many active contracts among `zoneCount` zones (plus the calling zone's few)
 * is seeded, all but the last few hundred; the repository is started once (it folds the whole log
 * and writes a snapshot), the rest is appended (one entry short of the next snapshot), and then it
 * is started `startups` times, each killed with SIGKILL but the last: every measured start-up is
 * one after a crash with the longest tail of entries a snapshot leaves to fold. Against the
 * running one, ghz makes GetCertificates calls over mTLS as the calling zone, and the repository's
 * own CPU time per call is read from `/proc`. Its resident memory is read at the end.
 */
export async function runRepositoryScaleBenchmark(options: RepositoryScaleOptions): Promise<BenchFigure[]> {
  const ghz = testTool('ghz');
  options.progress(`repository: creating ${options.zoneCount + options.callerContracts + 2} zones`);
  const hub = await createTestZone('hub');
  const admin = await hub.issue('/accord/admin');
  const caller = await createTestZone('caller');
  const providerOfCaller = await caller.issue('/accord/contract-provider');
  const partners = await createZones('partner', options.callerContracts);
  const zones = await createZones('zone', options.zoneCount);
  const figures: BenchFigure[] = [];
  for (const total of options.totals) {
    const directory = await mkdtemp(join(tmpdir(), 'accord-bench-repository-'));
    let repository: RepositoryProcess | undefined;
    try {
      options.progress(`repository: seeding ${total} active contracts among ${options.zoneCount} zones`);
      const setup = await writeRepositorySetup({
        directory,
        hub,
        admins: [admin.spiffeId],
        zones: [caller, ...partners, ...zones],
      });
      const seed = {
        dataDir: setup.dataDir,
        admin,
        caller,
        partners,
        zones,
        progress: (message: string) => options.progress(`repository: ${message}`),
      };
      const head = await seedAuditLog({ ...seed, totalContracts: total - tailContracts });
      const name = (figure: string) => `${figure}-${total}`;
      options.progress(`repository: first start (folds the whole log, writes a snapshot)`);
      const firstStartedMs = performance.now();
      await (await launchRepository(setup)).close();
      figures.push({
        name: name('repository-startup'),
        metric: 'first',
        value: performance.now() - firstStartedMs,
        unit: 'ms',
      });
      // The longest tail a snapshot leaves: just short of the next one.
      await seedAuditLog({
        ...seed,
        after: { head, contracts: total - tailContracts },
        totalContracts: tailContracts,
      });
      options.progress(
        `repository: ${options.startups} starts after a crash (snapshot and ${tailContracts * 3} entries)`,
      );
      const startupsMs: number[] = [];
      for (let run = 1; run <= options.startups; run += 1) {
        const startedMs = performance.now();
        repository = await launchRepository(setup);
        startupsMs.push(performance.now() - startedMs);
        if (run < options.startups) await repository.kill();
      }
      if (repository === undefined) throw new Error('startups must be at least 1');
      figures.push({
        name: name('repository-startup'),
        metric: 'startup',
        value: percentile(startupsMs, 0.5),
        unit: 'ms',
      });

      const certificateFile = join(directory, 'caller.pem');
      const privateKeyFile = join(directory, 'caller-key.pem');
      await writeFile(certificateFile, providerOfCaller.certificatePem);
      await writeFile(privateKeyFile, providerOfCaller.privateKeyPem, { mode: 0o600 });
      const ghzRun = {
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
        `repository: ${options.warmupCalls} warm-up and ${options.calls} GetCertificates calls`,
      );
      await runGhz({ ...ghzRun, calls: options.warmupCalls });
      const cpuBeforeMs = readProcessCpuMs(repository.pid);
      const report = await runGhz({ ...ghzRun, calls: options.calls });
      const serverCpuMs = readProcessCpuMs(repository.pid) - cpuBeforeMs;
      if (report.okCount !== report.count || report.count === 0) {
        throw new Error(`GetCertificates failed: ${JSON.stringify(report.errors)}`);
      }
      figures.push(
        { name: name('get-certificates'), metric: 'calls', value: report.count, unit: '' },
        { name: name('get-certificates'), metric: 'throughput', value: report.callsPerSecond, unit: '/s' },
        { name: name('get-certificates'), metric: 'p50', value: report.p50Ms, unit: 'ms' },
        { name: name('get-certificates'), metric: 'p99', value: report.p99Ms, unit: 'ms' },
        {
          name: name('get-certificates'),
          metric: 'server-cpu',
          value: (serverCpuMs * 1000) / report.count,
          unit: 'us',
        },
      );
      const memory = await readProcessMemory(repository.pid);
      figures.push(
        { name: name('repository-startup'), metric: 'rss', value: memory.rssBytes / megabyte, unit: 'MB' },
        {
          name: name('repository-startup'),
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

function createZones(prefix: string, count: number): Promise<TestZone[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => createTestZone(`${prefix}-${index}`)));
}
