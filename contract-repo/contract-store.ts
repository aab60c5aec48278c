import type { AuditEntry } from '../lib/contract/audit-chain.js';

/**
 * Durable storage of the audit log, which is the repository's only source of truth. The file
 * store is the embedded default; a Kubernetes backend (one custom resource per entry, where
 * AlreadyExists means a lost race) implements the same two calls.
 */
export interface ContractStore {
  /**
   * Reads every entry in sequence order, after repairing what a crash may have left behind, and
   * verifies the chain. Called once, before any `append`.
   */
  load(): Promise<AuditEntry[]>;
  /**
   * Appends `entry` if the stored head is still `expectedPreviousSequence` (optimistic
   * concurrency: otherwise throws `AlreadyExistsError`). Resolves only once the entry is durable:
   * an acknowledged write survives a crash.
   */
  append(entry: AuditEntry, expectedPreviousSequence: number): Promise<void>;
  close(): Promise<void>;
}
