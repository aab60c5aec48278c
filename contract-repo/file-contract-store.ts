import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyAuditChain, type AuditEntry } from '../lib/contract/audit-chain.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  UnavailableError,
  errorMessage,
} from '../lib/errors/accord-error.js';
import { syncDirectory } from '../lib/fs/atomic-write.js';
import { DirectoryLock } from '../lib/fs/directory-lock.js';
import type { Logger } from '../lib/log/logger.js';
import type { ContractStore } from './contract-store.js';
import { CorruptStoreError, parseStoredAuditEntry, toStoredAuditEntry } from './stored-audit-entry.js';

/** Name of the log file inside the data directory. */
export const auditLogFileName = 'audit-log.jsonl';

/** Name of the lock file inside the data directory (`DirectoryLock`: one process per directory). */
export const lockFileName = 'repository.lock';

/**
 * One line of the file, newline included: the stored entry as JSON (`record` is the canonical
 * record JSON as a string, hashes are hex). Whatever writes a log file (the store's appends, a
 * benchmark seeding a large store) writes exactly these bytes.
 */
export function auditLogLine(entry: AuditEntry): string {
  return `${JSON.stringify(toStoredAuditEntry(entry))}\n`;
}

/**
 * The audit log as an append-only JSON-lines file (`<dataDir>/audit-log.jsonl`), one entry per
 * line. An append writes one line and `fdatasync`s before it resolves, so an acknowledged change
 * survives `kill -9` and power loss. On load, a last line without its newline is the one write
 * that was never acknowledged: it is cut off. Anything else that does not parse or verify stops
 * the load, because silently dropping acknowledged history would be worse than not starting.
 * One process owns the directory: `load` takes an exclusive OS lock on it first (`DirectoryLock`),
 * so a second repository on the same directory refuses to start, naming the holder, instead of
 * interleaving its appends with the first one's (both would acknowledge writes, and the next
 * start would refuse the broken chain). The kernel drops the lock when the holder dies.
 */
export class FileContractStore implements ContractStore {
  readonly #path: string;
  readonly #directory: string;
  readonly #logger: Logger;
  #handle: FileHandle | undefined;
  #lock: DirectoryLock | undefined;
  #headSequence: number | undefined;
  #failure: Error | undefined;

  constructor(directory: string, logger: Logger) {
    this.#directory = directory;
    this.#path = join(directory, auditLogFileName);
    this.#logger = logger;
  }

  async load(): Promise<AuditEntry[]> {
    await mkdir(this.#directory, { recursive: true, mode: 0o700 });
    const lock = await DirectoryLock.acquire(this.#directory, { fileName: lockFileName });
    const handle = await open(this.#path, 'a+', 0o600).catch(async (error: unknown) => {
      await lock.release();
      throw error;
    });
    try {
      const entries = await this.#readVerifiedEntries(handle);
      this.#handle = handle;
      this.#lock = lock;
      this.#headSequence = entries.at(-1)?.sequence ?? 0;
      return entries;
    } catch (error) {
      await handle.close();
      await lock.release();
      throw error;
    }
  }

  /** Reads the log, drops a torn (never acknowledged) last line, and checks the hash chain. */
  async #readVerifiedEntries(handle: FileHandle): Promise<AuditEntry[]> {
    await syncDirectory(this.#directory);
    const text = (await handle.readFile()).toString('utf8');
    const lastNewline = text.lastIndexOf('\n');
    const complete = text.slice(0, lastNewline + 1);
    if (complete.length < text.length) {
      const keptBytes = Buffer.byteLength(complete, 'utf8');
      this.#logger.warn('dropping torn last audit log line', {
        file: this.#path,
        keptBytes,
        droppedBytes: Buffer.byteLength(text, 'utf8') - keptBytes,
      });
      await handle.truncate(keptBytes);
      await handle.datasync();
    }
    const entries = complete
      .split('\n')
      .slice(0, -1)
      .map((line, index) => parseLine(line, index + 1));
    try {
      verifyAuditChain(entries);
    } catch (error) {
      throw new CorruptStoreError(`audit log ${this.#path} does not verify: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    return entries;
  }

  async append(entry: AuditEntry, expectedPreviousSequence: number): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined || this.#headSequence === undefined)
      throw new FailedPreconditionError('the store is not loaded');
    if (this.#failure !== undefined)
      throw new UnavailableError('the audit log file failed earlier; restart to recover');
    if (expectedPreviousSequence !== this.#headSequence || entry.sequence !== expectedPreviousSequence + 1) {
      throw new AlreadyExistsError(
        `audit sequence ${entry.sequence} conflicts with stored head ${this.#headSequence}`,
      );
    }
    try {
      await handle.appendFile(auditLogLine(entry));
      await handle.datasync();
    } catch (error) {
      this.#failure = error instanceof Error ? error : new Error(String(error));
      this.#logger.error('audit log append failed', {
        file: this.#path,
        sequence: entry.sequence,
        error: errorMessage(error),
      });
      throw new UnavailableError('the audit log could not be written', { cause: error });
    }
    this.#headSequence = entry.sequence;
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    const lock = this.#lock;
    this.#handle = undefined;
    this.#lock = undefined;
    await handle?.close();
    await lock?.release();
  }
}

function parseLine(line: string, lineNumber: number): AuditEntry {
  const where = `audit log line ${lineNumber}`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new CorruptStoreError(`${where}: not JSON`);
  }
  if (typeof value !== 'object' || value === null) throw new CorruptStoreError(`${where}: not an object`);
  return parseStoredAuditEntry(value, where);
}
