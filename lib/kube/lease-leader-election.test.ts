import { KubeApiError } from './kube-errors.js';
import type { V1Lease, V1LeaseSpec } from './kube-objects.js';
import { ManualTimers } from '../../test/support/manual-timers.js';
import { silentLogger } from '../log/logger.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import {
  claimedLeaseSpec,
  defaultLeaderElectionTimings,
  type LeaderElectionOptions,
  LeaseLeaderElector,
  leaseRecordKey,
  releasedLeaseSpec,
} from './lease-leader-election.js';

const now = new Date('2026-01-01T00:00:10Z');
const earlier = '2026-01-01T00:00:00.000000Z';

describe('claimedLeaseSpec', () => {
  it.each<[string, V1LeaseSpec | undefined, { acquireTime: string; leaseTransitions: number }]>([
    [
      'creates a Lease with no transition',
      undefined,
      { acquireTime: now.toISOString(), leaseTransitions: 0 },
    ],
    [
      'renews its own Lease keeping acquireTime and the transition count',
      { holderIdentity: 'me', acquireTime: earlier, leaseTransitions: 2 },
      { acquireTime: earlier, leaseTransitions: 2 },
    ],
    [
      'takes over from another holder with one more transition',
      { holderIdentity: 'other', acquireTime: earlier, leaseTransitions: 2 },
      { acquireTime: now.toISOString(), leaseTransitions: 3 },
    ],
    [
      'takes a released Lease with one more transition',
      { holderIdentity: '', leaseTransitions: 2 },
      { acquireTime: now.toISOString(), leaseTransitions: 3 },
    ],
  ])('%s', (_name, current, expected) => {
    const spec = claimedLeaseSpec(current, { identity: 'me', leaseDurationSeconds: 10, now });
    expect(spec.holderIdentity).toBe('me');
    expect(spec.leaseDurationSeconds).toBe(10);
    expect(spec.leaseTransitions).toBe(expected.leaseTransitions);
    expect(spec.acquireTime).toBe(microTime(expected.acquireTime));
    expect(spec.renewTime).toBe('2026-01-01T00:00:10.000000Z');
  });

  it('writes MicroTime with microsecond precision, as the API server requires', () => {
    const spec = claimedLeaseSpec(undefined, { identity: 'me', leaseDurationSeconds: 10, now });
    expect(JSON.parse(JSON.stringify(spec))).toMatchObject({ renewTime: '2026-01-01T00:00:10.000000Z' });
  });
});

describe('releasedLeaseSpec', () => {
  it('clears the holder and keeps the transition count', () => {
    const spec = releasedLeaseSpec({ holderIdentity: 'me', leaseTransitions: 4 }, now);
    expect(spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 4 });
  });
});

describe('leaseRecordKey', () => {
  it('sees the same record after a round trip through JSON', () => {
    const written = claimedLeaseSpec(undefined, { identity: 'me', leaseDurationSeconds: 10, now });
    const readBack = JSON.parse(JSON.stringify(written)) as V1LeaseSpec;
    expect(leaseRecordKey(readBack)).toBe(leaseRecordKey(written));
  });

  it('sees a renewal as a change', () => {
    const first = claimedLeaseSpec(undefined, { identity: 'me', leaseDurationSeconds: 10, now });
    const renewed = claimedLeaseSpec(first, {
      identity: 'me',
      leaseDurationSeconds: 10,
      now: new Date(now.getTime() + 2000),
    });
    expect(leaseRecordKey(renewed)).not.toBe(leaseRecordKey(first));
  });
});

/**
 * One Lease held in memory with the API server's rules: create fails with 409 when it exists,
 * replace fails with 409 on a stale resourceVersion, times come back as strings.
 */
class FakeLeases {
  lease: V1Lease | undefined;
  /** Set to make every call fail with this HTTP status. */
  failWith: number | undefined;
  /** Set to make every call hang until `releaseHungCalls()`. */
  isHanging = false;
  calls = 0;
  #resourceVersion = 0;
  readonly #hung: (() => void)[] = [];

  readonly api = {
    readNamespacedLease: async () => this.#call(() => this.#stored()),
    createNamespacedLease: async ({ body }: { body: V1Lease }) =>
      this.#call(() => {
        if (this.lease !== undefined) throw apiError(409);
        return this.#store(body);
      }),
    replaceNamespacedLease: async ({ body }: { body: V1Lease }) =>
      this.#call(() => {
        const stored = this.#stored();
        if (body.metadata?.resourceVersion !== stored.metadata?.resourceVersion) throw apiError(409);
        return this.#store(body);
      }),
  };

  /** What another writer (a human, another candidate) does: a new record and resourceVersion. */
  write(spec: V1LeaseSpec): void {
    this.#store({ metadata: { name: 'lease', namespace: 'ns' }, spec });
  }

  releaseHungCalls(): void {
    for (const release of this.#hung.splice(0)) release();
  }

  async #call<T>(answer: () => T): Promise<T> {
    this.calls += 1;
    if (this.isHanging) await new Promise<void>((resolve) => this.#hung.push(resolve));
    if (this.failWith !== undefined) throw apiError(this.failWith);
    return answer();
  }

  #stored(): V1Lease {
    if (this.lease === undefined) throw apiError(404);
    return structuredClone(this.lease);
  }

  #store(body: V1Lease): V1Lease {
    this.#resourceVersion += 1;
    // Stored as the wire form, so times read back as strings, as from the API server.
    const stored = JSON.parse(JSON.stringify(body)) as V1Lease;
    (stored.metadata ??= {}).resourceVersion = String(this.#resourceVersion);
    this.lease = stored;
    return structuredClone(stored);
  }
}

function apiError(code: number): KubeApiError {
  return new KubeApiError(code, '{}', 'PUT /apis/coordination.k8s.io/v1/namespaces/ns/leases/lease');
}

/** Lets the fake API's promise chains run to completion. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

interface Harness {
  readonly elector: LeaseLeaderElector;
  readonly leases: FakeLeases;
  readonly clock: ManualClock;
  readonly timers: ManualTimers;
  readonly events: string[];
  leadership: AbortSignal | undefined;
  /** Moves the clock by `milliseconds` and fires the timer due then. */
  readonly advance: (milliseconds: number) => Promise<void>;
}

const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = defaultLeaderElectionTimings;

function harness(leases = new FakeLeases(), options: Partial<LeaderElectionOptions> = {}): Harness {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const timers = new ManualTimers();
  const elector = new LeaseLeaderElector({
    leases: leases.api,
    namespace: 'ns',
    leaseName: 'lease',
    identity: 'me',
    ...defaultLeaderElectionTimings,
    clock,
    timers,
    logger: silentLogger,
    ...options,
  });
  const started: Harness = {
    elector,
    leases,
    clock,
    timers,
    events: [],
    leadership: undefined,
    advance: async (milliseconds) => {
      clock.advance(milliseconds);
      timers.fire((delayMs) => delayMs === milliseconds);
      await settle();
    },
  };
  elector.start({
    onStartedLeading: (leadership) => {
      started.leadership = leadership;
      started.events.push('started');
    },
    onStoppedLeading: () => started.events.push('stopped'),
  });
  return started;
}

describe('defaultLeaderElectionTimings', () => {
  it('replace a dead leader within 15 s and keep a margin between step-down and takeover', () => {
    expect(leaseDurationMs + retryPeriodMs).toBeLessThan(15_000);
    expect(leaseDurationMs - renewDeadlineMs).toBeGreaterThanOrEqual(retryPeriodMs);
  });
});

describe('LeaseLeaderElector', () => {
  it('creates an absent Lease and leads', async () => {
    const { elector, leases, events } = harness();
    await settle();
    expect(elector.isLeader()).toBe(true);
    expect(events).toEqual(['started']);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: 'me', leaseDurationSeconds: 10 });
  });

  it('waits a full lease duration from its own observation, however old the remote renewTime is', async () => {
    const leases = new FakeLeases();
    // Written by a holder whose clock is far behind: by renewTime alone it expired long ago.
    leases.write({
      holderIdentity: 'other',
      leaseDurationSeconds: 10,
      renewTime: '2020-01-01T00:00:00.000000Z',
    });
    const { elector, advance } = harness(leases);
    await settle();
    for (let elapsedMs = 0; elapsedMs < leaseDurationMs; elapsedMs += retryPeriodMs) {
      expect(elector.isLeader()).toBe(false);
      await advance(retryPeriodMs);
    }
    expect(elector.isLeader()).toBe(true);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 1 });
  });

  it('restarts its expiry clock whenever the holder renews', async () => {
    const leases = new FakeLeases();
    leases.write({ holderIdentity: 'other', leaseDurationSeconds: 10, renewTime: earlier });
    const { elector, advance } = harness(leases);
    await settle();
    await advance(retryPeriodMs);
    await advance(retryPeriodMs);
    leases.write({
      holderIdentity: 'other',
      leaseDurationSeconds: 10,
      renewTime: '2026-01-01T00:00:06.000000Z',
    });
    await advance(retryPeriodMs); // observes the renewal at 6 s
    for (let elapsedMs = 0; elapsedMs < leaseDurationMs - retryPeriodMs; elapsedMs += retryPeriodMs) {
      await advance(retryPeriodMs);
      expect(elector.isLeader()).toBe(false);
    }
    await advance(retryPeriodMs);
    expect(elector.isLeader()).toBe(true);
  });

  it('polls every retry period and wakes exactly when the observed lease expires', async () => {
    const leases = new FakeLeases();
    leases.write({ holderIdentity: 'other', leaseDurationSeconds: 5, renewTime: earlier });
    const { elector, timers, advance } = harness(leases);
    await settle();
    expect(timers.delays()).toEqual([2000]);
    await advance(2000);
    await advance(2000);
    expect(timers.delays()).toEqual([1000]);
    await advance(1000);
    expect(elector.isLeader()).toBe(true);
  });

  it('renews every retry period without a transition', async () => {
    const { elector, leases, advance, events } = harness();
    await settle();
    const acquireTime = leases.lease?.spec?.acquireTime;
    await advance(retryPeriodMs);
    await advance(retryPeriodMs);
    expect(elector.isLeader()).toBe(true);
    expect(events).toEqual(['started']);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 0, acquireTime });
    expect(leases.lease?.spec?.renewTime).toBe('2026-01-01T00:00:04.000000Z');
  });

  it('keeps leading through failed renewals until the renew deadline, then steps down', async () => {
    const { elector, leases, clock, timers, advance, events } = harness();
    await settle();
    expect(elector.isLeader()).toBe(true);
    leases.failWith = 500;
    await advance(retryPeriodMs);
    await advance(retryPeriodMs);
    await advance(retryPeriodMs);
    expect(elector.isLeader()).toBe(true);
    // The deadline counts from the start of the last successful renewal (t = 0).
    expect(timers.delays()).toContain(renewDeadlineMs);
    clock.advance(renewDeadlineMs - 3 * retryPeriodMs);
    timers.fire((delayMs) => delayMs === renewDeadlineMs);
    expect(elector.isLeader()).toBe(false);
    expect(events).toEqual(['started', 'stopped']);
  });

  it('steps down at the renew deadline even while a renewal hangs', async () => {
    const h = harness();
    await settle();
    h.leases.isHanging = true;
    await h.advance(retryPeriodMs);
    h.clock.advance(renewDeadlineMs - retryPeriodMs);
    h.timers.fire((delayMs) => delayMs === renewDeadlineMs);
    expect(h.leadership?.aborted).toBe(true);
    expect(h.events).toEqual(['started', 'stopped']);
    h.leases.isHanging = false;
    h.leases.failWith = 500;
    h.leases.releaseHungCalls();
    await h.elector.stop();
  });

  it('steps down at once when it finds the Lease held by another', async () => {
    const h = harness();
    await settle();
    h.leases.write({ holderIdentity: 'usurper', leaseDurationSeconds: 3600, renewTime: earlier });
    await h.advance(retryPeriodMs);
    expect(h.leadership?.aborted).toBe(true);
    expect(h.events).toEqual(['started', 'stopped']);
    expect(h.leases.lease?.spec?.holderIdentity).toBe('usurper');
  });

  it('releases the Lease on stop, after aborting leadership, with the observed resourceVersion', async () => {
    const h = harness();
    await settle();
    await h.elector.stop();
    expect(h.leadership?.aborted).toBe(true);
    expect(h.events).toEqual(['started', 'stopped']);
    expect(h.leases.lease?.spec).toMatchObject({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      leaseTransitions: 0,
    });
    expect(h.timers.delays()).toEqual([]);
  });

  it('does not touch the Lease on stop when it does not hold it', async () => {
    const leases = new FakeLeases();
    leases.write({ holderIdentity: 'other', leaseDurationSeconds: 10, renewTime: earlier });
    const h = harness(leases);
    await settle();
    const calls = leases.calls;
    await h.elector.stop();
    expect(leases.calls).toBe(calls);
    expect(leases.lease?.spec?.holderIdentity).toBe('other');
  });

  it('retries after API errors instead of failing', async () => {
    const leases = new FakeLeases();
    leases.failWith = 503;
    const h = harness(leases);
    await settle();
    expect(h.elector.isLeader()).toBe(false);
    leases.failWith = undefined;
    await h.advance(retryPeriodMs);
    expect(h.elector.isLeader()).toBe(true);
  });

  it.each([
    ['a renew deadline not below the lease duration', { leaseDurationMs: 7_000, renewDeadlineMs: 7_000 }],
    ['a retry period not below the renew deadline', { renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }],
    ['a lease shorter than one second', { leaseDurationMs: 900, renewDeadlineMs: 800, retryPeriodMs: 100 }],
    ['an empty identity', { identity: '' }],
  ])('rejects %s', (_name, options) => {
    expect(() => harness(new FakeLeases(), options)).toThrow(RangeError);
  });
});

function microTime(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1000Z');
}
