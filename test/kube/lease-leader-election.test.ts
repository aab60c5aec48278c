import { CoordinationV1Api, CoreV1Api, RbacAuthorizationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { connectKube, KubeClient } from '../../lib/kube/kube-client.js';
import { loadKubeConnectionSettings } from '../../lib/kube/kube-config.js';
import { KubeCoordinationApi } from '../../lib/kube/kube-coordination-api.js';
import { isKubeStatus } from '../../lib/kube/kube-errors.js';
import { type LeaderElectionOptions, LeaseLeaderElector } from '../../lib/kube/lease-leader-election.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import type { TimerHandle, Timers } from '../../lib/time/timers.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

/** Short timings so that expiry-based takeovers take seconds; the same ratios as the defaults. */
const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
const namespace = 'accord-system';

let cluster: KubeApiServer;
/** Accord's client, as the operator's elector uses it. */
let leases: KubeCoordinationApi;
/** client-node: another writer, and reads of what the electors wrote. */
let adminLeases: CoordinationV1Api;

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'lease-election' });
  await clientNodeApi(cluster.adminKubeconfig, CoreV1Api).createNamespace({
    body: { metadata: { name: namespace } },
  });
  leases = new KubeCoordinationApi(connectKube(cluster.adminKubeconfig));
  adminLeases = clientNodeApi(cluster.adminKubeconfig, CoordinationV1Api);
}, 180_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

/** Real timers that a test can freeze: the elector's process "dies" without releasing anything. */
class FreezableTimers implements Timers {
  readonly #pending = new Set<NodeJS.Timeout>();
  #isFrozen = false;

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (this.#isFrozen) return {};
    const handle = setTimeout(() => {
      this.#pending.delete(handle);
      callback();
    }, delayMs);
    this.#pending.add(handle);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    const timeout = handle as NodeJS.Timeout;
    if (this.#pending.delete(timeout)) clearTimeout(timeout);
  }

  /** Cancels every pending callback and ignores all later ones. */
  freeze(): void {
    this.#isFrozen = true;
    for (const handle of this.#pending) clearTimeout(handle);
    this.#pending.clear();
  }
}

/** One replica of the operator: an elector plus what its callbacks saw, with local timestamps. */
interface Candidate {
  readonly identity: string;
  readonly elector: LeaseLeaderElector;
  readonly timers: FreezableTimers;
  readonly startedLeadingAtMs: number[];
  readonly stoppedLeadingAtMs: number[];
  readonly leadershipAbortedAtMs: number[];
  leadership: AbortSignal | undefined;
}

const candidates: Candidate[] = [];

afterEach(async () => {
  await Promise.all(candidates.splice(0).map(async (candidate) => candidate.elector.stop()));
}, 30_000);

function candidate(
  identity: string,
  leaseName: string,
  calls: LeaderElectionOptions['leases'] = leases,
): Candidate {
  const timers = new FreezableTimers();
  const elector = new LeaseLeaderElector({
    leases: calls,
    namespace,
    leaseName,
    identity,
    ...timings,
    clock: systemClock,
    timers,
    logger: silentLogger,
  });
  const started: Candidate = {
    identity,
    elector,
    timers,
    startedLeadingAtMs: [],
    stoppedLeadingAtMs: [],
    leadershipAbortedAtMs: [],
    leadership: undefined,
  };
  candidates.push(started);
  elector.start({
    onStartedLeading: (leadership) => {
      started.startedLeadingAtMs.push(Date.now());
      started.leadership = leadership;
      leadership.addEventListener('abort', () => started.leadershipAbortedAtMs.push(Date.now()));
    },
    onStoppedLeading: () => started.stoppedLeadingAtMs.push(Date.now()),
  });
  return started;
}

/** Polls `condition` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Checks `invariant` every 100 ms for `durationMs` (a bounded observation window, not a sleep-and-hope). */
async function holdsThroughout(durationMs: number, invariant: () => void): Promise<void> {
  for (let elapsedMs = 0; elapsedMs < durationMs; elapsedMs += 100) {
    invariant();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  invariant();
}

async function leaderOf(first: Candidate, second: Candidate): Promise<[Candidate, Candidate]> {
  await until('one candidate leads', () => first.elector.isLeader() || second.elector.isLeader());
  return first.elector.isLeader() ? [first, second] : [second, first];
}

async function readLease(name: string) {
  return adminLeases.readNamespacedLease({ name, namespace });
}

describe('LeaseLeaderElector against a real API server', () => {
  it('elects exactly one of two candidates and names it in the Lease', async () => {
    const [leader, follower] = await leaderOf(candidate('pod-a', 'elect'), candidate('pod-b', 'elect'));
    await holdsThroughout(4 * timings.retryPeriodMs, () => {
      expect(leader.elector.isLeader()).toBe(true);
      expect(follower.elector.isLeader()).toBe(false);
    });
    const lease = await readLease('elect');
    expect(lease.spec?.holderIdentity).toBe(leader.identity);
    expect(lease.spec?.leaseDurationSeconds).toBe(3);
    expect(lease.spec?.leaseTransitions).toBe(0);
    // MicroTime on the wire: microsecond precision.
    expect(String(lease.spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(follower.startedLeadingAtMs).toEqual([]);
    expect(leader.startedLeadingAtMs).toHaveLength(1);
  }, 60_000);

  it('hands the Lease to the follower within leaseDuration + retryPeriod when the leader dies without releasing', async () => {
    const [leader, follower] = await leaderOf(candidate('pod-a', 'death'), candidate('pod-b', 'death'));
    const diedAtMs = Date.now();
    leader.timers.freeze();
    await until('the follower leads', () => follower.elector.isLeader());
    const takeoverMs = (follower.startedLeadingAtMs[0] ?? Infinity) - diedAtMs;
    // Not at once: the follower honoured the lease, which expires a lease duration after the dead
    // leader's last renewal (at most a retry period and a round trip before it died). And well
    // within the budget: lease + retry, plus slack for 2 shared cores.
    expect(takeoverMs).toBeGreaterThanOrEqual(timings.leaseDurationMs / 2);
    expect(takeoverMs).toBeLessThan(timings.leaseDurationMs + timings.retryPeriodMs + 3_000);
    expect(takeoverMs).toBeLessThan(15_000);
    const lease = await readLease('death');
    expect(lease.spec?.holderIdentity).toBe(follower.identity);
    expect(lease.spec?.leaseTransitions).toBe(1);
    // The dead leader's release after the fact carries a stale resourceVersion and changes nothing.
    await leader.elector.stop();
    expect((await readLease('death')).spec?.holderIdentity).toBe(follower.identity);
  }, 60_000);

  it('releases the Lease on stop so the follower leads within two retry periods', async () => {
    const [leader, follower] = await leaderOf(candidate('pod-a', 'release'), candidate('pod-b', 'release'));
    const leadership = leader.leadership;
    const stoppedAtMs = Date.now();
    await leader.elector.stop();
    expect(leadership?.aborted).toBe(true);
    expect(leader.stoppedLeadingAtMs).toHaveLength(1);
    expect(leader.elector.isLeader()).toBe(false);
    await until('the follower leads', () => follower.elector.isLeader(), 10_000);
    const takeoverMs = (follower.startedLeadingAtMs[0] ?? Infinity) - stoppedAtMs;
    // Faster than any expiry-based takeover could be (leaseDuration − retryPeriod at the earliest).
    expect(takeoverMs).toBeLessThan(2 * timings.retryPeriodMs + 1_000);
    const lease = await readLease('release');
    expect(lease.spec?.holderIdentity).toBe(follower.identity);
    expect(lease.spec?.leaseTransitions).toBe(1);
  }, 60_000);

  it('steps down and aborts its leadership when the Lease is taken from it', async () => {
    const leader = candidate('pod-a', 'revoked');
    await until('the candidate leads', () => leader.elector.isLeader());
    const leadership = leader.leadership;
    await adminLeases.deleteNamespacedLease({ name: 'revoked', namespace });
    await adminLeases.createNamespacedLease({
      namespace,
      body: {
        metadata: { name: 'revoked' },
        spec: {
          holderIdentity: 'usurper',
          leaseDurationSeconds: 3600,
          acquireTime: new V1MicroTime(),
          renewTime: new V1MicroTime(),
        },
      },
    });
    const revokedAtMs = Date.now();
    await until('the leadership signal aborts', () => leadership?.aborted === true, 10_000);
    expect((leader.leadershipAbortedAtMs[0] ?? Infinity) - revokedAtMs).toBeLessThan(
      timings.renewDeadlineMs + 1_000,
    );
    expect(leader.stoppedLeadingAtMs).toHaveLength(1);
    expect(leader.elector.isLeader()).toBe(false);
    await holdsThroughout(2 * timings.retryPeriodMs, () => expect(leader.elector.isLeader()).toBe(false));
    expect((await readLease('revoked')).spec?.holderIdentity).toBe('usurper');
  }, 60_000);

  describe('when the API server stops answering the leader', () => {
    let proxy: BlackholeProxy;

    beforeEach(async () => {
      proxy = await BlackholeProxy.start(new URL(cluster.server));
    });

    afterEach(async () => {
      await proxy.close();
    });

    it('steps down within its renew deadline, before the follower takes over', async () => {
      // Calls through the proxy hang for 5 s, longer than the renew deadline.
      const proxiedLeases = new KubeCoordinationApi(
        new KubeClient(
          { ...loadKubeConnectionSettings(cluster.adminKubeconfig), server: proxy.server },
          { timeoutMs: 5_000 },
        ),
      );
      const leader = candidate('pod-a', 'partition', proxiedLeases);
      await until('the proxied candidate leads', () => leader.elector.isLeader());
      const follower = candidate('pod-b', 'partition');
      const partitionedAtMs = Date.now();
      proxy.blackhole();
      await until('the leader steps down', () => leader.leadership?.aborted === true, 10_000);
      const stepDownMs = (leader.leadershipAbortedAtMs[0] ?? Infinity) - partitionedAtMs;
      expect(stepDownMs).toBeLessThanOrEqual(timings.renewDeadlineMs + 500);
      expect(leader.stoppedLeadingAtMs).toHaveLength(1);
      await until('the follower leads', () => follower.elector.isLeader());
      // Never two leaders: the old one had stopped before the new one started.
      expect(leader.leadershipAbortedAtMs[0]).toBeLessThan(follower.startedLeadingAtMs[0] ?? -Infinity);
      expect(leader.elector.isLeader()).toBe(false);
    }, 60_000);
  });

  it('works with a Role granting only create on leases and get/update on its own Lease', async () => {
    const rbac = clientNodeApi(cluster.adminKubeconfig, RbacAuthorizationV1Api);
    const user = 'accord-operator';
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'accord-operator-leader-election' },
        rules: [
          // Create cannot be limited by resourceName: the name is not known before the object exists.
          { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
          {
            apiGroups: ['coordination.k8s.io'],
            resources: ['leases'],
            resourceNames: ['accord-operator'],
            verbs: ['get', 'update'],
          },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'accord-operator-leader-election' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Role',
          name: 'accord-operator-leader-election',
        },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    });
    const restricted = new KubeCoordinationApi(connectKube(await cluster.kubeconfigFor(user)));
    const [leader, follower] = await leaderOf(
      candidate('pod-a', 'accord-operator', restricted),
      candidate('pod-b', 'accord-operator', restricted),
    );
    await leader.elector.stop();
    await until('the follower leads', () => follower.elector.isLeader(), 10_000);
    expect((await readLease('accord-operator')).spec?.holderIdentity).toBe(follower.identity);
    // The Role is as narrow as claimed: any other Lease is out of reach.
    const forbidden = await restricted.readNamespacedLease({ name: 'elect', namespace }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isKubeStatus(forbidden, 403)).toBe(true);
  }, 60_000);
});

/**
 * A TCP proxy to the API server on 127.0.0.1:0 that can turn into a black hole: existing
 * connections are cut and new ones are accepted but never answered, like a partitioned network.
 */
class BlackholeProxy {
  readonly #target: URL;
  readonly #listener: Server;
  readonly #sockets = new Set<Socket>();
  #isBlackhole = false;

  private constructor(target: URL) {
    this.#target = target;
    this.#listener = createServer((client) => {
      this.#accept(client);
    });
  }

  static async start(target: URL): Promise<BlackholeProxy> {
    const proxy = new BlackholeProxy(target);
    await new Promise<void>((resolve) => proxy.#listener.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get server(): string {
    const address = this.#listener.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    return `https://127.0.0.1:${address.port}`;
  }

  blackhole(): void {
    this.#isBlackhole = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await new Promise((resolve) => this.#listener.close(resolve));
  }

  #accept(client: Socket): void {
    this.#track(client);
    if (this.#isBlackhole) return;
    const upstream = connect(Number(this.#target.port), this.#target.hostname);
    this.#track(upstream);
    client.pipe(upstream).pipe(client);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.once('close', cut);
    upstream.once('close', cut);
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.#sockets.delete(socket));
  }
}
