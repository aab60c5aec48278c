import type { AuditEntry } from '../lib/contract/audit-chain.js';

/**
 * An audit entry as every store keeps it: hashes as lower-case hex and the record as its exact
 * canonical JSON text. The file store writes it as one JSON line, the Kubernetes store as the data
 * of one ConfigMap; both read it back through `parseStoredAuditEntry`.
 */
export interface StoredAuditEntry {
  sequence: number;
  previousHash: string;
  hash: string;
  record: string;
}

/** The stored log is damaged beyond what a crash can leave behind: refuse to start. */
export class CorruptStoreError extends Error {
  override readonly name = 'CorruptStoreError';
}

const hexSha256 = /^[0-9a-f]{64}$/;

export function toStoredAuditEntry(entry: AuditEntry): StoredAuditEntry {
  return {
    sequence: entry.sequence,
    previousHash: Buffer.from(entry.previousHash).toString('hex'),
    hash: Buffer.from(entry.hash).toString('hex'),
    record: new TextDecoder().decode(entry.record),
  };
}

/**
 * Checks stored fields and turns them back into an entry; `where` (e.g. `audit log line 7`) starts
 * every error message. The hash chain itself is verified by the caller.
 */
export function parseStoredAuditEntry(
  fields: Partial<Record<keyof StoredAuditEntry, unknown>>,
  where: string,
): AuditEntry {
  const fail = (reason: string): never => {
    throw new CorruptStoreError(`${where}: ${reason}`);
  };
  const { sequence, previousHash, hash, record } = fields;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 1)
    return fail('sequence is not a positive integer');
  if (typeof previousHash !== 'string' || !hexSha256.test(previousHash))
    return fail('previousHash is not hex SHA-256');
  if (typeof hash !== 'string' || !hexSha256.test(hash)) return fail('hash is not hex SHA-256');
  if (typeof record !== 'string') return fail('record is missing or not a string');
  return {
    sequence,
    previousHash: new Uint8Array(Buffer.from(previousHash, 'hex')),
    hash: new Uint8Array(Buffer.from(hash, 'hex')),
    record: new TextEncoder().encode(record),
  };
}
