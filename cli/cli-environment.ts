import type { Clock } from '../lib/time/clock.js';
import type { GlobalOptions } from './cli-command.js';
import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';

/** Where accordctl writes: stdout for results, stderr for diagnostics. */
export interface OutputStream {
  write(text: string): void;
}

/**
 * Everything a command touches outside itself, injected by `main.ts` (the only file that sees
 * `process`), so tests run commands in-process with a fake or a loopback repository.
 */
export interface CliEnvironment {
  stdout: OutputStream;
  stderr: OutputStream;
  readFile(path: string): Promise<string>;
  /** Replaces a file atomically, creating its directory. */
  writeFileAtomic(path: string, content: string): Promise<void>;
  listDirectory(path: string): Promise<string[]>;
  /** Opens a repository client from the global flags (reads --cert/--key/--ca). */
  connect(options: GlobalOptions): Promise<ContractRepositoryClient>;
  clock: Clock;
  /** `$XDG_STATE_HOME` (or `$HOME/.local/state`): where the audit checkpoint lives by default. */
  stateDirectory: string;
  /** `$ACCORDCTL_CONFIG`: the config file used when `--config` is not given. */
  configPathFromEnvironment: string | undefined;
  version: string;
}
