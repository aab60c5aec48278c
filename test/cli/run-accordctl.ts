import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ExitCode } from '../../cli/exit-codes.js';
import { nodeCliEnvironment } from '../../cli/node-cli-environment.js';
import { runCli } from '../../cli/run-cli.js';
import { repositoryRoot } from '../support/test-tools.js';

/** What one accordctl run printed and returned. */
export interface AccordctlRun {
  code: ExitCode;
  stdout: string;
  stderr: string;
}

/** Where a run keeps its state and config files, what it reads on stdin, and its Ctrl-C. */
export interface AccordctlRunOptions {
  /** Holds `state/` (audit checkpoints) and `config/` (the default config file). */
  directory: string;
  stdin?: string;
  configPathFromEnvironment?: string;
  interrupted?: AbortSignal;
  /** Called with each piece of stdout as it is written (to follow `contracts watch`). */
  onStdout?: (text: string) => void;
  /** Called with each piece of stderr as it is written (to follow the progress of `root activate --wait`). */
  onStderr?: (text: string) => void;
}

/** Runs accordctl in-process with the real environment (files, gRPC, PKI), its output captured. */
export async function runAccordctl(
  argv: readonly string[],
  options: AccordctlRunOptions,
): Promise<AccordctlRun> {
  let stdout = '';
  let stderr = '';
  const env = nodeCliEnvironment({
    stdout: {
      write: (text) => {
        stdout += text;
        options.onStdout?.(text);
      },
    },
    stderr: {
      write: (text) => {
        stderr += text;
        options.onStderr?.(text);
      },
    },
    stdin: Readable.from([options.stdin ?? '']),
    interrupted: options.interrupted ?? new AbortController().signal,
    stateDirectory: join(options.directory, 'state'),
    configDirectory: join(options.directory, 'config'),
    configPathFromEnvironment: options.configPathFromEnvironment,
    version: 'test',
    consoleAssetDirectory: join(repositoryRoot, 'dist', 'cli', 'console', 'web'),
  });
  const code = await runCli(argv, env);
  return { code, stdout, stderr };
}
