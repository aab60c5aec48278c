import type { AuditCheckpoint, AuditEntry } from '../lib/contract/audit-chain.js';

/**
 * Durable storage of the audit log, which is the repository's only source of truth. The file
 * store is the embedded default and has one writer; the Kubernetes store (one immutable ConfigMap
 * per entry, where AlreadyExists means a lost race) is shared by several repository replicas and
 * also implements `readAfter`, through which each replica learns what the others appended.
 */
export interface ContractStore {
  /**
   * Reads every entry in sequence order, after repairing what a crash may have left behind, and
   * verifies the chain. Called once, before any `append` or `readAfter`.
   */
  load(): Promise<AuditEntry[]>;
  /**
   * Appends `entry` if the stored head is still `expectedPreviousSequence` (optimistic
   * concurrency: otherwise throws `AlreadyExistsError`). Resolves only once the entry is durable:
   * an acknowledged write survives a crash.
   */
  append(entry: AuditEntry, expectedPreviousSequence: number): Promise<void>;
  /**
   * The entries other writers appended after `after`, which must be this store's head (what it
   * loaded, appended or read last), oldest first; empty when there are none. Every returned entry
   * is verified to chain onto `after`, and the head `append` expects moves to the last one.
   * Throws `CorruptStoreError` for an entry that does not verify (and from then on refuses to read
   * or append), `UnavailableError` when the backend cannot be read right now (retrying may help).
   *
   * Only a store that several writers share implements it. Without it the store is single-writer
   * by design (the file store: one process owns the directory), the repository never follows it,
   * and an `AlreadyExistsError` from `append` is final.
   */
  readAfter?(after: AuditCheckpoint): Promise<AuditEntry[]>;
  close(): Promise<void>;
}
