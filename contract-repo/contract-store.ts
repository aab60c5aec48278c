import type { AuditCheckpoint, AuditEntry } from '../lib/contract/audit-chain.js';

/**
 * A snapshot as a store keeps it: the encoded state (`encodeContractSnapshot`) at `head`. The store
 * keeps the bytes as written and hands them back only if they are intact and `head` is still the
 * entry its log holds at that sequence; what the bytes mean is the repository's business.
 */
export interface StoredSnapshot {
  readonly head: AuditCheckpoint;
  readonly bytes: Uint8Array;
}

/** What `load` read: the newest usable snapshot, and the entries after it (every entry without one). */
export interface StoredLog {
  readonly snapshot: StoredSnapshot | undefined;
  /** Verified to chain onto the snapshot's head (onto the genesis without a snapshot). */
  readonly entries: AuditEntry[];
}

/**
 * Durable storage of the audit log, which is the repository's only source of truth, plus snapshots
 * of the state it folds to, which only make starting fast: a store that loses or refuses its
 * snapshot loads every entry instead. The file store is the embedded default and has one writer;
 * the Kubernetes store (one immutable ConfigMap per entry, where AlreadyExists means a lost race) is
 * shared by several repository replicas and also implements `readAfter`, through which each
 * replica learns what the others appended.
 */
export interface ContractStore {
  /**
   * Reads the newest snapshot that is intact and belongs to this log, and every entry after it,
   * after repairing what a crash may have left behind, and verifies that they chain. Called once,
   * before any other call. A snapshot `isReadableSnapshot` says no to (one an earlier version
   * wrote in another format) is ignored like a damaged one: every entry is read instead.
   */
  load(isReadableSnapshot?: (bytes: Uint8Array) => boolean): Promise<StoredLog>;
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
  /**
   * Up to `count` entries from `fromSequence` on, never past the store's head: pages of the
   * AuditLog RPC, read from storage because the repository keeps no entries in memory. The
   * caller verifies them (`accordctl audit verify` does, end to end).
   */
  readEntries(fromSequence: number, count: number): Promise<AuditEntry[]>;
  /**
   * Keeps `snapshot` as the one `load` starts from, in place of an older one; `snapshot.head` must
   * be an entry this store holds. Resolves once durable; a crash meanwhile leaves the older one.
   */
  writeSnapshot(snapshot: StoredSnapshot): Promise<void>;
  close(): Promise<void>;
}
