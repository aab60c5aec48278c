/**
 * accordctl's exit codes, a contract with the scripts that call it (documented in
 * docs/accordctl.md): never renumber, only add.
 */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** The server refused or failed the request (the gRPC status is printed), or a local check failed. */
  failure: 1,
  /** The command line is wrong: unknown command or flag, missing argument, unreadable input file. */
  usage: 2,
  /** The repository (or, for `root`, the zone PKI) could not be reached (UNAVAILABLE, DEADLINE_EXCEEDED). */
  unreachable: 3,
  /** The audit log does not verify, or it no longer extends the saved checkpoint. */
  auditVerificationFailed: 4,
  /** `--wait` ran out of time; the contract may still become active (the message says whose approval is missing). */
  waitTimedOut: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
