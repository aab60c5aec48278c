import { resolve } from 'node:path';
import { startManagedProcess, type ManagedProcess } from '../support/managed-process.js';

/** The built accordctl, as a user runs it. */
export const accordctlPath = resolve(__dirname, '../../dist/cli/main.js');

/** A running `accordctl console` and the login URLs it printed so far. */
export interface ConsoleProcess {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly origin: string;
  /** Every login URL printed, oldest first. */
  loginUrls(): string[];
  /** Resolves with the next login URL printed after `count` were. */
  nextLoginUrl(count: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `accordctl console` with `args` (and `env`, else this process's) and waits for its first login URL. */
export async function startConsoleProcess(
  name: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<ConsoleProcess> {
  let output = '';
  const waiters: (() => void)[] = [];
  const process = startManagedProcess(
    name,
    globalThis.process.execPath,
    [accordctlPath, 'console', ...args],
    {
      env: env ?? globalThis.process.env,
      onOutput: (chunk) => {
        output += chunk.toString('utf8');
        for (const waiter of waiters.splice(0)) waiter();
      },
    },
  );
  const loginUrls = () =>
    [...output.matchAll(/open (http:\/\/127\.0\.0\.1:\d+\/#login=[A-Za-z0-9_-]+)/g)].map((m) => m[1] ?? '');
  const nextLoginUrl = (count: number) =>
    new Promise<string>((resolvePromise, reject) => {
      const check = () => {
        const url = loginUrls()[count];
        if (url !== undefined) resolvePromise(url);
        else if (process.exitReason() !== undefined) reject(new Error(process.exitReason()));
        else waiters.push(check);
      };
      check();
      void process.exited.then(check);
    });
  const first = await nextLoginUrl(0);
  const port = Number(new URL(first).port);
  return {
    process,
    port,
    origin: `http://127.0.0.1:${port}`,
    loginUrls,
    nextLoginUrl,
    stop: () => process.stop(),
  };
}
