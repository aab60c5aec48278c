import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../lib/log/logger.js';
import { conditionsOf, type TrustContractResource } from '../test/e2e/mesh-zone.js';
import { readProcessMemory } from '../test/e2e/operator-replica.js';
import { pollUntil } from '../test/e2e/poll-until.js';
import { startTwoClusterMesh, untilMutualTrust, type TwoClusterMesh } from '../test/e2e/two-cluster-mesh.js';
import type { BenchFigure } from './bench-figure.js';
import { runBoundedLoad } from './bounded-load.js';
import { latencyFigures } from './latency-figures.js';

/** Sizes and bounds of one cluster propagation run. */
export interface KubePropagationOptions {
  /** Contracts taken through apply in A, apply in B (measured) and delete in A (measured). */
  readonly runs: number;
  /** TrustContracts created in zone A for the operator memory figure. */
  readonly trustContracts: number;
  /** TrustContract creations in flight at once. */
  readonly createConcurrency: number;
  /** Stops starting new runs (and creations) after this much wall time; the figures say how many ran. */
  readonly maxDurationMs: number;
  /** One change must reach both clusters' Secrets within this, or the benchmark fails. */
  readonly propagationTimeoutMs: number;
  /** The operator must have reconciled every created TrustContract within this. */
  readonly reconcileTimeoutMs: number;
  readonly progress: (message: string) => void;
}

/** The operators' periodic resync in this benchmark: the production default, so it measures the event path. */
const operatorResyncIntervalMs = 60_000;
/** How often the Secrets are read while a change propagates: the figures' resolution. */
const secretPollIntervalMs = 10;
const statusPollIntervalMs = 1000;
/** Issue 13's memory targets are in decimal megabytes. */
const megabyte = 1000 * 1000;

/**
 * Measures issue 3's figures on the two-cluster mesh (two real kube-apiservers, a hub repository
 * with the Kubernetes store, per-zone PKI and provider, two operator replicas per zone as
 * processes). Each run applies a fresh TrustContract in zone A and waits until zone A's operator
 * approved it; then the clock runs from the moment `kubectl apply` in zone B returns until *both*
 * zones' bundle Secrets hold the partner's root, and from the moment `kubectl delete` in zone A
 * returns until both Secrets are gone. Runs go one after another. Then `trustContracts`
 * TrustContracts are created in zone A and, once its leader has reconciled all of them, the
 * leader's resident memory is read from /proc.
 */
export async function runKubePropagationBenchmark(options: KubePropagationOptions): Promise<BenchFigure[]> {
  const directory = await mkdtemp(join(tmpdir(), 'accord-bench-kube-'));
  let mesh: TwoClusterMesh | undefined;
  try {
    options.progress('kube-propagation: starting two API servers, the hub and four operator replicas');
    mesh = await startTwoClusterMesh({
      directory,
      logger: silentLogger,
      operatorResyncIntervalMs,
      operatorLogLevel: 'warn',
    });
    const activations: number[] = [];
    const revocations: number[] = [];
    const started = performance.now();
    for (let run = 0; run < options.runs && performance.now() - started < options.maxDurationMs; run += 1) {
      const [activated, revoked] = await measureRun(mesh, `bench-${run}`, options.propagationTimeoutMs);
      activations.push(activated);
      revocations.push(revoked);
      if ((run + 1) % 5 === 0) options.progress(`kube-propagation: ${run + 1} runs`);
    }
    options.progress(`kube-propagation: creating ${options.trustContracts} TrustContracts in zone-a`);
    const memory = await measureOperatorMemory(mesh, options);
    return [
      ...latencyFigures('kube-propagation-activate', activations),
      ...latencyFigures('kube-propagation-revoke', revocations),
      ...memory,
    ];
  } finally {
    await mesh?.close();
    await rm(directory, { recursive: true, force: true });
  }
}

/** One contract's activation and revocation latencies, in milliseconds. */
async function measureRun(mesh: TwoClusterMesh, id: string, timeoutMs: number): Promise<[number, number]> {
  const [a, b] = mesh.zones;
  await a.apply(mesh.manifest(id, a));
  await pollUntil(
    `zone-a approved ${id}`,
    async () =>
      conditionsOf(await a.trustContract(id)).Approved === 'True ApprovedByThisZone' ? true : undefined,
    timeoutMs,
  );

  await b.apply(mesh.manifest(id, b));
  const appliedAtMs = performance.now();
  await untilMutualTrust(mesh, true, timeoutMs, secretPollIntervalMs);
  const activatedMs = performance.now() - appliedAtMs;

  await a.deleteTrustContract(id);
  const deletedAtMs = performance.now();
  await untilMutualTrust(mesh, false, timeoutMs, secretPollIntervalMs);
  const revokedMs = performance.now() - deletedAtMs;

  // Not measured: zone B withdraws too, so every run starts with no TrustContract in either zone.
  await b.deleteTrustContract(id);
  await pollUntil(
    `${id} is gone in both zones`,
    async () =>
      (await a.trustContract(id)) === undefined && (await b.trustContract(id)) === undefined
        ? true
        : undefined,
    timeoutMs,
  );
  return [activatedMs, revokedMs];
}

/**
 * Creates `trustContracts` TrustContracts in zone A (zone-a with zone-b, applied in zone A only, so
 * the operator proposes and approves each and none becomes active), waits until the leader has
 * written a status for every one, and reads the leader's memory before (`idle-rss`) and after
 * (`rss`), in decimal megabytes as issue 13's targets are. `reconcile-all` runs from the first
 * creation to the last status, so it includes the creations.
 */
async function measureOperatorMemory(
  mesh: TwoClusterMesh,
  options: KubePropagationOptions,
): Promise<BenchFigure[]> {
  const [a] = mesh.zones;
  const leader = await a.leader();
  if (leader === undefined) throw new Error('zone-a has no operator leader');
  const follower = a.operators.find((replica) => replica !== leader);
  const before = await readProcessMemory(leader.process.pid);
  const firstCreatedAtMs = performance.now();
  let next = 0;
  const created = await runBoundedLoad({
    calls: options.trustContracts,
    concurrency: options.createConcurrency,
    maxDurationMs: options.maxDurationMs,
    call: async () => {
      next += 1;
      await a.createTrustContract(mesh.manifest(`load-${String(next)}`, a));
    },
  });
  const count = created.latenciesMs.length;
  options.progress(`kube-propagation: ${count} TrustContracts created; waiting for the operator`);
  await pollUntil(
    `zone-a's operator reconciled ${count} TrustContracts`,
    async () => {
      const reconciled = (await a.trustContracts()).filter(isReconciledLoad).length;
      return reconciled >= count ? true : undefined;
    },
    options.reconcileTimeoutMs,
    statusPollIntervalMs,
  );
  const reconcileAllMs = performance.now() - firstCreatedAtMs;
  if ((await a.leader()) !== leader) throw new Error('the zone-a leader changed during the memory run');
  const after = await readProcessMemory(leader.process.pid);
  const followerMemory = follower === undefined ? undefined : await readProcessMemory(follower.process.pid);
  const name = `operator-memory-${String(count)}`;
  const megabytes = (bytes: number): number => bytes / megabyte;
  return [
    { name, metric: 'reconcile-all', value: reconcileAllMs / 1000, unit: 's' },
    { name, metric: 'rss', value: megabytes(after.rssBytes), unit: 'MB' },
    { name, metric: 'peak-rss', value: megabytes(after.peakRssBytes), unit: 'MB' },
    { name, metric: 'idle-rss', value: megabytes(before.rssBytes), unit: 'MB' },
    ...(followerMemory === undefined
      ? []
      : [{ name, metric: 'follower-rss', value: megabytes(followerMemory.rssBytes), unit: 'MB' }]),
  ];
}

/** A load TrustContract whose current generation the operator has written a status for, with zone-a's approval. */
function isReconciledLoad(resource: TrustContractResource): boolean {
  return (
    resource.metadata.name.startsWith('load-') &&
    resource.status?.observedGeneration === resource.metadata.generation &&
    conditionsOf(resource).Approved === 'True ApprovedByThisZone'
  );
}
