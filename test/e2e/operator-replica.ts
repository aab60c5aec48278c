import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { z } from 'zod';
import { configApiVersion } from '../../lib/config/load-config.js';
import { operatorConfigKind, type operatorConfigSchema } from '../../operator/operator-config.js';
import { type ManagedProcess, startManagedProcess } from '../support/managed-process.js';
import { repositoryRoot } from '../support/test-tools.js';

/** The built operator binary; `npm test` builds `dist/` before jest runs. */
export const operatorMainScript = join(repositoryRoot, 'dist', 'operator', 'main.js');

/**
 * The Node flags the chart gives the operator's pods (values.yaml `operator.v8MaxSemiSpaceSize`,
 * as NODE_OPTIONS), so the replicas the tests and the benchmark start use memory as the pods do.
 */
function chartOperatorNodeFlags(): string[] {
  const values = parseYaml(readFileSync(join(repositoryRoot, 'charts', 'accord', 'values.yaml'), 'utf8')) as {
    operator: { v8MaxSemiSpaceSize: number };
  };
  return [`--max-semi-space-size=${String(values.operator.v8MaxSemiSpaceSize)}`];
}

/** The fields of an operator config file, as a user writes them (defaults may be left out). */
export type OperatorConfigFields = z.input<typeof operatorConfigSchema>;

/** One operator replica running as its own process, as a pod of the Deployment would. */
export interface OperatorReplica {
  /** The leader-election identity: the `--leader-identity` the process was started with (a pod name). */
  readonly identity: string;
  readonly process: ManagedProcess;
  /** Everything the replica printed (JSON log lines). */
  readonly logFile: string;
}

/** Writes an operator config file (`kind: OperatorConfig`) and returns its path. */
export async function writeOperatorConfig(path: string, fields: OperatorConfigFields): Promise<string> {
  await writeFile(
    path,
    stringifyYaml({ apiVersion: configApiVersion, kind: operatorConfigKind, ...fields }),
    {
      mode: 0o600,
    },
  );
  return path;
}

/**
 * Starts `node <the chart's Node flags> dist/operator/main.js --config <configFile> --leader-identity
 * <identity>`, the way the chart's Deployment passes each pod's name as its leader-election identity. Output goes to
 * `<directory>/<identity>.log`.
 */
export function startOperatorReplica(
  configFile: string,
  identity: string,
  directory: string,
): OperatorReplica {
  if (!existsSync(operatorMainScript)) {
    throw new Error(`${operatorMainScript} is missing: run 'npm run build' (npm test does)`);
  }
  const logFile = join(directory, `${identity}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = startManagedProcess(
    identity,
    process.execPath,
    [...chartOperatorNodeFlags(), operatorMainScript, '--config', configFile, '--leader-identity', identity],
    {
      onOutput: (chunk) => log.write(chunk),
    },
  );
  void child.exited.then(() => log.end());
  return { identity, process: child, logFile };
}

/** Resident and peak resident memory of a running process, from `/proc/<pid>/status` (Linux). */
export interface ProcessMemory {
  /** `VmRSS`: resident set size now. */
  readonly rssBytes: number;
  /** `VmHWM`: the peak resident set size so far. */
  readonly peakRssBytes: number;
}

/** Reads `VmRSS` and `VmHWM` of `pid`; throws when the process is gone or this is not Linux. */
export async function readProcessMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const kibibytes = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (match?.[1] === undefined) throw new Error(`/proc/${String(pid)}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kibibytes('VmRSS'), peakRssBytes: kibibytes('VmHWM') };
}
