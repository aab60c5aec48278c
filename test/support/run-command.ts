import { execFile } from 'node:child_process';

/** What a command printed and how it exited. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How to run a command besides its binary and arguments. */
export interface RunCommandOptions {
  /** Written to the command's stdin, which is closed afterwards. */
  readonly input?: string;
  /** Killed (SIGKILL) after this long; the result then says so. Defaults to 5 minutes. */
  readonly timeoutMs?: number;
  /** The environment; defaults to this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

const defaultTimeoutMs = 300_000;

/**
 * Runs a command to completion. A non-zero exit is a result, not an error: tests assert refusals
 * (`kubectl auth can-i` answers "no" with 1, validation messages on stderr). Output is trimmed.
 */
export function runCommand(
  binary: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      binary,
      args,
      {
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? defaultTimeoutMs,
        killSignal: 'SIGKILL',
        env: options.env ?? process.env,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        const killed =
          error?.killed === true
            ? `\n(killed after ${String(options.timeoutMs ?? defaultTimeoutMs)} ms)`
            : '';
        resolve({ code, stdout: stdout.trim(), stderr: `${stderr.trim()}${killed}` });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
