import { createHash, timingSafeEqual } from 'node:crypto';
import { canonicalJson, type JsonValue } from './canonical-json.js';

/**
 * What happened to a contract: its own life, and its participants' root rotations
 * (docs/root-rotation.md).
 */
export type AuditAction =
  | 'propose'
  | 'approve'
  | 'revoke'
  | 'delete'
  | 'announce-root'
  | 'activate-root'
  | 'acknowledge-root'
  | 'revoke-root';

const auditActions: ReadonlySet<string> = new Set<AuditAction>([
  'propose',
  'approve',
  'revoke',
  'delete',
  'announce-root',
  'activate-root',
  'acknowledge-root',
  'revoke-root',
]);

/**
 * One change, as recorded: who (`actor`, a SPIFFE ID), what (`action`, `details`), when (`time`,
 * RFC 3339 UTC with milliseconds), to which contract, at which position (`sequence`, from 1).
 * The record's canonical JSON (canonical-json.ts) is what the chain hashes.
 */
export interface AuditRecord {
  readonly sequence: number;
  readonly time: string;
  readonly actor: string;
  readonly action: AuditAction;
  readonly contractId: string;
  readonly details: Readonly<Record<string, JsonValue>>;
}

/** One link of the chain, as stored and served: `hash = SHA-256(previousHash || record)`. */
export interface AuditEntry {
  readonly sequence: number;
  /** Canonical JSON bytes of the `AuditRecord`. */
  readonly record: Uint8Array;
  /** `hash` of the entry before; 32 zero bytes for sequence 1. */
  readonly previousHash: Uint8Array;
  readonly hash: Uint8Array;
}

/** A position in the chain a verifier already trusts, e.g. a head it saw earlier. */
export interface AuditCheckpoint {
  readonly sequence: number;
  readonly hash: Uint8Array;
}

/** Thrown when a chain does not verify; `sequence` is the first entry at fault. */
export class AuditChainError extends Error {
  override readonly name = 'AuditChainError';

  constructor(
    message: string,
    readonly sequence: number,
  ) {
    super(message);
  }
}

/** The `previousHash` of the first entry. */
export const auditGenesisHash: Uint8Array = new Uint8Array(32);

/** The checkpoint before the first entry: where a full verification starts. */
export const auditGenesis: AuditCheckpoint = { sequence: 0, hash: auditGenesisHash };

/** Encodes a record as its canonical JSON bytes. */
export function encodeAuditRecord(record: AuditRecord): Uint8Array {
  return new TextEncoder().encode(
    canonicalJson({
      sequence: record.sequence,
      time: record.time,
      actor: record.actor,
      action: record.action,
      contractId: record.contractId,
      details: record.details,
    }),
  );
}

/**
 * Decodes record bytes, insisting that they are canonical: a record that decodes but is not in
 * canonical form could hide two meanings behind one hash, so it is rejected.
 */
export function decodeAuditRecord(bytes: Uint8Array): AuditRecord {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('record is not an object');
  const fields = value as Record<string, unknown>;
  const { sequence, time, actor, action, contractId, details } = fields;
  if (Object.keys(fields).length !== 6) throw new TypeError('record must have exactly six fields');
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 1) {
    throw new TypeError('record.sequence is not a positive integer');
  }
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time)) || new Date(time).toISOString() !== time) {
    throw new TypeError('record.time is not an RFC 3339 UTC timestamp with milliseconds');
  }
  if (typeof actor !== 'string') throw new TypeError('record.actor is not a string');
  if (typeof action !== 'string' || !auditActions.has(action))
    throw new TypeError('record.action is unknown');
  if (typeof contractId !== 'string') throw new TypeError('record.contractId is not a string');
  if (typeof details !== 'object' || details === null || Array.isArray(details)) {
    throw new TypeError('record.details is not an object');
  }
  const record: AuditRecord = {
    sequence,
    time,
    actor,
    action: action as AuditAction,
    contractId,
    details: details as Record<string, JsonValue>,
  };
  if (canonicalJson(record as unknown as JsonValue) !== text)
    throw new TypeError('record is not canonical JSON');
  return record;
}

/** `SHA-256(previousHash || record)`: the link that makes every earlier entry tamper-evident. */
export function auditEntryHash(previousHash: Uint8Array, record: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(previousHash).update(record).digest());
}

/** Builds the entry that follows `previous` for `record` (whose sequence must be `previous.sequence + 1`). */
export function chainAuditRecord(previous: AuditCheckpoint, record: AuditRecord): AuditEntry {
  if (record.sequence !== previous.sequence + 1) {
    throw new RangeError(`record sequence ${record.sequence} does not follow ${previous.sequence}`);
  }
  const bytes = encodeAuditRecord(record);
  return {
    sequence: record.sequence,
    record: bytes,
    previousHash: previous.hash,
    hash: auditEntryHash(previous.hash, bytes),
  };
}

/**
 * Verifies a chain incrementally (pages from the AuditLog RPC, lines from a file). It detects an
 * edited record or hash, reordered or missing entries (sequence gaps, broken links), and, given a
 * checkpoint, a chain that was cut or rewritten below it.
 */
export class AuditChainVerifier {
  #head: AuditCheckpoint;
  readonly #checkpoint: AuditCheckpoint | undefined;

  /**
   * @param start where verification begins (the genesis by default; a trusted earlier head to
   *   verify only newer entries)
   * @param checkpoint a `{sequence, hash}` the chain must still contain
   */
  constructor(start: AuditCheckpoint = auditGenesis, checkpoint?: AuditCheckpoint) {
    this.#head = start;
    this.#checkpoint = checkpoint;
    if (checkpoint?.sequence === start.sequence && !sameBytes(checkpoint.hash, start.hash)) {
      throw new AuditChainError(
        `the chain does not contain checkpoint ${checkpoint.sequence}`,
        checkpoint.sequence,
      );
    }
  }

  /** The last verified position. */
  get head(): AuditCheckpoint {
    return this.#head;
  }

  /** Verifies the next entry and returns its decoded record. */
  add(entry: AuditEntry): AuditRecord {
    const expected = this.#head.sequence + 1;
    if (entry.sequence !== expected) {
      throw new AuditChainError(
        `expected entry ${expected}, found ${entry.sequence} (gap or reordering)`,
        expected,
      );
    }
    if (!sameBytes(entry.previousHash, this.#head.hash)) {
      throw new AuditChainError(
        `entry ${entry.sequence} does not link to the hash of entry ${this.#head.sequence}`,
        entry.sequence,
      );
    }
    if (!sameBytes(entry.hash, auditEntryHash(entry.previousHash, entry.record))) {
      throw new AuditChainError(
        `entry ${entry.sequence} hash does not match its record (edited)`,
        entry.sequence,
      );
    }
    let record: AuditRecord;
    try {
      record = decodeAuditRecord(entry.record);
    } catch (error) {
      throw new AuditChainError(
        `entry ${entry.sequence} record is malformed: ${error instanceof Error ? error.message : String(error)}`,
        entry.sequence,
      );
    }
    if (record.sequence !== entry.sequence) {
      throw new AuditChainError(
        `entry ${entry.sequence} holds the record of sequence ${record.sequence}`,
        entry.sequence,
      );
    }
    const checkpoint = this.#checkpoint;
    if (checkpoint?.sequence === entry.sequence && !sameBytes(checkpoint.hash, entry.hash)) {
      throw new AuditChainError(
        `entry ${entry.sequence} differs from the checkpoint (history rewritten)`,
        entry.sequence,
      );
    }
    this.#head = { sequence: entry.sequence, hash: entry.hash };
    return record;
  }

  /** Ends verification: throws if the chain stopped below the checkpoint (truncation). */
  finish(): AuditCheckpoint {
    const checkpoint = this.#checkpoint;
    if (checkpoint !== undefined && this.#head.sequence < checkpoint.sequence) {
      throw new AuditChainError(
        `the chain ends at ${this.#head.sequence}, below checkpoint ${checkpoint.sequence} (truncated)`,
        this.#head.sequence + 1,
      );
    }
    return this.#head;
  }
}

/**
 * Verifies a whole chain from the genesis and returns its head. Used by the repository on load and
 * by `accordctl audit verify`; throws `AuditChainError` naming the first entry at fault.
 */
export function verifyAuditChain(
  entries: Iterable<AuditEntry>,
  checkpoint?: AuditCheckpoint,
): AuditCheckpoint {
  const verifier = new AuditChainVerifier(auditGenesis, checkpoint);
  for (const entry of entries) verifier.add(entry);
  return verifier.finish();
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.byteLength === right.byteLength && timingSafeEqual(left, right);
}
