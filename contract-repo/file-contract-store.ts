import { createHash } from 'node:crypto';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditChainVerifier, auditGenesis, type AuditEntry } from '../lib/contract/audit-chain.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  UnavailableError,
  errorMessage,
} from '../lib/errors/accord-error.js';
import { syncDirectory, writeFileAtomic } from '../lib/fs/atomic-write.js';
import { DirectoryLock } from '../lib/fs/directory-lock.js';
import type { Logger } from '../lib/log/logger.js';
import type { ContractStore, StoredLog, StoredSnapshot } from './contract-store.js';
import { CorruptStoreError, parseStoredAuditEntry, toStoredAuditEntry } from './stored-audit-entry.js';

/** Name of the log file inside the data directory. */
export const auditLogFileName = 'audit-log.jsonl';

/** Name of the lock file inside the data directory (`DirectoryLock`: one process per directory). */
export const lockFileName = 'repository.lock';

/** Name of the snapshot file inside the data directory. */
export const snapshotFileName = 'contract-snapshot.json';

/** Identifies the snapshot file's header; a reader ignores any other. */
const snapshotFileFormat = 'accord.dev/contract-snapshot-file/v1';

/**
 * Every this many entries the store remembers where the entry's line starts, so an AuditLog page
 * reads from near its first entry instead of from the start of the file. The index of the entries
 * a snapshot covers is kept in the snapshot file (about 1,200 numbers at 300,000 entries).
 */
const indexStride = 256;

/** How much of the log one read takes. */
const readChunkBytes = 1 << 20;

const newline = 0x0a;

/**
 * One line of the file, newline included: the stored entry as JSON (`record` is the canonical
 * record JSON as a string, hashes are hex). Whatever writes a log file (the store's appends, a
 * benchmark seeding a large store) writes exactly these bytes.
 */
export function auditLogLine(entry: AuditEntry): string {
  return `${JSON.stringify(toStoredAuditEntry(entry))}\n`;
}

/**
 * The first line of the snapshot file; the snapshot's bytes follow it. It binds the bytes to the
 * log: `sequence` and `hash` are the head the snapshot is the state at, `headLineStart` and
 * `logBytes` where that entry's line is in the log (so loading reads that one line to check it
 * and the rest of the log from `logBytes`), `bodySha256` the digest of the bytes.
 */
interface SnapshotFileHeader {
  readonly format: string;
  readonly sequence: number;
  readonly hash: string;
  readonly headLineStart: number;
  readonly logBytes: number;
  readonly bodyBytes: number;
  readonly bodySha256: string;
  readonly indexStride: number;
  /** Byte offsets of the lines of entries 1, 1 + indexStride, 1 + 2 × indexStride, … up to `sequence`. */
  readonly index: readonly number[];
}

/** A complete line of the log: its text and where it starts and ends (after its newline). */
interface LogLine {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The audit log as an append-only JSON-lines file (`<dataDir>/audit-log.jsonl`), one entry per
 * line, plus a snapshot of the repository's state (`<dataDir>/contract-snapshot.json`). An append
 * writes one line and `fdatasync`s before it resolves, so an acknowledged change survives `kill -9`
 * and power loss. On load, a last line without its newline is the one write that was never
 * acknowledged: it is cut off. Anything else in the log that does not parse or verify stops the
 * load, because silently dropping acknowledged history would be worse than not starting.
 *
 * A snapshot is written atomically (temporary file, fsync, rename). Loading starts from it when its
 * digest matches and the log still holds its head entry at the recorded place, and then reads and
 * verifies only the log after it; a snapshot that fails either check is ignored (with a warning)
 * and the whole log is read and verified instead, since the log is the truth and the snapshot only
 * a shortcut. The entries before the snapshot are not read at start; AuditLog pages read them from
 * the file on demand, and `accordctl audit verify` verifies the chain end to end.
 *
 * One process owns the directory: `load` takes an exclusive OS lock on it first (`DirectoryLock`),
 * so a second repository on the same directory refuses to start, naming the holder, instead of
 * interleaving its appends with the first one's (both would acknowledge writes, and the next
 * start would refuse the broken chain). The kernel drops the lock when the holder dies.
 */
export class FileContractStore implements ContractStore {
  readonly #path: string;
  readonly #snapshotPath: string;
  readonly #directory: string;
  readonly #logger: Logger;
  #handle: FileHandle | undefined;
  #lock: DirectoryLock | undefined;
  #headSequence: number | undefined;
  /** Bytes of the log that hold acknowledged entries: where the next line goes. */
  #logBytes = 0;
  /** Line starts of entries 1, 1 + indexStride, …: see `indexStride`. */
  #index: number[] = [];
  #failure: Error | undefined;

  constructor(directory: string, logger: Logger) {
    this.#directory = directory;
    this.#path = join(directory, auditLogFileName);
    this.#snapshotPath = join(directory, snapshotFileName);
    this.#logger = logger;
  }

  async load(isReadableSnapshot: (bytes: Uint8Array) => boolean = () => true): Promise<StoredLog> {
    await mkdir(this.#directory, { recursive: true, mode: 0o700 });
    const lock = await DirectoryLock.acquire(this.#directory, { fileName: lockFileName });
    const handle = await open(this.#path, 'a+', 0o600).catch(async (error: unknown) => {
      await lock.release();
      throw error;
    });
    try {
      await syncDirectory(this.#directory);
      this.#handle = handle;
      const snapshot = await this.#readSnapshot(handle, isReadableSnapshot);
      const entries = await this.#readTail(handle, snapshot);
      this.#lock = lock;
      return { snapshot: snapshot?.stored, entries };
    } catch (error) {
      this.#handle = undefined;
      await handle.close();
      await lock.release();
      throw error;
    }
  }

  /**
   * The snapshot file, if there is one that is intact and belongs to this log; anything else is
   * reported and ignored (the whole log is then read instead).
   */
  async #readSnapshot(
    handle: FileHandle,
    isReadableSnapshot: (bytes: Uint8Array) => boolean,
  ): Promise<{ stored: StoredSnapshot; header: SnapshotFileHeader } | undefined> {
    let file: Buffer;
    try {
      file = await readFile(this.#snapshotPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const headerEnd = file.indexOf(newline);
      if (headerEnd < 0) throw new Error('no header line');
      const header = parseSnapshotHeader(file.subarray(0, headerEnd).toString('utf8'));
      const body = file.subarray(headerEnd + 1);
      if (body.byteLength !== header.bodyBytes) throw new Error('the snapshot is cut short');
      if (createHash('sha256').update(body).digest('hex') !== header.bodySha256)
        throw new Error('the snapshot does not match its digest');
      if (!isReadableSnapshot(body))
        throw new Error('the snapshot is in a format this version does not read');
      const { size } = await handle.stat();
      if (size < header.logBytes) throw new Error(`the log is shorter than the snapshot's head`);
      const { value: line } = await this.#readLines(handle, header.headLineStart, header.logBytes).next();
      if (line?.end !== header.logBytes) throw new Error(`entry ${header.sequence} is not where recorded`);
      const entry = parseLine(line.text, header.sequence);
      if (entry.sequence !== header.sequence || Buffer.from(entry.hash).toString('hex') !== header.hash)
        throw new Error(`the log's entry ${header.sequence} is not the snapshot's head`);
      return { stored: { head: { sequence: entry.sequence, hash: entry.hash }, bytes: body }, header };
    } catch (error) {
      this.#logger.warn('contract snapshot ignored, reading the whole audit log', {
        file: this.#snapshotPath,
        error: errorMessage(error),
      });
      return undefined;
    }
  }

  /**
   * Reads the log after the snapshot (all of it without one), drops a torn (never acknowledged)
   * last line, and checks that the entries chain onto the snapshot's head.
   */
  async #readTail(
    handle: FileHandle,
    snapshot: { stored: StoredSnapshot; header: SnapshotFileHeader } | undefined,
  ): Promise<AuditEntry[]> {
    const start = snapshot?.header.logBytes ?? 0;
    const head = snapshot?.stored.head ?? auditGenesis;
    this.#index = [...(snapshot?.header.index ?? [])];
    const verifier = new AuditChainVerifier(head);
    const entries: AuditEntry[] = [];
    let end = start;
    for await (const line of this.#readLines(handle, start, Number.POSITIVE_INFINITY)) {
      const entry = parseLine(line.text, head.sequence + entries.length + 1);
      try {
        verifier.add(entry);
      } catch (error) {
        throw new CorruptStoreError(`audit log ${this.#path} does not verify: ${errorMessage(error)}`, {
          cause: error,
        });
      }
      if ((entry.sequence - 1) % indexStride === 0) this.#index.push(line.start);
      entries.push(entry);
      end = line.end;
    }
    const { size } = await handle.stat();
    if (size > end) {
      this.#logger.warn('dropping torn last audit log line', {
        file: this.#path,
        keptBytes: end,
        droppedBytes: size - end,
      });
      await handle.truncate(end);
      await handle.datasync();
    }
    this.#logBytes = end;
    this.#headSequence = verifier.head.sequence;
    return entries;
  }

  /**
   * The complete lines of the log from byte `from` (a line start) until `to` or the end, read a
   * chunk at a time so that a log of any size never becomes one string. A last line without its
   * newline is not returned.
   */
  async *#readLines(handle: FileHandle, from: number, to: number): AsyncGenerator<LogLine, void, undefined> {
    let position = from;
    let carry = Buffer.alloc(0);
    const chunk = Buffer.alloc(readChunkBytes);
    while (position - carry.byteLength < to) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, position);
      if (bytesRead === 0) return;
      const bytes =
        carry.byteLength === 0
          ? chunk.subarray(0, bytesRead)
          : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      const bytesStart = position - carry.byteLength;
      let lineStart = 0;
      for (let lineEnd = bytes.indexOf(newline); lineEnd >= 0; lineEnd = bytes.indexOf(newline, lineStart)) {
        const start = bytesStart + lineStart;
        if (start >= to) return;
        yield { text: bytes.toString('utf8', lineStart, lineEnd), start, end: bytesStart + lineEnd + 1 };
        lineStart = lineEnd + 1;
      }
      carry = Buffer.from(bytes.subarray(lineStart));
      position += bytesRead;
    }
  }

  async append(entry: AuditEntry, expectedPreviousSequence: number): Promise<void> {
    const handle = this.#loadedHandle();
    if (this.#failure !== undefined)
      throw new UnavailableError('the audit log file failed earlier; restart to recover');
    if (expectedPreviousSequence !== this.#headSequence || entry.sequence !== expectedPreviousSequence + 1) {
      throw new AlreadyExistsError(
        `audit sequence ${entry.sequence} conflicts with stored head ${String(this.#headSequence)}`,
      );
    }
    const line = Buffer.from(auditLogLine(entry), 'utf8');
    try {
      await handle.appendFile(line);
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
    if ((entry.sequence - 1) % indexStride === 0) this.#index.push(this.#logBytes);
    this.#logBytes += line.byteLength;
    this.#headSequence = entry.sequence;
  }

  async readEntries(fromSequence: number, count: number): Promise<AuditEntry[]> {
    const handle = this.#loadedHandle();
    const head = this.#headSequence ?? 0;
    const first = Math.max(1, fromSequence);
    const last = Math.min(head, first + count - 1);
    const entries: AuditEntry[] = [];
    if (last < first) return entries;
    const slot = Math.floor((first - 1) / indexStride);
    const start = this.#index[slot];
    if (start === undefined) throw new CorruptStoreError(`no index for audit log entry ${first}`);
    let sequence = slot * indexStride + 1;
    for await (const line of this.#readLines(handle, start, this.#logBytes)) {
      if (sequence >= first) entries.push(parseLine(line.text, sequence));
      if (sequence >= last) break;
      sequence += 1;
    }
    return entries;
  }

  async writeSnapshot(snapshot: StoredSnapshot): Promise<void> {
    const handle = this.#loadedHandle();
    const { sequence } = snapshot.head;
    const hash = Buffer.from(snapshot.head.hash).toString('hex');
    const slot = Math.floor((sequence - 1) / indexStride);
    const slotStart = this.#index[slot];
    if (sequence > (this.#headSequence ?? 0) || slotStart === undefined)
      throw new FailedPreconditionError(`audit log ${this.#path} holds no entry ${sequence}`);
    let line: LogLine | undefined;
    let lineSequence = slot * indexStride + 1;
    for await (const each of this.#readLines(handle, slotStart, this.#logBytes)) {
      if (lineSequence === sequence) {
        line = each;
        break;
      }
      lineSequence += 1;
    }
    const entry = line === undefined ? undefined : parseLine(line.text, sequence);
    if (line === undefined || entry === undefined || Buffer.from(entry.hash).toString('hex') !== hash)
      throw new FailedPreconditionError(
        `audit log ${this.#path} entry ${sequence} is not the snapshot's head`,
      );
    const header: SnapshotFileHeader = {
      format: snapshotFileFormat,
      sequence,
      hash,
      headLineStart: line.start,
      logBytes: line.end,
      bodyBytes: snapshot.bytes.byteLength,
      bodySha256: createHash('sha256').update(snapshot.bytes).digest('hex'),
      indexStride,
      index: this.#index.slice(0, slot + 1),
    };
    await writeFileAtomic(
      this.#snapshotPath,
      Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), snapshot.bytes]),
      { mode: 0o600 },
    );
  }

  #loadedHandle(): FileHandle {
    const handle = this.#handle;
    if (handle === undefined || this.#headSequence === undefined)
      throw new FailedPreconditionError('the store is not loaded');
    return handle;
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

function parseSnapshotHeader(text: string): SnapshotFileHeader {
  const header = JSON.parse(text) as Partial<Record<keyof SnapshotFileHeader, unknown>>;
  const isOffset = (value: unknown): value is number =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  if (header.format !== snapshotFileFormat) throw new Error(`the header is not ${snapshotFileFormat}`);
  if (header.indexStride !== indexStride) throw new Error(`the index stride is not ${indexStride}`);
  const { sequence, hash, headLineStart, logBytes, bodyBytes, bodySha256, index } = header;
  if (!isOffset(sequence) || sequence < 1) throw new Error('the header has no sequence');
  if (typeof hash !== 'string' || typeof bodySha256 !== 'string')
    throw new Error('the header has no digests');
  if (!isOffset(headLineStart) || !isOffset(logBytes) || !isOffset(bodyBytes) || headLineStart >= logBytes)
    throw new Error('the header has no valid offsets');
  if (
    !Array.isArray(index) ||
    index.length !== Math.floor((sequence - 1) / indexStride) + 1 ||
    !index.every(isOffset)
  )
    throw new Error('the header has no valid index');
  return {
    format: snapshotFileFormat,
    sequence,
    hash,
    headLineStart,
    logBytes,
    bodyBytes,
    bodySha256,
    indexStride,
    index,
  };
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
