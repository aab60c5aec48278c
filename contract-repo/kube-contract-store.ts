import type { CoreV1Api, V1ConfigMap, V1ConfigMapList } from '@kubernetes/client-node';
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
} from './audit-entry-config-map.js';
import type { ContractStore } from './contract-store.js';
import { CorruptStoreError } from './stored-audit-entry.js';

/** Where the log lives in the hub cluster. */
export interface KubeContractStoreOptions {
  readonly namespace: string;
  /** Names the log (label value and object name prefix), so several logs can share a namespace. */
  readonly logName: string;
  /** Objects per list call on load; the API server's default page is unbounded, so always set one. */
  readonly listPageSize?: number;
  /** Most entries one `readAfter` returns (one GET each); the caller reads again for the rest. */
  readonly readAfterBatchSize?: number;
}

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
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  readonly #logName: string;
  readonly #listPageSize: number;
  readonly #readAfterBatchSize: number;
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

  constructor(core: CoreV1Api, options: KubeContractStoreOptions, logger: Logger) {
    this.#core = core;
    this.#namespace = options.namespace;
    this.#logName = options.logName;
    this.#listPageSize = options.listPageSize ?? defaultListPageSize;
    this.#readAfterBatchSize = options.readAfterBatchSize ?? defaultReadAfterBatchSize;
    this.#logger = logger;
  }

  async load(): Promise<AuditEntry[]> {
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
   * Every entry object, following `continue` tokens. The pages of one list are served from the
   * snapshot of its first call, so together they are one consistent view of the log.
   */
  async #listAll(): Promise<V1ConfigMap[]> {
    const configMaps: V1ConfigMap[] = [];
    let continueToken: string | undefined;
    do {
      const page = await this.#listPage(continueToken);
      configMaps.push(...page.items);
      const next = page.metadata?._continue;
      continueToken = next === undefined || next === '' ? undefined : next;
    } while (continueToken !== undefined);
    return configMaps;
  }

  async #listPage(continueToken: string | undefined): Promise<V1ConfigMapList> {
    try {
      return await this.#core.listNamespacedConfigMap({
        namespace: this.#namespace,
        labelSelector: auditLogSelector(this.#logName),
        limit: this.#listPageSize,
        ...(continueToken === undefined ? {} : { _continue: continueToken }),
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
  async #readEntryObject(sequence: number): Promise<V1ConfigMap | undefined> {
    try {
      return await this.#core.readNamespacedConfigMap({
        namespace: this.#namespace,
        name: auditEntryObjectName(this.#logName, sequence),
      });
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.notFound)) return undefined;
      // The message may reach a client: the API server's reason (RBAC names, addresses) stays in the cause.
      throw new UnavailableError('the audit log could not be read', {
        cause: new Error(`reading entry ${sequence} of ${this.#describe()}: ${kubeErrorReason(error)}`, {
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
