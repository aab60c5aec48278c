/** How results are printed: aligned columns for people, JSON for scripts. */
export type OutputFormat = 'table' | 'json';

/** Flags every command accepts: where the repository is and who the caller is. */
export interface GlobalOptions {
  /** An `AccordctlConfig` file supplying the connection flags below that are not given. */
  configPath: string | undefined;
  /** `host:port` of the contract repository. */
  repository: string | undefined;
  /** The caller's SVID (PEM, leaf first). */
  certPath: string | undefined;
  /** The caller's private key (PEM); also the key that signs approvals. */
  keyPath: string | undefined;
  /** Roots that the repository's server certificate chains to (PEM). */
  caPath: string | undefined;
  output: OutputFormat;
}

/** A participant named on the command line; its root is read from `rootPath` when the command runs. */
export interface ParticipantSpec {
  name: string;
  trustDomain: string;
  rootPath: string;
}

/**
 * A parsed accordctl invocation. Parsing is pure and produces this; running it is separate, so
 * the command line can be tested without a server and the runner without argv.
 */
export type CliCommand =
  | { kind: 'help'; topic: string }
  | { kind: 'version' }
  | {
      kind: 'contracts-propose';
      global: GlobalOptions;
      id: string | undefined;
      participants: ParticipantSpec[];
      contractFile: string | undefined;
      isApproving: boolean;
    }
  | { kind: 'contracts-approve'; global: GlobalOptions; id: string }
  | { kind: 'contracts-revoke'; global: GlobalOptions; id: string; reason: string }
  | { kind: 'contracts-delete'; global: GlobalOptions; id: string }
  | { kind: 'contracts-list'; global: GlobalOptions; state: 'proposed' | 'active' | 'revoked' | undefined }
  | { kind: 'contracts-show'; global: GlobalOptions; id: string }
  | { kind: 'audit-verify'; global: GlobalOptions; checkpointPath: string | undefined }
  | { kind: 'bundle-show'; global: GlobalOptions; directory: string };
