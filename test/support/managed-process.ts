import { type ChildProcess, spawn } from 'node:child_process';

/** A server process a test started, and how to end it. */
export interface ManagedProcess {
  /** The operating-system process id (for `/proc/<pid>` and signals). */
  readonly pid: number;
  /** Why the process ended, with its last output, or undefined while it runs. */
  exitReason(): string | undefined;
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<void>;
  /** Sends `signal` (e.g. SIGKILL to simulate a crash) without waiting for the exit. */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** How to start a managed process besides its binary and arguments. */
export interface ManagedProcessOptions {
  /** The process environment; defaults to this process's. */
  env?: NodeJS.ProcessEnv;
  /** Receives every chunk the process writes to stdout and stderr (e.g. to keep a log file). */
  onOutput?: (chunk: Buffer) => void;
}

/** How much of a process's recent output is kept to explain an early exit. */
const keptOutputBytes = 64 * 1024;
const stopEscalationMs = 10_000;

/**
 * Every managed process still running: one process-exit hook kills them all (one hook, not one
 * per process, so a test running a dozen daemons does not trip Node's listener-leak warning).
 */
const runningChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of runningChildren) child.kill('SIGKILL');
});

/**
 * Runs a server process, keeping its recent output to quote if it dies. A process-exit hook kills
 * it too, so a crashed test run leaves no orphan holding a port.
 */
export function startManagedProcess(
  name: string,
  binary: string,
  args: readonly string[],
  options: ManagedProcessOptions = {},
): ManagedProcess {
  const child: ChildProcess = spawn(binary, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let output = Buffer.alloc(0);
  const keep = (chunk: Buffer): void => {
    options.onOutput?.(chunk);
    output = Buffer.concat([output, chunk]);
    if (output.length > keptOutputBytes) output = output.subarray(output.length - keptOutputBytes);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitReason = `${name} exited (code ${String(code)}, signal ${String(signal)})`;
      resolve();
    });
    child.once('error', (error) => {
      exitReason = `${name} did not start: ${error.message}`;
      resolve();
    });
  });
  runningChildren.add(child);
  void exited.then(() => runningChildren.delete(child));
  return {
    pid: child.pid ?? -1,
    exitReason: () =>
      exitReason === undefined ? undefined : `${exitReason}; last output:\n${lastLines(output, 30)}`,
    exited,
    kill: (signal) => {
      if (exitReason === undefined) child.kill(signal);
    },
    stop: async () => {
      if (exitReason === undefined) {
        child.kill('SIGTERM');
        const escalation = setTimeout(() => child.kill('SIGKILL'), stopEscalationMs);
        await exited;
        clearTimeout(escalation);
      }
    },
  };
}

function lastLines(output: Buffer, count: number): string {
  return output.toString('utf8').trimEnd().split('\n').slice(-count).join('\n');
}
