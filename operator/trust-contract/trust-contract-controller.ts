import { errorMessage } from '../../lib/errors/accord-error.js';
import { KubeConflictError } from '../../lib/kube/custom-resource-api.js';
import type { TrustContractApi, TrustContractResource } from '../../lib/kube/trust-contract-api.js';
import type { Logger } from '../../lib/log/logger.js';
import type { BackoffPolicy } from '../../lib/time/backoff.js';
import type { Clock } from '../../lib/time/clock.js';
import type { TimerHandle, Timers } from '../../lib/time/timers.js';
import type { OperatorMetrics, ReconcileOutcome } from '../operator-metrics.js';
import type { ReconcileResult } from './reconcile-trust-contract.js';
import { ResourceInformer } from '../../lib/kube/resource-informer.js';
import { revokeOnDeleteFinalizer } from './trust-contract-spec.js';
import { WorkQueue, type WorkResult } from '../../lib/kube/work-queue.js';

/** The decision core with its ports bound: `reconcileTrustContract(raw, deps, failedAttempts)`. */
export type ReconcileFunction = (raw: unknown, failedAttempts: number) => Promise<ReconcileResult>;

export interface TrustContractControllerOptions {
  readonly api: TrustContractApi;
  readonly reconcile: ReconcileFunction;
  readonly metrics: OperatorMetrics;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** How often every cached TrustContract is reconciled again, repairing drift. */
  readonly resyncIntervalMs: number;
  /** Retry delays after a failed reconcile or list/watch. */
  readonly backoff: BackoffPolicy;
  /** TrustContracts reconciled at once (never one twice); default 2. */
  readonly concurrency?: number;
  readonly random?: () => number;
}

/**
 * The TrustContract controller's runtime: an informer feeds a work queue keyed by name, each key
 * is reconciled by the decision core against the cached object, and the result is applied in the
 * order that keeps every promise the finalizer makes: the finalizer goes on before the core may
 * write to the repository, the status is written only when it changed (with the resourceVersion
 * it was computed from), then its Events; a finished deletion records its Events and only then
 * releases the finalizer. A steady state writes nothing. A periodic resync reconciles everything
 * again, since referenced root Secrets and the repository are not watched.
 */
export class TrustContractController {
  readonly #options: TrustContractControllerOptions;
  readonly #informer: ResourceInformer<TrustContractResource>;
  readonly #queue: WorkQueue;
  readonly #logger: Logger;
  #resync: TimerHandle | undefined;
  #isStopped = false;

  constructor(options: TrustContractControllerOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#queue = new WorkQueue({
      handler: (name, failedAttempts) => this.#process(name, failedAttempts),
      backoff: options.backoff,
      clock: options.clock,
      timers: options.timers,
      logger: options.logger,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.random === undefined ? {} : { random: options.random }),
      onDepthChange: (depth) => options.metrics.queueDepth(depth),
    });
    this.#informer = new ResourceInformer({
      api: options.api,
      kind: 'TrustContract',
      onChange: (name, previous, current) => {
        if (previous !== undefined && current !== undefined && !isReconcileInputChange(previous, current))
          return;
        this.#queue.add(name);
      },
      backoff: options.backoff,
      timers: options.timers,
      logger: options.logger,
      ...(options.random === undefined ? {} : { random: options.random }),
    });
  }

  /** Starts the informer and the periodic resync. */
  start(): void {
    this.#logger.info('TrustContract controller started', {
      resyncIntervalMs: this.#options.resyncIntervalMs,
    });
    this.#informer.start();
    this.#scheduleResync();
  }

  /** True once the informer listed every TrustContract (each is then queued). */
  hasSynced(): boolean {
    return this.#informer.hasSynced();
  }

  /** Stops the watch, the resync and the queue, waiting for reconciles in flight. */
  async stop(): Promise<void> {
    if (this.#isStopped) return;
    this.#isStopped = true;
    if (this.#resync !== undefined) this.#options.timers.clearTimeout(this.#resync);
    await Promise.all([this.#informer.stop(), this.#queue.stop()]);
    this.#options.metrics.queueDepth(0);
    this.#logger.info('TrustContract controller stopped', {});
  }

  #scheduleResync(): void {
    if (this.#isStopped) return;
    this.#resync = this.#options.timers.setTimeout(() => {
      for (const name of this.#informer.keys()) this.#queue.add(name);
      this.#scheduleResync();
    }, this.#options.resyncIntervalMs);
  }

  async #process(name: string, failedAttempts: number): Promise<WorkResult> {
    const cached = this.#informer.get(name);
    if (cached === undefined) {
      this.#queue.forget(name);
      return {};
    }
    const startedMs = this.#options.clock.now().getTime();
    const logger = this.#logger.child({ contractId: name });
    let outcome: ReconcileOutcome = 'error';
    try {
      const result = await this.#reconcileAndApply(cached, failedAttempts, logger);
      if (result.requeueAfterMs !== undefined) this.#options.metrics.repositoryUnavailable();
      outcome = result.requeueAfterMs === undefined ? 'success' : 'requeue';
      return result.requeueAfterMs === undefined ? {} : { requeueAfterMs: result.requeueAfterMs };
    } catch (error) {
      if (!(error instanceof KubeConflictError)) throw error;
      // A newer version is on its way through the watch; try again shortly with it.
      outcome = 'conflict';
      logger.debug('TrustContract changed during reconcile', { error: errorMessage(error) });
      return { requeueAfterMs: this.#options.backoff.initialDelayMs };
    } finally {
      const durationSeconds = (this.#options.clock.now().getTime() - startedMs) / 1000;
      this.#options.metrics.reconciled(outcome, durationSeconds);
    }
  }

  async #reconcileAndApply(
    cached: TrustContractResource,
    failedAttempts: number,
    logger: Logger,
  ): Promise<ReconcileResult> {
    const { api } = this.#options;
    let object = cached;
    const isDeleting = object.metadata.deletionTimestamp !== undefined;
    if (!isDeleting && !hasFinalizer(object)) {
      // Before the core can propose or approve anything: a deletion must be able to revoke it.
      object = await api.addFinalizer(object, revokeOnDeleteFinalizer);
      logger.debug('finalizer added', { finalizer: revokeOnDeleteFinalizer });
    }
    const result = await this.#options.reconcile(object, failedAttempts);
    if (result.finalizer === 'add') object = await api.addFinalizer(object, revokeOnDeleteFinalizer);
    if (result.finalizer === 'remove') {
      // The object is going away: its Events outlive it, a status write would not.
      await this.#recordEvents(object, result, logger);
      await api.removeFinalizer(object, revokeOnDeleteFinalizer);
      logger.info('finalizer removed', { finalizer: revokeOnDeleteFinalizer });
      return result;
    }
    if (result.isStatusChanged) object = await api.replaceStatus(object, result.status);
    await this.#recordEvents(object, result, logger);
    return result;
  }

  /** Events are best effort, as in client-go's recorder: a lost one must not block reconciling. */
  async #recordEvents(object: TrustContractResource, result: ReconcileResult, logger: Logger): Promise<void> {
    for (const event of result.events) {
      try {
        await this.#options.api.recordEvent(object, event);
      } catch (error) {
        logger.warn('event not recorded', { reason: event.reason, error: errorMessage(error) });
      }
    }
  }
}

/**
 * Whether a watched update changes what a reconcile decides on: the spec (its generation), the
 * deletion, or this operator's finalizer going away. Not the echoes of the operator's own writes
 * (its finalizer added, its status), which would each cost a reconcile that reads both root
 * Secrets and the repository to write nothing: a new TrustContract took three reconciles instead
 * of one. A status changed by anyone else is put back by the periodic resync, as an unwatched root
 * Secret is.
 */
export function isReconcileInputChange(
  previous: TrustContractResource,
  current: TrustContractResource,
): boolean {
  return (
    previous.metadata.generation !== current.metadata.generation ||
    previous.metadata.deletionTimestamp !== current.metadata.deletionTimestamp ||
    (hasFinalizer(previous) && !hasFinalizer(current))
  );
}

function hasFinalizer(object: TrustContractResource): boolean {
  return object.metadata.finalizers?.includes(revokeOnDeleteFinalizer) === true;
}
