import type { CoreV1Api, V1ConfigMap, V1ConfigMapList } from '@kubernetes/client-node';
import { verifyAuditChain, type AuditEntry } from '../lib/contract/audit-chain.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  UnavailableError,
  errorMessage,
} from '../lib/errors/accord-error.js';
import { KubeStatus, isKubeStatus } from '../lib/kube/kube-errors.js';
import type { Logger } from '../lib/log/logger.js';
import {
  auditEntryFromConfigMap,
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
}

/** Large enough that 10,000 entries load in 20 calls, small enough to keep each response modest. */
const defaultListPageSize = 500;

/**
 * The audit log as one immutable ConfigMap per entry in the hub cluster (see
 * `audit-entry-config-map.ts` for names, labels and data). etcd gives the durability: an
 * acknowledged create is committed. Creating the object of sequence N *is* the append, and the
 * API server accepts one create per name, so when two replicas race for N exactly one wins and the
 * other gets AlreadyExists. Load lists the objects page by page and verifies the whole chain;
 * a gap, a stray object or a broken link stops the start (nothing is ever deleted to "repair").
 * This store does not follow entries other replicas append after its load.
 */
export class KubeContractStore implements ContractStore {
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  readonly #logName: string;
  readonly #listPageSize: number;
  readonly #logger: Logger;
  #headSequence: number | undefined;
  #hasFailed = false;

  constructor(core: CoreV1Api, options: KubeContractStoreOptions, logger: Logger) {
    this.#core = core;
    this.#namespace = options.namespace;
    this.#logName = options.logName;
    this.#listPageSize = options.listPageSize ?? defaultListPageSize;
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
    this.#headSequence = entries.at(-1)?.sequence ?? 0;
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
    if (this.#headSequence === undefined) throw new FailedPreconditionError('the store is not loaded');
    if (this.#hasFailed) throw new UnavailableError('an audit log write failed earlier; restart to recover');
    if (expectedPreviousSequence !== this.#headSequence || entry.sequence !== expectedPreviousSequence + 1) {
      throw new AlreadyExistsError(
        `audit sequence ${entry.sequence} conflicts with stored head ${this.#headSequence}`,
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
      // The create may or may not have been committed, so this store's head is unknown until a
      // fresh load: refuse further appends, as the file store does after a failed write.
      this.#hasFailed = true;
      this.#logger.error('audit log append failed', {
        namespace: this.#namespace,
        logName: this.#logName,
        sequence: entry.sequence,
        error: errorMessage(error),
      });
      throw new UnavailableError('the audit log could not be written', { cause: error });
    }
    this.#headSequence = entry.sequence;
  }

  /** Nothing to release: the client holds no connection of its own between calls. */
  close(): Promise<void> {
    this.#headSequence = undefined;
    return Promise.resolve();
  }

  #describe(): string {
    return `${this.#namespace}/${this.#logName}`;
  }
}
