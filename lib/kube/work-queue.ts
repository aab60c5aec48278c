import { errorMessage } from '../errors/accord-error.js';
import type { Logger } from '../log/logger.js';
import { backoffDelayMs, type BackoffPolicy } from '../time/backoff.js';
import type { Clock } from '../time/clock.js';
import type { TimerHandle, Timers } from '../time/timers.js';

/**
 * What processing a key asks for next: nothing (done: its failure count resets), or another run
 * after `requeueAfterMs` (not done yet, e.g. the repository is down: the count keeps growing).
 */
export interface WorkResult {
  readonly requeueAfterMs?: number;
}

/** Processes one key; `failedAttempts` counts its consecutive unfinished runs. A throw is retried with backoff. */
export type WorkHandler = (key: string, failedAttempts: number) => Promise<WorkResult>;

export interface WorkQueueOptions {
  readonly handler: WorkHandler;
  /** Delays after a thrown error: capped exponential in the key's failed attempts, with jitter. */
  readonly backoff: BackoffPolicy;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Keys processed at once (never the same key twice); default 2. */
  readonly concurrency?: number;
  /** Jitter source for the backoff; default `Math.random`. */
  readonly random?: () => number;
  /** Called whenever the number of waiting keys changes, e.g. to export it as a metric. */
  readonly onDepthChange?: (depth: number) => void;
}

/**
 * A work queue keyed by name, like client-go's rate-limited workqueue: adding a waiting key is a
 * no-op (dedup), a key being processed is never processed twice at once (it is marked dirty and
 * runs again once the current run ends), and every key carries its count of consecutive failed
 * attempts, which sets its retry delay and resets when a run succeeds.
 */
export class WorkQueue {
  readonly #options: WorkQueueOptions;
  readonly #concurrency: number;
  /** Keys waiting to run, in order; `#waiting` mirrors it for lookups. */
  readonly #queue: string[] = [];
  readonly #waiting = new Set<string>();
  readonly #processing = new Set<string>();
  /** Keys added while being processed: they run again when their current run ends. */
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  /** One pending delayed add per key: the earliest wins. */
  readonly #delayed = new Map<string, { handle: TimerHandle; dueAtMs: number }>();
  readonly #inFlight = new Set<Promise<void>>();
  #isStopped = false;

  constructor(options: WorkQueueOptions) {
    this.#options = options;
    this.#concurrency = options.concurrency ?? 2;
  }

  /** Queues `key` unless it is already waiting; a key being processed runs once more afterwards. */
  add(key: string): void {
    if (this.#isStopped) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#waiting.has(key)) return;
    this.#waiting.add(key);
    this.#queue.push(key);
    this.#depthChanged();
    this.#pump();
  }

  /** Queues `key` after `delayMs`, unless an earlier delayed add of it is pending. */
  addAfter(key: string, delayMs: number): void {
    if (this.#isStopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const dueAtMs = this.#options.clock.now().getTime() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending !== undefined) {
      if (pending.dueAtMs <= dueAtMs) return;
      this.#options.timers.clearTimeout(pending.handle);
    }
    const handle = this.#options.timers.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { handle, dueAtMs });
  }

  /** Forgets a key that no longer exists: no pending retry, no failure count. */
  forget(key: string): void {
    this.#failures.delete(key);
    const pending = this.#delayed.get(key);
    if (pending !== undefined) this.#options.timers.clearTimeout(pending.handle);
    this.#delayed.delete(key);
  }

  /** Keys waiting to run (not those being processed or scheduled for later). */
  depth(): number {
    return this.#queue.length;
  }

  /** Consecutive unfinished runs of `key`. */
  failedAttempts(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Resolves once nothing is waiting or being processed (delayed adds may still be pending). */
  async whenIdle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Stops taking keys, cancels delayed adds, and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.#isStopped = true;
    for (const { handle } of this.#delayed.values()) this.#options.timers.clearTimeout(handle);
    this.#delayed.clear();
    this.#queue.length = 0;
    this.#waiting.clear();
    this.#dirty.clear();
    this.#depthChanged();
    await this.whenIdle();
  }

  #pump(): void {
    while (!this.#isStopped && this.#processing.size < this.#concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift();
      if (key === undefined) break;
      this.#waiting.delete(key);
      this.#processing.add(key);
      this.#depthChanged();
      const run = this.#run(key);
      this.#inFlight.add(run);
      void run.finally(() => {
        this.#inFlight.delete(run);
      });
    }
  }

  async #run(key: string): Promise<void> {
    const failedAttempts = this.failedAttempts(key);
    try {
      const result = await this.#options.handler(key, failedAttempts);
      if (result.requeueAfterMs === undefined) {
        this.#failures.delete(key);
      } else {
        this.#failures.set(key, failedAttempts + 1);
        this.addAfter(key, result.requeueAfterMs);
      }
    } catch (error) {
      this.#failures.set(key, failedAttempts + 1);
      const delayMs = backoffDelayMs(
        failedAttempts,
        this.#options.backoff,
        this.#options.random ?? Math.random,
      );
      this.#options.logger.warn('reconcile failed, retrying', {
        key,
        failedAttempts: failedAttempts + 1,
        retryInMs: delayMs,
        error: errorMessage(error),
      });
      this.addAfter(key, delayMs);
    } finally {
      this.#processing.delete(key);
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
    }
  }

  #depthChanged(): void {
    this.#options.onDepthChange?.(this.#queue.length);
  }
}
