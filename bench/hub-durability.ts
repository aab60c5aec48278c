import { runHubReplicaCrash, type HubReplicaCrashOptions } from '../test/kube/hub-replica-crash.js';
import type { BenchFigure } from './bench-figure.js';

/** Sizes of the hub durability benchmark (issue 11, item 9). */
export type HubDurabilityOptions = HubReplicaCrashOptions;

/**
 * Issue 11, item 9's figures: one of several repository processes on the Kubernetes store is
 * killed with SIGKILL during a burst of concurrent proposals and approvals (the scenario of
 * `test/kube/hub-replica-crash.test.ts`, which asserts what this prints). Figures: acknowledged
 * operations and how many of them are missing after the restart (must be 0), refusals (the killed
 * replica's in-flight calls) and how many came from survivors, how soon a survivor acknowledged a
 * write after the kill, and how long the restarted replica took to print ready and to serve the
 * agreed head.
 */
export async function runHubDurabilityBenchmark(options: HubDurabilityOptions): Promise<BenchFigure[]> {
  const result = await runHubReplicaCrash(options);
  const name = `hub-durability-${options.replicas}-replicas`;
  return [
    { name, metric: 'acknowledged', value: result.acknowledged, unit: '' },
    { name, metric: 'missing_after_restart', value: result.missingAfterRestart, unit: '' },
    { name, metric: 'refused', value: result.refused, unit: '' },
    { name, metric: 'refused_by_survivors', value: result.refusedBySurvivors, unit: '' },
    { name, metric: 'survivor_write_after_kill', value: result.survivorWriteAfterKillMs, unit: 'ms' },
    { name, metric: 'restart_ready', value: result.restartReadyMs, unit: 'ms' },
    { name, metric: 'restart_caught_up', value: result.restartCaughtUpMs, unit: 'ms' },
    { name, metric: 'head_sequence', value: result.headSequence, unit: '' },
  ];
}
