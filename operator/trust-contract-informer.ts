import { errorMessage } from '../lib/errors/accord-error.js';
import type {
  TrustContractApi,
  TrustContractResource,
  TrustContractWatch,
} from '../lib/kube/trust-contract-api.js';
import type { Logger } from '../lib/log/logger.js';
import { backoffDelayMs, type BackoffPolicy } from '../lib/time/backoff.js';
import type { TimerHandle, Timers } from '../lib/time/timers.js';

export interface TrustContractInformerOptions {
  readonly api: TrustContractApi;
  /** Called with the name of every object that was listed, changed or deleted. */
  readonly onChange: (name: string) => void;
  /** Delays between failed list/watch attempts. */
  readonly backoff: BackoffPolicy;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly random?: () => number;
}

/**
 * A client-go style informer for TrustContracts: lists them (the cache's snapshot), then watches
 * from the list's resourceVersion, resuming after every watch the server ends and relisting when
 * the resourceVersion expired (410 Gone). The reconciler reads only this cache.
 */
export class TrustContractInformer {
  readonly #options: TrustContractInformerOptions;
  readonly #cache = new Map<string, TrustContractResource>();
  #resourceVersion: string | undefined;
  #hasSynced = false;
  #isStopped = false;
  #watch: TrustContractWatch | undefined;
  #sleep: { handle: TimerHandle; wake: () => void } | undefined;
  #running: Promise<void> | undefined;

  constructor(options: TrustContractInformerOptions) {
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

  get(name: string): TrustContractResource | undefined {
    return this.#cache.get(name);
  }

  names(): string[] {
    return [...this.#cache.keys()];
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
        logger.warn('TrustContract list/watch failed, retrying', {
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
    const listed = new Set(items.map((item) => item.metadata.name));
    const gone = this.names().filter((name) => !listed.has(name));
    for (const name of gone) this.#cache.delete(name);
    for (const item of items) this.#cache.set(item.metadata.name, item);
    this.#resourceVersion = resourceVersion;
    this.#hasSynced = true;
    for (const name of [...gone, ...listed]) this.#options.onChange(name);
  }

  #watchOnce(resourceVersion: string) {
    const watch = this.#options.api.watch(resourceVersion, {
      onChange: (change, object) => {
        const { name } = object.metadata;
        if (change === 'DELETED') this.#cache.delete(name);
        else this.#cache.set(name, object);
        if (object.metadata.resourceVersion !== undefined) {
          this.#resourceVersion = object.metadata.resourceVersion;
        }
        this.#options.onChange(name);
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
