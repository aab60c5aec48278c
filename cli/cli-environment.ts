import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';
import type { SvidRequest, SvidSnapshot } from '../lib/identity/svid-source.js';
import type { Clock } from '../lib/time/clock.js';
import type { Timers } from '../lib/time/timers.js';
import type { ConsentTimestamper } from '../lib/contract/consent-timestamp.js';
import type { PkiRootRotationClient } from '../lib/identity/pki-root-rotation-client.js';
import type { Connection } from './connection-options.js';

/** What signing consent needs of a connection: the caller's files and its zone PKI. */
export interface ConsentConnection {
  readonly certPath: string;
  readonly keyPath: string;
  readonly pki: NonNullable<Connection['pki']>;
}

/** Where accordctl writes: stdout for results, stderr for diagnostics. */
export interface OutputStream {
  write(text: string): void;
}

/**
 * Everything a command touches outside itself, injected by `main.ts` (the only file that sees
 * `process`), so tests run commands in-process with a fake or a loopback repository and PKI.
 */
export interface CliEnvironment {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Reads all of standard input (`--token-file -`). */
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
  /** Whether a file exists (a missing default config file is not an error). */
  fileExists(path: string): Promise<boolean>;
  /** Replaces a file atomically with mode 0600, creating its directory (0700). */
  writeFileAtomic(path: string, content: string): Promise<void>;
  listDirectory(path: string): Promise<string[]>;
  /** Opens a repository client for a resolved connection (reads its --ca, --cert and --key files). */
  connect(connection: Connection): Promise<ContractRepositoryClient>;
  /** Asks a zone PKI for an X509-SVID (CSR + SignCSR). */
  requestSvid(request: SvidRequest): Promise<SvidSnapshot>;
  /**
   * Opens the caller's zone PKI as the caller (mTLS with `--cert`/`--key`) for `TimestampConsent`:
   * every approval and revocation is timestamped by the signer's own PKI.
   */
  openConsentTimestamper(
    connection: ConsentConnection,
  ): Promise<{ timestamp: ConsentTimestamper; close(): void }>;
  /**
   * Opens the caller's zone PKI as the caller for its root rotation calls (`accordctl root …`),
   * which it reserves to the zone's designated approvers.
   */
  openPkiRootRotation(
    connection: ConsentConnection,
  ): Promise<{ rootRotation: PkiRootRotationClient; close(): void }>;
  clock: Clock;
  /** Schedules `--timeout`s; injected so tests fire them without waiting. */
  timers: Timers;
  /** Aborted on SIGINT or SIGTERM: `contracts watch` ends cleanly, a `--wait` is cancelled. */
  interrupted: AbortSignal;
  /** `$XDG_STATE_HOME` (or `$HOME/.local/state`): where the audit checkpoint lives by default. */
  stateDirectory: string;
  /** `$XDG_CONFIG_HOME` (or `$HOME/.config`): the default config file is `<it>/accord/accordctl.yaml`. */
  configDirectory: string;
  /** `$ACCORDCTL_CONFIG`: the config file used when `--config` is not given. */
  configPathFromEnvironment: string | undefined;
  version: string;
  /** Where `npm run build` put the console's browser files (`dist/cli/console/web`). */
  consoleAssetDirectory: string;
  /** Opens a URL in the user's browser (`accordctl console --open`). */
  openInBrowser(url: string): Promise<void>;
}
