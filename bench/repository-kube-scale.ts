import { open, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api } from '@kubernetes/client-node';
import { auditEntryToConfigMap, auditLogSelector } from '../contract-repo/audit-entry-config-map.js';
import { auditLogFileName } from '../contract-repo/file-contract-store.js';
import { snapshotLogLabel, snapshotPointerName } from '../contract-repo/snapshot-config-map.js';
import { parseStoredAuditEntry } from '../contract-repo/stored-audit-entry.js';
import { coreApiClient } from '../lib/kube/kube-client.js';
import type { KubeCoreApi } from '../lib/kube/kube-core-api.js';
import { isKubeStatus, KubeStatus } from '../lib/kube/kube-errors.js';
import { readProcessMemory } from '../test/e2e/operator-replica.js';
import { clientNodeApi } from '../test/kube/client-node-api.js';
import { startKubeApiServer, type KubeApiServer } from '../test/kube/kube-api-server.js';
import { createTestZone } from '../test/support/test-zone.js';
import type { BenchFigure } from './bench-figure.js';
import { percentile } from './percentiles.js';
import { readProcessCpuMs } from './process-cpu.js';
import { launchRepository, writeRepositorySetup, type RepositorySetup } from './repository-process.js';
import { firstStartTimeoutMs, tailContracts } from './repository-scale.js';
import { seedAuditLog, type AuditLogSeed } from './seed-audit-log.js';

/** Sizes and bounds of the repository runs on the Kubernetes store. */
export interface RepositoryKubeScaleOptions {
  /** Stored contracts per run, e.g. `[10_000]`. */
  readonly totals: readonly number[];
  /** Zones the contracts are spread over (every pair in turn), all of them active. */
  readonly zoneCount: number;
  /** Starts measured per run (the median is reported; use an odd number). */
  readonly startups: number;
  /** ConfigMap creates in flight while the log is copied into the cluster. */
  readonly createConcurrency: number;
  /** Bounds the wait for the first start's snapshot. */
  readonly snapshotTimeoutMs: number;
  readonly progress: (message: string) => void;
}

const namespace = 'accord-system';
const megabyte = 1_000_000;
const listPageSize = 500;
const pointerPollMs = 200;

/**
 * The contract repository on the Kubernetes store at scale, as its own process against a real
 * kube-apiserver + etcd: for each total, an audit log of that many active contracts (seeded as in
 * `repository-scale.ts`, then created entry by entry as the store's own ConfigMaps) is folded by a
 * first start, which publishes a snapshot (its chunk objects and pointer); the tail that leaves
 * the longest fold (one entry short of the next snapshot) is added, and the repository is started
 * `startups` times, each killed with SIGKILL but the last: wall time to ready and the
 * repository's CPU time until then. Then the objects the log takes in the cluster are counted
 * (entries, snapshot objects) and the repository's resident memory read.
 */
export async function runRepositoryKubeScaleBenchmark(
  options: RepositoryKubeScaleOptions,
): Promise<BenchFigure[]> {
  let cluster: KubeApiServer | undefined;
  const figures: BenchFigure[] = [];
  try {
    options.progress('repository-kube: starting kube-apiserver');
    cluster = await startKubeApiServer({ name: 'repository-kube-scale' });
    await clientNodeApi(cluster.adminKubeconfig, CoreV1Api).createNamespace({
      body: { metadata: { name: namespace } },
    });
    const core = coreApiClient(cluster.adminKubeconfig);
    options.progress(`repository-kube: creating ${options.zoneCount + 3} zones`);
    const hub = await createTestZone('hub');
    const caller = await createTestZone('caller');
    const zones = await Promise.all(
      Array.from({ length: options.zoneCount }, (_, index) => createTestZone(`zone-${index}`)),
    );
    const partners = [await createTestZone('partner-0')];
    const admin = await hub.issue('/accord/admin');
    for (const total of options.totals) {
      const directory = await mkdtemp(join(tmpdir(), 'accord-bench-repository-kube-'));
      try {
        const logName = `scale-${total}`;
        const setup = await writeRepositorySetup({
          directory,
          hub,
          admins: [admin.spiffeId],
          zones: [caller, ...partners, ...zones],
        });
        const kubeSetup = await onKubernetesStore(setup, directory, logName, cluster.adminKubeconfig);
        const seed = {
          dataDir: setup.dataDir,
          admin,
          caller,
          partners,
          zones,
          progress: (message: string) => options.progress(`repository-kube: ${message}`),
        } satisfies Omit<AuditLogSeed, 'totalContracts'>;
        options.progress(`repository-kube: seeding ${total} active contracts, creating their entries`);
        const first = await seedAuditLog({ ...seed, totalContracts: total - tailContracts });
        const logFile = join(setup.dataDir, auditLogFileName);
        const copiedBytes = await createEntries(core, logName, logFile, 0, options.createConcurrency);
        options.progress(
          'repository-kube: first start (lists and folds the whole log, publishes a snapshot)',
        );
        const firstStartedMs = performance.now();
        const firstStart = await launchRepository(kubeSetup, firstStartTimeoutMs);
        const firstMs = performance.now() - firstStartedMs;
        await untilSnapshotPublished(core, logName, options.snapshotTimeoutMs);
        await firstStart.close();
        await seedAuditLog({
          ...seed,
          after: { head: first.head, contracts: total - tailContracts },
          totalContracts: tailContracts,
        });
        await createEntries(core, logName, logFile, copiedBytes, options.createConcurrency);
        options.progress(`repository-kube: ${options.startups} starts after a crash`);
        const startupsMs: number[] = [];
        const startupsCpuMs: number[] = [];
        for (let run = 1; run <= options.startups; run += 1) {
          const startedMs = performance.now();
          const repository = await launchRepository(kubeSetup);
          startupsMs.push(performance.now() - startedMs);
          startupsCpuMs.push(readProcessCpuMs(repository.pid));
          if (run < options.startups) {
            await repository.kill();
            continue;
          }
          const memory = await readProcessMemory(repository.pid);
          await repository.close();
          const entries = await countObjects(core, auditLogSelector(logName));
          const snapshotObjects = await countObjects(core, `${snapshotLogLabel}=${logName}`);
          const name = `repository-kube-startup-${total}`;
          figures.push(
            { name, metric: 'first', value: firstMs, unit: 'ms' },
            { name, metric: 'startup', value: percentile(startupsMs, 0.5), unit: 'ms' },
            { name, metric: 'startup-cpu', value: percentile(startupsCpuMs, 0.5), unit: 'ms' },
            { name, metric: 'entry-objects', value: entries, unit: '' },
            { name, metric: 'snapshot-objects', value: snapshotObjects, unit: '' },
            { name, metric: 'rss', value: memory.rssBytes / megabyte, unit: 'MB' },
          );
        }
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    }
  } finally {
    await cluster?.stop();
  }
  return figures;
}

/** A copy of `setup`'s config that keeps the log in the cluster instead of `dataDir`. */
async function onKubernetesStore(
  setup: RepositorySetup,
  directory: string,
  logName: string,
  kubeconfig: string,
): Promise<RepositorySetup> {
  const config = JSON.parse(await readFile(setup.configFile, 'utf8')) as Record<string, unknown>;
  delete config.dataDir;
  const configFile = join(directory, 'contract-repo-kube.json');
  await writeFile(
    configFile,
    JSON.stringify({ ...config, kubernetesStore: { namespace, logName, kubeconfig } }),
    { mode: 0o600 },
  );
  return { ...setup, configFile };
}

/**
 * Creates the store's ConfigMap for every line of the file log from byte `fromByte`, at most
 * `concurrency` at a time; returns the byte after the last line.
 */
async function createEntries(
  core: KubeCoreApi,
  logName: string,
  logFile: string,
  fromByte: number,
  concurrency: number,
): Promise<number> {
  const file = await open(logFile);
  const inFlight = new Set<Promise<void>>();
  let bytes = fromByte;
  try {
    const lines = createInterface({ input: file.createReadStream({ start: fromByte }), crlfDelay: Infinity });
    for await (const line of lines) {
      bytes += Buffer.byteLength(line, 'utf8') + 1;
      const entry = parseStoredAuditEntry(JSON.parse(line) as Record<string, unknown>, 'seeded log');
      const created = core
        .createNamespacedConfigMap({ namespace, body: auditEntryToConfigMap(namespace, logName, entry) })
        .then(() => undefined);
      const tracked = created.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await file.close();
  }
  return bytes;
}

/** Waits until the snapshot pointer exists: the first start's snapshot is published. */
async function untilSnapshotPublished(core: KubeCoreApi, logName: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await core.readNamespacedConfigMap({ namespace, name: snapshotPointerName(logName) });
      return;
    } catch (error) {
      if (!isKubeStatus(error, KubeStatus.notFound)) throw error;
    }
    if (performance.now() > deadline) throw new Error(`no snapshot of ${logName} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pointerPollMs));
  }
}

/** ConfigMaps in the namespace matching `labelSelector`, listed page by page. */
async function countObjects(core: KubeCoreApi, labelSelector: string): Promise<number> {
  let count = 0;
  let next: string | undefined;
  do {
    const page = await core.listNamespacedConfigMap({
      namespace,
      labelSelector,
      limit: listPageSize,
      ...(next === undefined ? {} : { continue: next }),
    });
    count += page.items.length;
    next = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
  } while (next !== undefined);
  return count;
}
