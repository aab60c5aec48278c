/**
 * Leader election over a `coordination.k8s.io/v1` Lease, with the semantics of client-go's
 * `tools/leaderelection` (LeaseLock), so that of the operator's 2 replicas exactly one reconciles.
 *
 * - A candidate acquires the Lease when it is absent (create; AlreadyExists means another
 *   candidate won the race), when its holder is empty (released), or when it has not changed for
 *   `leaseDurationSeconds` as measured by the candidate's OWN clock since it last observed a change
 *   of the record. The remote `renewTime` is written for humans and other tools but never compared
 *   with the local clock, so clock skew between nodes cannot shorten or stretch a lease.
 * - Every write is an update carrying the observed `resourceVersion` (optimistic concurrency): a
 *   409 Conflict means another candidate wrote first, and this one re-reads before trying again.
 *   `leaseTransitions` grows by one whenever the holder changes.
 * - The leader renews every `retryPeriodMs`. It steps down (aborts the leadership signal, calls
 *   `onStoppedLeading`) when no renewal *started* in the last `renewDeadlineMs` has succeeded, even
 *   if a call is still hanging, or at once when it sees the Lease held by someone else. Measuring
 *   from the start of the renewal (client-go measures from the start of the renewal round) keeps the
 *   old leader's step-down strictly before any follower's takeover: a follower observed that renewal
 *   no earlier than it started and waits a full lease duration from then.
 * - A follower polls every `retryPeriodMs`, and also wakes exactly when the lease it observed would
 *   expire, so a takeover does not wait for the next poll.
 * - `stop()` aborts the leadership signal and releases the Lease (empty holder, 1 s duration, as
 *   client-go's `ReleaseOnCancel`), so the other replica takes over at its next poll.
 * - API errors are logged and retried at the next period; nothing here throws after `start()`.
 *   After losing leadership the elector keeps campaigning; a caller that would rather restart
 *   calls `stop()` from `onStoppedLeading`.
 *
 * Why 10 s / 7 s / 2 s: the operator must fail over in under 15 s when its leader dies without
 * releasing. The follower's last observation of a change happens at most one retry period after the
 * dead leader's last renewal, and it wakes exactly when the lease observed then expires, so the
 * worst-case takeover is leaseDuration + retryPeriod = 12 s (plus one API round trip). The renew
 * deadline (7 s) leaves 3 s between a partitioned leader stepping down and the earliest takeover,
 * which absorbs a slow API call and clock-rate differences; the 2 s retry period allows 3 renewal
 * attempts within it. A graceful stop hands over within one retry period.
 */
import type { KubeCoordinationApi } from './kube-coordination-api.js';
import { microTime, type V1Lease, type V1LeaseSpec } from './kube-objects.js';
import type { Clock } from '../time/clock.js';
import type { TimerHandle, Timers } from '../time/timers.js';
import { errorMessage } from '../errors/accord-error.js';
import type { Logger } from '../log/logger.js';
import { isKubeStatus, kubeErrorReason, KubeStatus } from './kube-errors.js';

/** Everything a `LeaseLeaderElector` needs: the Lease to contend for, its timings and its dependencies. */
export interface LeaderElectionOptions {
  /** On a `KubeClient`, so that every call has a deadline; narrow so that tests can fail calls around a real one. */
  readonly leases: Pick<
    KubeCoordinationApi,
    'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'
  >;
  readonly namespace: string;
  readonly leaseName: string;
  /** Unique among the candidates, e.g. the pod name; written to `spec.holderIdentity`. */
  readonly identity: string;
  /** How long followers wait after the last observed change before taking over; whole seconds on the wire. */
  readonly leaseDurationMs: number;
  /** How long the leader keeps leading while its renewals fail; must be below `leaseDurationMs`. */
  readonly renewDeadlineMs: number;
  /** How often the leader renews and followers poll; must be below `renewDeadlineMs`. */
  readonly retryPeriodMs: number;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
}

/** The timings client-go uses for kube-controller-manager, scaled so a dead leader is replaced within 12 s. */
export const defaultLeaderElectionTimings: Pick<
  LeaderElectionOptions,
  'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'
> = { leaseDurationMs: 10_000, renewDeadlineMs: 7_000, retryPeriodMs: 2_000 };

/**
 * What the elector calls when this candidate gains or loses the Lease. Unlike client-go, whose
 * `OnStoppedLeading` also runs when a candidate that never led exits, each `onStoppedLeading` here
 * follows exactly one `onStartedLeading` (right after its signal aborts). A callback that throws is
 * logged; the election goes on.
 */
export interface LeaderElectionCallbacks {
  /** `leadership` aborts when leadership is lost or `stop()` is called; stop all leader-only work then. */
  onStartedLeading(leadership: AbortSignal): void;
  onStoppedLeading(): void;
}

/** A Lease as this candidate last saw it, and when (by the local clock) its record last changed. */
interface ObservedLease {
  readonly lease: V1Lease;
  readonly recordKey: string;
  readonly observedAtMs: number;
}

/**
 * Campaigns for one Lease and tells its callbacks when this candidate leads. One API call is in
 * flight at a time, so the release after `stop()` always carries the latest `resourceVersion`.
 */
export class LeaseLeaderElector {
  readonly #options: LeaderElectionOptions;
  readonly #log: Logger;
  readonly #leaseDurationSeconds: number;
  #callbacks: LeaderElectionCallbacks | undefined;
  #isCampaigning = false;
  #observed: ObservedLease | undefined;
  #leadership: AbortController | undefined;
  #attemptTimer: TimerHandle | undefined;
  #renewDeadlineTimer: TimerHandle | undefined;
  #inFlight: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    validateTimings(options);
    this.#options = options;
    this.#leaseDurationSeconds = Math.ceil(options.leaseDurationMs / 1000);
    this.#log = options.logger.child({
      lease: `${options.namespace}/${options.leaseName}`,
      identity: options.identity,
    });
  }

  /** Starts campaigning; `onStartedLeading(leadership)` runs when it acquires the Lease, with a signal that aborts when leadership is lost or stop() is called. */
  start(callbacks: LeaderElectionCallbacks): void {
    if (this.#callbacks !== undefined || this.#stopping !== undefined)
      throw new Error('a LeaseLeaderElector campaigns only once');
    this.#callbacks = callbacks;
    this.#isCampaigning = true;
    this.#log.info('leader election started');
    this.#runAttempt();
  }

  /** True between `onStartedLeading` and the abort of its signal. */
  isLeader(): boolean {
    return this.#leadership !== undefined;
  }

  /** Stops campaigning; if leading, aborts the leadership signal and releases the Lease (clears holderIdentity, keeps resourceVersion-checked update) so a successor need not wait for expiry. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#isCampaigning = false;
    this.#clearAttemptTimer();
    // Leader-only work stops before the Lease is handed over, never after.
    this.#stepDown('stopped');
    if (this.#inFlight !== undefined) await this.#inFlight;
    const observed = this.#observed;
    if (observed === undefined || observed.lease.spec?.holderIdentity !== this.#options.identity) return;
    try {
      const released = await this.#replace(
        observed.lease,
        releasedLeaseSpec(observed.lease.spec, this.#options.clock.now()),
      );
      this.#observe(released);
      this.#log.info('lease released');
    } catch (error) {
      this.#log.warn('lease release failed', { reason: kubeErrorReason(error) });
    }
  }

  /** Runs one acquire-or-renew attempt, then schedules the next one while campaigning. */
  #runAttempt(): void {
    if (!this.#isCampaigning) return;
    const attempt = this.#attempt().catch((error: unknown) => {
      this.#log.error('leader election attempt failed', { reason: errorMessage(error) });
    });
    this.#inFlight = attempt;
    void attempt.then(() => {
      this.#inFlight = undefined;
      if (this.#isCampaigning) this.#scheduleAttempt(this.#nextAttemptDelayMs());
    });
  }

  async #attempt(): Promise<void> {
    const startedAtMs = this.#options.clock.now().getTime();
    const isHeld = await this.#tryAcquireOrRenew();
    if (!this.#isCampaigning) return;
    const nowMs = this.#options.clock.now().getTime();
    // A renewal that took longer than the renew deadline does not count: the deadline is measured
    // from its start, and this leader may already have stepped down.
    if (isHeld && nowMs - startedAtMs < this.#options.renewDeadlineMs) {
      this.#scheduleRenewDeadline(startedAtMs + this.#options.renewDeadlineMs - nowMs);
      this.#startLeading();
    } else if (this.#leadership !== undefined && !this.#isObservedHolder()) {
      this.#stepDown('lease held by another');
    }
  }

  /** client-go's `tryAcquireOrRenew`: true when this candidate holds the Lease after the call. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { identity } = this.#options;
    const observed = this.#observed;
    // Fast path for the leader: renew the Lease it last wrote, without reading it first.
    if (observed !== undefined && this.#isObservedHolder() && this.#isObservedValid()) {
      try {
        this.#observe(await this.#replace(observed.lease, this.#claimedSpec(observed.lease.spec)));
        return true;
      } catch (error) {
        this.#logCallFailure('lease renewal failed', error);
      }
    }
    let current: V1Lease;
    try {
      current = await this.#options.leases.readNamespacedLease({
        name: this.#options.leaseName,
        namespace: this.#options.namespace,
      });
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.notFound)) return this.#create();
      this.#log.warn('lease read failed', { reason: kubeErrorReason(error) });
      return false;
    }
    this.#observe(current);
    const holder = current.spec?.holderIdentity ?? '';
    if (holder !== '' && holder !== identity && this.#isObservedValid()) {
      this.#log.debug('lease held by another', { holder });
      return false;
    }
    try {
      this.#observe(await this.#replace(current, this.#claimedSpec(current.spec)));
      if (holder !== identity) this.#log.info('lease acquired', { previousHolder: holder });
      return true;
    } catch (error) {
      this.#logCallFailure('lease update failed', error);
      return false;
    }
  }

  async #create(): Promise<boolean> {
    try {
      const created = await this.#options.leases.createNamespacedLease({
        namespace: this.#options.namespace,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.#options.leaseName, namespace: this.#options.namespace },
          spec: this.#claimedSpec(undefined),
        },
      });
      this.#observe(created);
      this.#log.info('lease acquired', { previousHolder: '' });
      return true;
    } catch (error) {
      this.#logCallFailure('lease create failed', error);
      return false;
    }
  }

  /** The spec this candidate writes to hold the Lease, given the one it read (if any). */
  #claimedSpec(current: V1LeaseSpec | undefined): V1LeaseSpec {
    return claimedLeaseSpec(current, {
      identity: this.#options.identity,
      leaseDurationSeconds: this.#leaseDurationSeconds,
      now: this.#options.clock.now(),
    });
  }

  async #replace(current: V1Lease, spec: V1LeaseSpec): Promise<V1Lease> {
    // The metadata goes back as read, so labels and annotations survive and its `resourceVersion`
    // makes the update conditional.
    return this.#options.leases.replaceNamespacedLease({
      name: this.#options.leaseName,
      namespace: this.#options.namespace,
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: current.metadata ?? {}, spec },
    });
  }

  /** Records `lease`, restarting the local expiry clock only when its record changed. */
  #observe(lease: V1Lease): void {
    const recordKey = leaseRecordKey(lease.spec);
    const previous = this.#observed;
    const observedAtMs =
      previous?.recordKey === recordKey ? previous.observedAtMs : this.#options.clock.now().getTime();
    this.#observed = { lease, recordKey, observedAtMs };
  }

  #isObservedHolder(): boolean {
    return this.#observed?.lease.spec?.holderIdentity === this.#options.identity;
  }

  /** client-go's `isLeaseValid`: the observed record has not been stale for its lease duration. */
  #isObservedValid(): boolean {
    const observed = this.#observed;
    if (observed === undefined) return false;
    return this.#options.clock.now().getTime() < observedExpiryMs(observed);
  }

  #nextAttemptDelayMs(): number {
    const { retryPeriodMs, identity } = this.#options;
    const observed = this.#observed;
    const holder = observed?.lease.spec?.holderIdentity ?? '';
    if (this.#leadership !== undefined || observed === undefined || holder === '' || holder === identity)
      return retryPeriodMs;
    const untilExpiryMs = observedExpiryMs(observed) - this.#options.clock.now().getTime();
    return Math.max(0, Math.min(retryPeriodMs, untilExpiryMs));
  }

  #startLeading(): void {
    if (this.#leadership !== undefined || this.#callbacks === undefined) return;
    const leadership = new AbortController();
    this.#leadership = leadership;
    this.#log.info('leadership started');
    try {
      this.#callbacks.onStartedLeading(leadership.signal);
    } catch (error) {
      this.#log.error('onStartedLeading failed', { reason: errorMessage(error) });
    }
  }

  #stepDown(reason: string): void {
    const leadership = this.#leadership;
    if (leadership === undefined) return;
    this.#leadership = undefined;
    this.#clearRenewDeadline();
    this.#log.warn('leadership lost', { reason });
    leadership.abort(new Error(`leadership lost: ${reason}`));
    try {
      this.#callbacks?.onStoppedLeading();
    } catch (error) {
      this.#log.error('onStoppedLeading failed', { reason: errorMessage(error) });
    }
  }

  #scheduleAttempt(delayMs: number): void {
    this.#clearAttemptTimer();
    this.#attemptTimer = this.#options.timers.setTimeout(() => {
      this.#attemptTimer = undefined;
      this.#runAttempt();
    }, delayMs);
  }

  #scheduleRenewDeadline(delayMs: number): void {
    this.#clearRenewDeadline();
    this.#renewDeadlineTimer = this.#options.timers.setTimeout(() => {
      this.#renewDeadlineTimer = undefined;
      this.#stepDown('renew deadline passed');
    }, delayMs);
  }

  #clearAttemptTimer(): void {
    if (this.#attemptTimer !== undefined) this.#options.timers.clearTimeout(this.#attemptTimer);
    this.#attemptTimer = undefined;
  }

  #clearRenewDeadline(): void {
    if (this.#renewDeadlineTimer !== undefined) this.#options.timers.clearTimeout(this.#renewDeadlineTimer);
    this.#renewDeadlineTimer = undefined;
  }

  /** A Conflict (or AlreadyExists) is the ordinary outcome of losing a race, not worth a warning. */
  #logCallFailure(message: string, error: unknown): void {
    if (isKubeStatus(error, KubeStatus.conflict))
      this.#log.debug(message, { reason: kubeErrorReason(error) });
    else this.#log.warn(message, { reason: kubeErrorReason(error) });
  }
}

/** When, by the local clock, the observed record expires: its lease duration after it was first seen. */
function observedExpiryMs(observed: ObservedLease): number {
  return observed.observedAtMs + (observed.lease.spec?.leaseDurationSeconds ?? 0) * 1000;
}

/**
 * The spec a candidate writes to acquire or renew: a renewal keeps `acquireTime` and the transition
 * count; taking the Lease from anyone else (or from nobody) starts a new term and counts a transition.
 */
export function claimedLeaseSpec(
  current: V1LeaseSpec | undefined,
  claim: { identity: string; leaseDurationSeconds: number; now: Date },
): V1LeaseSpec {
  const now = microTime(claim.now);
  const transitions = current?.leaseTransitions ?? 0;
  const isRenewal = current?.holderIdentity === claim.identity;
  return {
    holderIdentity: claim.identity,
    leaseDurationSeconds: claim.leaseDurationSeconds,
    acquireTime: isRenewal ? (current.acquireTime ?? now) : now,
    renewTime: now,
    leaseTransitions: current === undefined ? 0 : isRenewal ? transitions : transitions + 1,
  };
}

/** The spec a leader writes when it stops: no holder, so any candidate may take it at once. */
export function releasedLeaseSpec(current: V1LeaseSpec | undefined, now: Date): V1LeaseSpec {
  const time = microTime(now);
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: time,
    renewTime: time,
    leaseTransitions: current?.leaseTransitions ?? 0,
  };
}

/** What identifies a version of the election record, for "has it changed since I last looked". */
export function leaseRecordKey(spec: V1LeaseSpec | undefined): string {
  return JSON.stringify([
    spec?.holderIdentity ?? '',
    spec?.leaseDurationSeconds ?? 0,
    spec?.acquireTime ?? '',
    spec?.renewTime ?? '',
    spec?.leaseTransitions ?? 0,
  ]);
}

/** client-go's rules: a leader must be able to renew (several times) before a follower may take over. */
function validateTimings(options: LeaderElectionOptions): void {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = options;
  if (!(retryPeriodMs > 0)) throw new RangeError(`retryPeriodMs must be positive, got ${retryPeriodMs}`);
  if (!(renewDeadlineMs > retryPeriodMs))
    throw new RangeError(`renewDeadlineMs (${renewDeadlineMs}) must exceed retryPeriodMs (${retryPeriodMs})`);
  if (!(leaseDurationMs > renewDeadlineMs))
    throw new RangeError(
      `leaseDurationMs (${leaseDurationMs}) must exceed renewDeadlineMs (${renewDeadlineMs})`,
    );
  if (leaseDurationMs < 1000)
    throw new RangeError(`leaseDurationMs must be at least 1000 (whole seconds), got ${leaseDurationMs}`);
  if (options.identity === '') throw new RangeError('identity must not be empty');
}
