import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ContainerStats, LiveMesh, liveMeshImages } from '../test/node/live-mesh.js';
import type { BenchFigure } from './bench-figure.js';
import { percentile } from './percentiles.js';

/** Sizes of the live-pod benchmark. */
export interface LiveMeshOptions {
  /** Fresh meshes (three clusters each) measured one after the other; figures are their medians. */
  readonly runs: number;
  /** Bound of every wait (a deadline, not a sleep). */
  readonly timeoutMs: number;
  readonly progress: (message: string) => void;
}

/** What one run measured. */
interface LiveMeshRun {
  /** `helm install` of the hub and both zones (with the roots distributed) → every pod Ready. */
  readonly installReadyMs: number;
  /** The second zone's `kubectl apply` of the TrustContract → the first successful cross-zone call. */
  readonly applyToCallMs: number;
  /** `kubectl delete` of the TrustContract in one zone → the first refused call. */
  readonly deleteToRefusedMs: number;
  readonly containers: readonly ContainerStats[];
}

/**
 * Issue 12's figures on live pods (test/node/live-mesh.ts, the scenario `live-mesh.test.ts`
 * asserts): per run, three fresh clusters; `helm install` → every pod Ready; the second zone's
 * `kubectl apply` of a TrustContract → the first successful call between the zones' pods; `kubectl
 * delete` in one zone → the first refused call; then the memory (working set) and CPU time of each
 * Accord container from the kubelets' cgroup stats. Calls are tried every 100 ms. Medians of the
 * runs; memory is the largest replica of a container name.
 */
export async function runLiveMeshBenchmark(options: LiveMeshOptions): Promise<BenchFigure[]> {
  const images = await liveMeshImages();
  const runs: LiveMeshRun[] = [];
  for (let run = 1; run <= options.runs; run += 1) {
    options.progress(`live-mesh: run ${String(run)} of ${String(options.runs)}: starting three clusters`);
    const directory = await mkdtemp(join(tmpdir(), 'accord-live-mesh-bench-'));
    const mesh = await LiveMesh.start(images, directory);
    try {
      runs.push(await measureRun(mesh, options));
    } finally {
      await mesh.stop();
      await rm(directory, { recursive: true, force: true });
    }
  }
  const median = (values: readonly number[]): number => percentile(values, 0.5);
  const figures: BenchFigure[] = [
    {
      name: 'live-mesh-helm-install',
      metric: 'all_pods_ready',
      value: median(runs.map((r) => r.installReadyMs)),
      unit: 'ms',
    },
    {
      name: 'live-mesh-contract-apply',
      metric: 'first_cross_zone_call',
      value: median(runs.map((r) => r.applyToCallMs)),
      unit: 'ms',
    },
    {
      name: 'live-mesh-contract-delete',
      metric: 'first_refused_call',
      value: median(runs.map((r) => r.deleteToRefusedMs)),
      unit: 'ms',
    },
  ];
  const containerNames = [...new Set(runs.flatMap((r) => r.containers.map((c) => c.container)))].sort();
  for (const container of containerNames) {
    const largest = (r: LiveMeshRun, field: 'workingSetBytes' | 'cpuCoreNanoseconds') =>
      Math.max(...r.containers.filter((c) => c.container === container).map((c) => c[field]));
    figures.push(
      {
        name: `live-mesh-container-${container}`,
        metric: 'working_set',
        value: median(runs.map((r) => largest(r, 'workingSetBytes'))) / 1024 / 1024,
        unit: 'MiB',
      },
      {
        name: `live-mesh-container-${container}`,
        metric: 'cpu_total',
        value: median(runs.map((r) => largest(r, 'cpuCoreNanoseconds'))) / 1e6,
        unit: 'ms',
      },
    );
  }
  return figures;
}

async function measureRun(mesh: LiveMesh, options: LiveMeshOptions): Promise<LiveMeshRun> {
  const [zoneA, zoneB] = mesh.zones;
  options.progress('live-mesh: helm install');
  let started = performance.now();
  await mesh.installAccord();
  const installReadyMs = performance.now() - started;
  options.progress('live-mesh: legacy workloads');
  await mesh.deployLegacyWorkloads();
  await mesh.applyContract(zoneA, 'ab');
  started = performance.now();
  await mesh.applyContract(zoneB, 'ab');
  await mesh.untilCallSucceeds(zoneA, options.timeoutMs);
  const applyToCallMs = performance.now() - started;
  const containers = await mesh.accordContainerStats();
  options.progress('live-mesh: kubectl delete');
  started = performance.now();
  const deleted = await zoneB.cluster.kubectl(['delete', 'trustcontract', 'ab', '--wait=false']);
  if (deleted.code !== 0) throw new Error(`kubectl delete: ${deleted.stderr}`);
  await mesh.untilCallRefused(zoneA, options.timeoutMs);
  const deleteToRefusedMs = performance.now() - started;
  return { installReadyMs, applyToCallMs, deleteToRefusedMs, containers };
}
