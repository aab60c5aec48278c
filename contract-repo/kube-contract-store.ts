import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { KubeCoreApi } from '../lib/kube/kube-core-api.js';
import type { V1ConfigMap, V1ConfigMapList } from '../lib/kube/kube-objects.js';
import {
  AuditChainVerifier,
  auditGenesis,
  verifyAuditChain,
  type AuditCheckpoint,
  type AuditEntry,
} from '../lib/contract/audit-chain.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  UnavailableError,
  errorMessage,
} from '../lib/errors/accord-error.js';
import { KubeStatus, isKubeStatus, kubeErrorReason } from '../lib/kube/kube-errors.js';
import type { Logger } from '../lib/log/logger.js';
import {
  auditEntryFromConfigMap,
  auditEntryObjectName,
  auditEntryToConfigMap,
  auditLogSelector,
  auditSegmentEntries,
  auditSegmentOf,
  auditSegmentSelector,
} from './audit-entry-config-map.js';
import type { ContractStore, StoredLog, StoredSnapshot } from './contract-store.js';
import {
  maxSnapshotChunks,
  snapshotChunkBytes,
  snapshotChunkFromConfigMap,
  snapshotChunkName,
  snapshotChunkToConfigMap,
  snapshotPointerFromConfigMap,
  snapshotPointerName,
  snapshotPointerToConfigMap,
  type SnapshotPointer,
} from './snapshot-config-map.js';
import { CorruptStoreError } from './stored-audit-entry.js';
import { systemClock, type Clock } from '../lib/time/clock.js';

/** Where the log lives in the hub cluster. */
export interface KubeContractStoreOptions {
  readonly namespace: string;
  /** Names the log (label value and object name prefix), so several logs can share a namespace. */
  readonly logName: string;
  /** Objects per list call on load; the API server's default page is unbounded, so always set one. */
  readonly listPageSize?: number;
  /** Most entries one `readAfter` returns (one GET each); the caller reads again for the rest. */
  readonly readAfterBatchSize?: number;
  /** Dates snapshot claims; defaults to the system clock. */
  readonly clock?: Clock;
}

/** GETs in flight at once when reading many entries (the tail after a snapshot, AuditLog pages). */
const readWindow = 32;

/** A snapshot claim older than this is taken to be a writer that died, and may be taken over. */
const snapshotClaimTimeoutMs = 10 * 60 * 1000;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Large enough that 10,000 entries load in 20 calls, small enough to keep each response modest. */
const defaultListPageSize = 500;

/** A follower seconds behind is a handful of entries behind; a larger gap is read over a few calls. */
const defaultReadAfterBatchSize = 100;

/**
 * The audit log as one immutable ConfigMap per entry in the hub cluster (see
 * `audit-entry-config-map.ts` for names, labels and data). etcd gives the durability: an
 * acknowledged create is committed. Creating the object of sequence N *is* the append, and the
 * API server accepts one create per name, so when two replicas race for N exactly one wins and the
 * other gets AlreadyExists. Load lists the objects page by page and verifies the whole chain;
 * a gap, a stray object or a broken link stops the start (nothing is ever deleted to "repair").
 *
 * Several repository replicas share one log: each learns what the others appended through
 * `readAfter`, which GETs the objects named for the sequences after its head until one is missing
 * (a quorum read, so after losing the race for N it always finds N). It needs only `get`, costs
 * one small call per poll when nothing changed, and verifies every entry against the head before
 * returning it; an entry that does not verify stops this store for good.
 */
export class KubeContractStore implements ContractStore {
  readonly #core: KubeCoreApi;
  readonly #namespace: string;
  readonly #logName: string;
  readonly #listPageSize: number;
  readonly #readAfterBatchSize: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** What this store last loaded, appended or read; `undefined` before `load` and after `close`. */
  #head: AuditCheckpoint | undefined;
  /**
   * A create failed without an answer: it may or may not have been committed, so appends wait
   * until `readAfter` has read the truth (the entry is then found as if another writer made it).
   */
  #isHeadUnknown = false;
  /** Why the log stopped verifying; every later call throws it. */
  #corruption: CorruptStoreError | undefined;

  constructor(core: KubeCoreApi, options: KubeContractStoreOptions, logger: Logger) {
    this.#core = core;
    this.#namespace = options.namespace;
    this.#logName = options.logName;
    this.#listPageSize = options.listPageSize ?? defaultListPageSize;
    this.#readAfterBatchSize = options.readAfterBatchSize ?? defaultReadAfterBatchSize;
    this.#clock = options.clock ?? systemClock;
    this.#logger = logger;
  }

  /**
   * Starts from the published snapshot when there is one that is intact (its chunks hash to the
   * pointer's digest) and whose head is the entry the log holds at that sequence, then GETs the
   * entries after it; otherwise lists and verifies every entry, as without snapshots. Only reads
   * that fail outright (the API server is unavailable) stop the load.
   */
  async load(isReadableSnapshot: (bytes: Uint8Array) => boolean = () => true): Promise<StoredLog> {
    const snapshot = await this.#readSnapshot(isReadableSnapshot);
    if (snapshot === undefined) return { snapshot: undefined, entries: await this.#loadAll() };
    const listed = await this.#listSegments(snapshot.head.sequence + 1, Number.POSITIVE_INFINITY);
    const entries = [
      ...listed,
      ...(await this.#readRange(snapshot.head.sequence + listed.length + 1, Number.POSITIVE_INFINITY)),
    ];
    try {
      const verifier = new AuditChainVerifier(snapshot.head);
      for (const entry of entries) verifier.add(entry);
      this.#head = verifier.head;
    } catch (error) {
      throw new CorruptStoreError(`audit log ${this.#describe()} does not verify: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    return { snapshot, entries };
  }

  /** The published snapshot, or `undefined` (with a warning when one exists but cannot be used). */
  async #readSnapshot(
    isReadableSnapshot: (bytes: Uint8Array) => boolean,
  ): Promise<StoredSnapshot | undefined> {
    const pointerObject = await this.#readObject(snapshotPointerName(this.#logName), 'the snapshot pointer');
    if (pointerObject === undefined) return undefined;
    try {
      const published = snapshotPointerFromConfigMap(pointerObject).published;
      if (published === undefined) return undefined;
      const chunks = await Promise.all(
        Array.from({ length: published.chunks }, async (_, index) => {
          const name = snapshotChunkName(this.#logName, published.slot, index);
          const chunk = await this.#readObject(name, `snapshot chunk ${name}`);
          if (chunk === undefined) throw new Error(`snapshot chunk ${name} is missing`);
          return snapshotChunkFromConfigMap(chunk);
        }),
      );
      const compressed = Buffer.concat(chunks);
      if (createHash('sha256').update(compressed).digest('hex') !== published.sha256)
        throw new Error('the snapshot chunks do not match the digest');
      const headObject = await this.#readEntryObject(published.sequence);
      const head = headObject === undefined ? undefined : auditEntryFromConfigMap(this.#logName, headObject);
      if (head === undefined || Buffer.from(head.hash).toString('hex') !== published.hash)
        throw new Error(`the log's entry ${published.sequence} is not the snapshot's head`);
      const bytes = await gunzipAsync(compressed);
      if (!isReadableSnapshot(bytes))
        throw new Error('the snapshot is in a format this version does not read');
      return { head: { sequence: head.sequence, hash: head.hash }, bytes };
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      this.#logger.warn('contract snapshot ignored, reading the whole audit log', {
        namespace: this.#namespace,
        logName: this.#logName,
        error: errorMessage(error),
      });
      return undefined;
    }
  }

  async #loadAll(): Promise<AuditEntry[]> {
    const entries = (await this.#listAll())
      .map((configMap) => auditEntryFromConfigMap(this.#logName, configMap))
      .sort((left, right) => left.sequence - right.sequence);
    try {
      verifyAuditChain(entries);
    } catch (error) {
      throw new CorruptStoreError(`audit log ${this.#describe()} does not verify: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const last = entries.at(-1);
    this.#head = last === undefined ? auditGenesis : { sequence: last.sequence, hash: last.hash };
    return entries;
  }

  /**
   * Every entry object (of the selector, by default the whole log), following `continue` tokens. The pages of one list are served from the
   * snapshot of its first call, so together they are one consistent view of the log.
   */
  async #listAll(labelSelector = auditLogSelector(this.#logName)): Promise<V1ConfigMap[]> {
    const configMaps: V1ConfigMap[] = [];
    let continueToken: string | undefined;
    do {
      const page = await this.#listPage(labelSelector, continueToken);
      configMaps.push(...page.items);
      const next = page.metadata?.continue;
      continueToken = next === undefined || next === '' ? undefined : next;
    } while (continueToken !== undefined);
    return configMaps;
  }

  /**
   * The entries from `first` up to `last` (or on), in order, listed a segment at a time
   * (`auditSegmentLabel`) for as long as each segment holds every entry from `first` to its end:
   * the tail after a snapshot, or an AuditLog page, in a few list calls instead of a GET per entry.
   * Stops at the first entry a list does not return (the head, or an object written without the
   * label, which the caller then reads one by one). Each object is checked to be the entry its
   * name says; the chain is the caller's to verify.
   */
  async #listSegments(first: number, last: number): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    for (let segment = auditSegmentOf(first); segment <= auditSegmentOf(last); segment += 1) {
      const bySequence = new Map<number, AuditEntry>();
      for (const configMap of await this.#listAll(auditSegmentSelector(this.#logName, segment))) {
        const entry = auditEntryFromConfigMap(this.#logName, configMap);
        bySequence.set(entry.sequence, entry);
      }
      const end = Math.min(last, (segment + 1) * auditSegmentEntries);
      for (let sequence = first + entries.length; sequence <= end; sequence += 1) {
        const entry = bySequence.get(sequence);
        if (entry === undefined) return entries;
        entries.push(entry);
      }
    }
    return entries;
  }

  async #listPage(labelSelector: string, continueToken: string | undefined): Promise<V1ConfigMapList> {
    try {
      return await this.#core.listNamespacedConfigMap({
        namespace: this.#namespace,
        labelSelector,
        limit: this.#listPageSize,
        ...(continueToken === undefined ? {} : { continue: continueToken }),
      });
    } catch (error) {
      throw new UnavailableError(`the audit log ${this.#describe()} could not be listed`, { cause: error });
    }
  }

  async append(entry: AuditEntry, expectedPreviousSequence: number): Promise<void> {
    const head = this.#usableHead();
    if (this.#isHeadUnknown)
      throw new UnavailableError(
        'an audit log write failed earlier; waiting to read whether it was committed',
      );
    if (expectedPreviousSequence !== head.sequence || entry.sequence !== expectedPreviousSequence + 1) {
      throw new AlreadyExistsError(
        `audit sequence ${entry.sequence} conflicts with stored head ${head.sequence}`,
      );
    }
    try {
      await this.#core.createNamespacedConfigMap({
        namespace: this.#namespace,
        body: auditEntryToConfigMap(this.#namespace, this.#logName, entry),
      });
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.conflict)) {
        throw new AlreadyExistsError(
          `audit sequence ${entry.sequence} was already appended to ${this.#describe()} by another writer`,
          { cause: error },
        );
      }
      // The create may or may not have been committed, so this store's head is unknown until
      // `readAfter` reads it back: refuse appends until then.
      this.#isHeadUnknown = true;
      this.#logger.error('audit log append failed', {
        namespace: this.#namespace,
        logName: this.#logName,
        sequence: entry.sequence,
        error: errorMessage(error),
      });
      throw new UnavailableError('the audit log could not be written', { cause: error });
    }
    this.#head = { sequence: entry.sequence, hash: entry.hash };
  }

  async readAfter(after: AuditCheckpoint): Promise<AuditEntry[]> {
    const head = this.#usableHead();
    if (after.sequence !== head.sequence) {
      throw new FailedPreconditionError(
        `readAfter(${after.sequence}) does not start at the store's head ${head.sequence}`,
      );
    }
    const verifier = new AuditChainVerifier(after);
    const entries: AuditEntry[] = [];
    while (entries.length < this.#readAfterBatchSize) {
      const sequence = verifier.head.sequence + 1;
      const configMap = await this.#readEntryObject(sequence);
      if (configMap === undefined) break;
      try {
        const entry = auditEntryFromConfigMap(this.#logName, configMap);
        verifier.add(entry);
        entries.push(entry);
      } catch (error) {
        this.#corruption = new CorruptStoreError(
          `audit log ${this.#describe()} entry ${sequence} does not verify against the head ${verifier.head.sequence}: ${errorMessage(error)}`,
          { cause: error },
        );
        this.#logger.error('audit log entry refused', {
          namespace: this.#namespace,
          logName: this.#logName,
          sequence,
          error: errorMessage(error),
        });
        // The entries before it verified: hand them over; the next call reports the corruption.
        if (entries.length === 0) throw this.#corruption;
        break;
      }
    }
    this.#head = verifier.head;
    this.#isHeadUnknown = false;
    return entries;
  }

  /** The object of entry `sequence`, or `undefined` when nobody has appended it (yet). */
  #readEntryObject(sequence: number): Promise<V1ConfigMap | undefined> {
    return this.#readObject(auditEntryObjectName(this.#logName, sequence), `entry ${sequence}`);
  }

  /** The ConfigMap `name`, or `undefined` when it does not exist; `what` names it in errors. */
  async #readObject(name: string, what: string): Promise<V1ConfigMap | undefined> {
    try {
      return await this.#core.readNamespacedConfigMap({ namespace: this.#namespace, name });
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.notFound)) return undefined;
      // The message may reach a client: the API server's reason (RBAC names, addresses) stays in the cause.
      throw new UnavailableError('the audit log could not be read', {
        cause: new Error(`reading ${what} of ${this.#describe()}: ${kubeErrorReason(error)}`, {
          cause: error,
        }),
      });
    }
  }

  /**
   * The entries from `first` up to `last` or up to the first one missing, oldest first, read with
   * `readWindow` GETs in flight. Up to an unknown end (`last` infinite) the window starts at one and
   * doubles, so finding that nothing follows costs one GET, not a window's worth. Each object is
   * checked to be the entry its name says; the chain is the caller's to verify.
   */
  async #readRange(first: number, last: number): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let window = Number.isFinite(last) ? readWindow : 1;
    for (let start = first; start <= last; start += window, window = Math.min(readWindow, window * 2)) {
      const sequences = Array.from(
        { length: Math.min(window, last - start + 1) },
        (_, index) => start + index,
      );
      const objects = await Promise.all(sequences.map((sequence) => this.#readEntryObject(sequence)));
      for (const object of objects) {
        if (object === undefined) return entries;
        entries.push(auditEntryFromConfigMap(this.#logName, object));
      }
    }
    return entries;
  }

  /**
   * A page of half a segment or more is listed by segment (`#listSegments`), a smaller one GETs
   * its entries; entries a list does not return (written without the segment label) are read one
   * by one either way.
   */
  async readEntries(fromSequence: number, count: number): Promise<AuditEntry[]> {
    const head = this.#usableHead();
    const first = Math.max(1, fromSequence);
    const last = Math.min(head.sequence, first + count - 1);
    if (last - first + 1 < auditSegmentEntries / 2) return this.#readRange(first, last);
    const listed = await this.#listSegments(first, last);
    return [...listed, ...(await this.#readRange(first + listed.length, last))];
  }

  /**
   * Publishes a snapshot without ever exposing a half-written one, however many replicas try at
   * once: a writer first claims the slot the published snapshot does not use (a conditional update
   * of the pointer: exactly one replica wins, the others give up), writes its compressed chunks
   * there, then publishes them with another conditional update. A claim older than ten minutes is
   * a writer that died and may be taken over. The pointer and the chunks are the only objects the
   * repository updates; entries stay immutable.
   */
  async writeSnapshot(snapshot: StoredSnapshot): Promise<void> {
    const { sequence } = snapshot.head;
    const hash = Buffer.from(snapshot.head.hash).toString('hex');
    const pointerName = snapshotPointerName(this.#logName);
    const current = await this.#readObject(pointerName, 'the snapshot pointer');
    const pointer: SnapshotPointer =
      current === undefined
        ? { published: undefined, claim: undefined }
        : snapshotPointerFromConfigMap(current);
    if ((pointer.published?.sequence ?? 0) >= sequence) return;
    const claim = pointer.claim;
    if (
      claim !== undefined &&
      this.#clock.now().getTime() - Date.parse(claim.claimedAt) < snapshotClaimTimeoutMs
    )
      return;
    const slot = pointer.published?.slot === 'a' ? 'b' : 'a';
    const claimed = await this.#writePointer(current, {
      published: pointer.published,
      claim: { slot, sequence, claimedAt: this.#clock.now().toISOString() },
    });
    if (claimed === undefined) return;
    const compressed = await gzipAsync(snapshot.bytes);
    const chunks = Math.max(1, Math.ceil(compressed.byteLength / snapshotChunkBytes));
    if (chunks > maxSnapshotChunks)
      throw new FailedPreconditionError(
        `the snapshot takes ${chunks} chunks of ${snapshotChunkBytes} bytes, more than ${maxSnapshotChunks}`,
      );
    for (let index = 0; index < chunks; index += 1) {
      const bytes = compressed.subarray(index * snapshotChunkBytes, (index + 1) * snapshotChunkBytes);
      await this.#writeChunk(snapshotChunkToConfigMap(this.#namespace, this.#logName, slot, index, bytes));
    }
    await this.#writePointer(claimed, {
      published: {
        sequence,
        hash,
        slot,
        chunks,
        sha256: createHash('sha256').update(compressed).digest('hex'),
      },
      claim: undefined,
    });
  }

  /**
   * Creates the pointer (when `current` is undefined) or replaces it if it is still `current`;
   * returns the object written, or `undefined` when another writer changed it first.
   */
  async #writePointer(
    current: V1ConfigMap | undefined,
    pointer: SnapshotPointer,
  ): Promise<V1ConfigMap | undefined> {
    const body = snapshotPointerToConfigMap(
      this.#namespace,
      this.#logName,
      pointer,
      current?.metadata?.resourceVersion,
    );
    try {
      return current === undefined
        ? await this.#core.createNamespacedConfigMap({ namespace: this.#namespace, body })
        : await this.#core.replaceNamespacedConfigMap({
            namespace: this.#namespace,
            name: snapshotPointerName(this.#logName),
            body,
          });
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.conflict)) return undefined;
      throw new UnavailableError('the snapshot pointer could not be written', {
        cause: new Error(`writing the snapshot pointer of ${this.#describe()}: ${kubeErrorReason(error)}`, {
          cause: error,
        }),
      });
    }
  }

  /** Creates a chunk object, or replaces the one an older snapshot left in this slot. */
  async #writeChunk(body: V1ConfigMap): Promise<void> {
    const name = body.metadata?.name ?? '';
    try {
      try {
        await this.#core.createNamespacedConfigMap({ namespace: this.#namespace, body });
      } catch (error) {
        if (!isKubeStatus(error, KubeStatus.conflict)) throw error;
        await this.#core.replaceNamespacedConfigMap({ namespace: this.#namespace, name, body });
      }
    } catch (error) {
      throw new UnavailableError('a snapshot chunk could not be written', {
        cause: new Error(`writing ${name} of ${this.#describe()}: ${kubeErrorReason(error)}`, {
          cause: error,
        }),
      });
    }
  }

  #usableHead(): AuditCheckpoint {
    if (this.#corruption !== undefined) throw this.#corruption;
    if (this.#head === undefined) throw new FailedPreconditionError('the store is not loaded');
    return this.#head;
  }

  /** Nothing to release: the client holds no connection of its own between calls. */
  close(): Promise<void> {
    this.#head = undefined;
    return Promise.resolve();
  }

  #describe(): string {
    return `${this.#namespace}/${this.#logName}`;
  }
}
