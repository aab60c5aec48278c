import { errorMessage } from '../errors/accord-error.js';
import type { ResourceChange, WatchEnd } from './kube-list-watch.js';
import type { Logger } from '../log/logger.js';
import { backoffDelayMs, type BackoffPolicy } from '../time/backoff.js';
import type { TimerHandle, Timers } from '../time/timers.js';

/** The metadata an informer keys and resumes by. */
export interface InformedResource {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    /** Sent by the API server with every object; never kept in an informer's cache. */
    managedFields?: unknown;
  };
}

/**
 * List and watch of one resource type, cluster-wide (lib/kube's adapters implement it, e.g.
 * `TrustContractApi`, and `KubeListWatch` for any resource): a consistent snapshot, then changes
 * from its resourceVersion.
 */
export interface ListWatchApi<T extends InformedResource> {
  list(): Promise<{ readonly items: T[]; readonly resourceVersion: string }>;
  watch(
    resourceVersion: string,
    handlers: {
      onChange(change: ResourceChange, object: T): void;
      /** A bookmark: nothing changed up to `resourceVersion`, resume from there. */
      onBookmark(resourceVersion: string): void;
    },
  ): { readonly ended: Promise<WatchEnd>; stop(): void };
}

/** The cache key of an object: `name` for cluster-scoped ones, `namespace/name` for namespaced ones. */
export function resourceKey(object: InformedResource): string {
  const { namespace, name } = object.metadata;
  return namespace === undefined ? name : `${namespace}/${name}`;
}

export interface ResourceInformerOptions<T extends InformedResource> {
  readonly api: ListWatchApi<T>;
  /** The resource's kind, for logs. */
  readonly kind: string;
  /**
   * Called with the key (`resourceKey`) of every object that was listed, changed or deleted, with
   * the cached object before a watched change (`undefined` after a list or for a new object) and
   * the object now (`undefined` once deleted), so a controller can ignore changes it does not act on.
   */
  readonly onChange: (key: string, previous: T | undefined, current: T | undefined) => void;
  /** Delays between failed list/watch attempts. */
  readonly backoff: BackoffPolicy;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly random?: () => number;
}

/**
 * A client-go style informer (TrustContracts, MeshWorkloads, Services): lists the objects (the cache's
 * snapshot), then watches from the list's resourceVersion, resuming after every watch the server
 * ends and relisting when the resourceVersion expired (410 Gone). Reconcilers read only this cache.
 */
export class ResourceInformer<T extends InformedResource> {
  readonly #options: ResourceInformerOptions<T>;
  readonly #cache = new Map<string, T>();
  #resourceVersion: string | undefined;
  #hasSynced = false;
  #isStopped = false;
  #watch: { stop(): void } | undefined;
  #sleep: { handle: TimerHandle; wake: () => void } | undefined;
  #running: Promise<void> | undefined;

  constructor(options: ResourceInformerOptions<T>) {
    this.#options = options;
  }

  /** Starts listing and watching in the background. */
  start(): void {
    this.#running ??= this.#run();
  }

  /** True once the first list filled the cache. */
  hasSynced(): boolean {
    return this.#hasSynced;
  }

  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  /** The keys of every cached object. */
  keys(): string[] {
    return [...this.#cache.keys()];
  }

  /** Every cached object. */
  values(): T[] {
    return [...this.#cache.values()];
  }

  /** Ends the watch and the loop. */
  async stop(): Promise<void> {
    this.#isStopped = true;
    this.#watch?.stop();
    if (this.#sleep !== undefined) {
      this.#options.timers.clearTimeout(this.#sleep.handle);
      this.#sleep.wake();
    }
    await this.#running;
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    let failures = 0;
    while (!this.#isStopped) {
      try {
        if (this.#resourceVersion === undefined) {
          await this.#relist();
          failures = 0;
        }
        if (this.#hasStopped()) return;
        const end = await this.#watchOnce(this.#resourceVersion ?? '');
        switch (end.kind) {
          case 'closed':
            failures = 0;
            break;
          case 'expired':
            logger.debug('watch resourceVersion expired, relisting', {});
            this.#resourceVersion = undefined;
            break;
          case 'stopped':
            return;
          case 'failed':
            throw end.error;
        }
      } catch (error) {
        if (this.#hasStopped()) return;
        const delayMs = backoffDelayMs(failures, this.#options.backoff, this.#options.random ?? Math.random);
        failures += 1;
        logger.warn(`${this.#options.kind} list/watch failed, retrying`, {
          error: errorMessage(error),
          retryInMs: delayMs,
        });
        await this.#pause(delayMs);
      }
    }
  }

  /** A method, not the field, so that checks after an await are not narrowed away. */
  #hasStopped(): boolean {
    return this.#isStopped;
  }

  async #relist(): Promise<void> {
    const { items, resourceVersion } = await this.#options.api.list();
    const listed = new Set(items.map(resourceKey));
    const gone = this.keys().filter((key) => !listed.has(key));
    for (const key of gone) this.#cache.delete(key);
    for (const item of items) this.#cache.set(resourceKey(item), withoutManagedFields(item));
    this.#resourceVersion = resourceVersion;
    this.#hasSynced = true;
    for (const key of [...gone, ...listed]) this.#options.onChange(key, undefined, this.#cache.get(key));
  }

  #watchOnce(resourceVersion: string) {
    const watch = this.#options.api.watch(resourceVersion, {
      onChange: (change, object) => {
        const key = resourceKey(object);
        const previous = this.#cache.get(key);
        if (change === 'DELETED') this.#cache.delete(key);
        else this.#cache.set(key, withoutManagedFields(object));
        if (object.metadata.resourceVersion !== undefined) {
          this.#resourceVersion = object.metadata.resourceVersion;
        }
        this.#options.onChange(key, previous, this.#cache.get(key));
      },
      onBookmark: (bookmarked) => {
        this.#resourceVersion = bookmarked;
      },
    });
    this.#watch = watch;
    return watch.ended.finally(() => {
      this.#watch = undefined;
    });
  }

  async #pause(delayMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.#sleep = undefined;
        resolve();
      };
      this.#sleep = { handle: this.#options.timers.setTimeout(wake, delayMs), wake };
    });
  }
}

/**
 * The object as cached: without `metadata.managedFields`, which the API server sends on every
 * object (one entry per field manager and operation) and nothing in Accord reads; the cached
 * objects are only read, patched (JSON patches) or sent back in updates, which keep the stored
 * `managedFields` when the field is left out. A reconciled TrustContract's JSON is about 40 %
 * managedFields. The object is freshly parsed and owned by the informer, so it is changed in place.
 */
function withoutManagedFields<T extends InformedResource>(object: T): T {
  delete object.metadata.managedFields;
  return object;
}
