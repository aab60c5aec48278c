import { errorMessage } from '../lib/errors/accord-error.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import type { Logger } from '../lib/log/logger.js';
import type { Clock } from '../lib/time/clock.js';
import { backoffDelayMs, type BackoffPolicy } from '../lib/time/backoff.js';
import type { BundleWriter } from './bundle-writer.js';
import { CoalescingTrigger } from './coalescing-trigger.js';
import type { ContractEvent, ReceivedContract } from '../lib/contract/contract-stream.js';
import type { ContractSource } from './contract-source.js';
import { desiredBundles, type OwnZone, type RootToAcknowledge } from './desired-bundles.js';
import type { WithdrawnContractStore } from './withdrawn-contract-store.js';
import { withdrawnContract, type WithdrawnContract, type WithdrawnContracts } from './withdrawn-contracts.js';
import type { ProviderMetrics } from './provider-metrics.js';
import type { TimerHandle, Timers } from '../lib/time/timers.js';

/**
 * How long a new Watch stream may take to deliver its snapshot. The provider always opens Watch
 * without a resume token, so the repository answers at once with a snapshot (an empty one too):
 * silence means a connection that will not answer, and reconnecting from a snapshot costs one zone's
 * contracts once per outage.
 */
const firstEventTimeoutMs = 10_000;

/** The abort reason of a stream that gave no answer within `firstEventTimeoutMs`. */
const stalled = Symbol('stalled');

/** Everything the provider needs, injected so tests drive it without a network, disk races or sleeps. */
export interface ContractProviderOptions {
  source: ContractSource;
  /** Reads this zone's trust domain and actual roots from its PKI (GetCA). */
  loadOwnZone: () => Promise<OwnZone>;
  /**
   * Tells the repository that this zone installed a partner's announced root in a contract (the
   * partner activates its new root once every partner has: docs/root-rotation.md).
   */
  acknowledgeRoot: (root: RootToAcknowledge) => Promise<void>;
  writer: BundleWriter;
  /** Where the contracts this provider saw revoked or deleted are remembered, durably. */
  memory: WithdrawnContractStore;
  metrics: ProviderMetrics;
  logger: Logger;
  clock: Clock;
  timers: Timers;
  /** Returns a number in [0, 1); jitters reconnect delays. */
  random: () => number;
  /** How often to reopen Watch without a resume token and re-read the PKI roots, repairing drift. */
  resyncIntervalMs: number;
  backoff: BackoffPolicy;
}

/**
 * The per-zone contract provider. A Watch stream keeps a local copy of the contracts; every event
 * only *triggers* a coalescing, level-triggered sync that recomputes the desired bundles from that
 * copy (verifying every contract itself) and lets the writer change what differs. A periodic
 * resync reopens the stream from a snapshot and re-checks the files. While the repository is
 * unreachable the last good bundles stay in place: trust is never dropped for lack of news, and
 * never widened by anything the provider could not verify. Every contract it sees revoked or
 * deleted is remembered durably (`memory`) before the bundles are written, and never trusted
 * again, whatever the repository answers later, across restarts too.
 */
export class ContractProvider {
  readonly #options: ContractProviderOptions;
  readonly #log: Logger;
  readonly #syncTrigger: CoalescingTrigger;
  readonly #contracts = new Map<string, ReceivedContract>();
  readonly #reportedRejections = new Set<string>();
  readonly #acknowledged = new Set<string>();
  /** Contracts seen deleted since the last sync, to be remembered by it. */
  #deletions: WithdrawnContract[] = [];
  /** The memory of withdrawn contracts; undefined until loaded from the store. */
  #withdrawn: WithdrawnContracts | undefined;
  #isWithdrawnSaved = true;
  #memoryWriteFailures = 0;
  #bundleWriteFailures = 0;
  /** A sync scheduled after a failed write, so the retry does not wait for an event or the resync. */
  #syncRetry: TimerHandle | undefined;
  #ownZone: OwnZone | undefined;
  #hasSnapshot = false;
  #isConnected = false;
  #hasSynced = false;
  /** A resync asked the writer to compare with what is installed, not with what it remembers. */
  #isResyncDue = false;
  #isStopped = false;
  #stream: AbortController | undefined;
  #retry: { handle: TimerHandle; wake: () => void } | undefined;
  #resyncHandle: TimerHandle | undefined;
  #retirementHandle: TimerHandle | undefined;
  #watchLoop: Promise<void> | undefined;

  constructor(options: ContractProviderOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#syncTrigger = new CoalescingTrigger(() => this.#sync());
  }

  /** Starts watching and syncing; returns at once. */
  start(): void {
    this.#watchLoop = this.#watch();
    this.#scheduleResync();
  }

  /** Stops the stream, timers and retries, and waits for an in-flight sync to finish. */
  async stop(): Promise<void> {
    this.#isStopped = true;
    this.#stream?.abort();
    if (this.#retry !== undefined) {
      this.#options.timers.clearTimeout(this.#retry.handle);
      this.#retry.wake();
    }
    if (this.#resyncHandle !== undefined) this.#options.timers.clearTimeout(this.#resyncHandle);
    if (this.#retirementHandle !== undefined) this.#options.timers.clearTimeout(this.#retirementHandle);
    if (this.#syncRetry !== undefined) this.#options.timers.clearTimeout(this.#syncRetry);
    await this.#watchLoop;
    await this.#syncTrigger.whenIdle();
  }

  /** Ready once bundles reflecting a repository snapshot are installed. */
  isReady(): boolean {
    return this.#hasSynced;
  }

  /** Whether the Watch stream is currently established. */
  isConnected(): boolean {
    return this.#isConnected;
  }

  /** Resolves when no sync is running or pending: lets tests wait for a condition instead of sleeping. */
  whenIdle(): Promise<void> {
    return this.#syncTrigger.whenIdle();
  }

  /**
   * Forces a resync now: re-reads the PKI roots, reopens Watch from a snapshot, re-checks the
   * installed bundles (the next sync reads them again, whatever the writer remembers). The resync
   * timer calls this; so can an operator-facing trigger.
   */
  resync(): void {
    if (this.#isStopped) return;
    this.#isResyncDue = true;
    this.#stream?.abort();
    void this.#refreshOwnZone().then(() => {
      this.#syncTrigger.trigger();
    });
  }

  /**
   * Re-reads our zone's roots from the PKI, then syncs. Our roots change only at our PKI (a root
   * prepared, activated, or replaced in an emergency), and in-zone clients learn of a change when
   * their SVID renews (docs/root-rotation.md), so the wiring calls this on every renewal: a contract
   * pinning our new root is recognised as ours within that bound instead of being refused as
   * `OwnRootMismatch` until the next resync (found by the three-zone rotation test: minutes).
   */
  refreshOwnRoots(): void {
    if (this.#isStopped) return;
    void this.#refreshOwnZone().then(() => {
      if (!this.#isStopped) this.#syncTrigger.trigger();
    });
  }

  async #watch(): Promise<void> {
    let attempt = 0;
    while (!this.#isStopped) {
      const stream = new AbortController();
      this.#stream = stream;
      let failure: unknown = new Error('the Watch stream ended');
      let stall: TimerHandle | undefined;
      try {
        if (this.#ownZone === undefined) await this.#refreshOwnZone(true);
        await this.#loadWithdrawn();
        stall = this.#options.timers.setTimeout(() => {
          stream.abort(stalled);
        }, firstEventTimeoutMs);
        for await (const item of this.#options.source.watch(undefined, stream.signal)) {
          this.#options.timers.clearTimeout(stall);
          if (!this.#isConnected) this.#connected();
          attempt = 0;
          this.#apply(item.event);
          this.#syncTrigger.trigger();
        }
      } catch (error) {
        failure = error;
      } finally {
        if (stall !== undefined) this.#options.timers.clearTimeout(stall);
      }
      if (stream.signal.reason === stalled) {
        // grpc-js has no connect timeout: a connection dialled while the repository's pod went away
        // can hang for minutes (found on live pods after a hub repository restart), and every new
        // call would wait on it. Drop it and dial again.
        this.#options.source.close();
        failure = new Error(`no answer within ${String(firstEventTimeoutMs)} ms of opening the Watch stream`);
      } else if (stream.signal.aborted) continue;
      const delayMs = backoffDelayMs(attempt, this.#options.backoff, this.#options.random);
      attempt += 1;
      this.#disconnected(failure, delayMs);
      await this.#sleep(delayMs);
    }
    this.#setConnected(false);
  }

  #connected(): void {
    this.#setConnected(true);
    this.#log.info('repository connected');
  }

  #disconnected(failure: unknown, retryInMs: number): void {
    this.#setConnected(false);
    this.#log.warn('repository unavailable, keeping installed bundles', {
      reason: 'RepositoryUnavailable',
      error: errorMessage(failure),
      retryInMs,
    });
  }

  #setConnected(isConnected: boolean): void {
    this.#isConnected = isConnected;
    this.#options.metrics.repositoryConnected(isConnected);
  }

  #apply(event: ContractEvent): void {
    switch (event.kind) {
      case 'snapshot':
        this.#contracts.clear();
        for (const received of event.contracts) this.#contracts.set(received.id, received);
        this.#hasSnapshot = true;
        return;
      case 'change':
        this.#contracts.set(event.contract.id, event.contract);
        return;
      case 'deleted': {
        const held = this.#contracts.get(event.id);
        const terms = held !== undefined && 'contract' in held ? held.contract : event.terms;
        if (terms !== undefined)
          this.#deletions.push(withdrawnContract(terms, 'deleted', this.#options.clock.now()));
        this.#contracts.delete(event.id);
        return;
      }
    }
  }

  /** Loads the memory of withdrawn contracts once, before the first stream; throws (and is retried) when unreadable. */
  async #loadWithdrawn(): Promise<void> {
    if (this.#withdrawn !== undefined) return;
    const loaded = (await this.#options.memory.load()).prunedAt(this.#options.clock.now());
    this.#withdrawn = loaded;
    this.#log.info('withdrawn contracts loaded', { contracts: loaded.size });
  }

  /**
   * Adds this sync's withdrawals to the memory and stores it. The bundles are written whatever
   * happens here: without the withdrawn contracts they only narrow. A failed write is logged and
   * retried with backoff, so the memory is durable again as soon as the store is.
   */
  async #remember(withdrawals: readonly WithdrawnContract[], now: Date): Promise<void> {
    const current = this.#withdrawn;
    if (current === undefined) return;
    const next = current.with([...this.#deletions, ...withdrawals]).prunedAt(now);
    this.#deletions = [];
    for (const entry of next.entries()) {
      if (!current.has(entry.termsSha256))
        this.#log.info('contract withdrawn', { contractId: entry.contractId, withdrawal: entry.withdrawal });
    }
    if (next === current && this.#isWithdrawnSaved) return;
    this.#withdrawn = next;
    try {
      await this.#options.memory.save(next);
      this.#isWithdrawnSaved = true;
      this.#memoryWriteFailures = 0;
    } catch (error) {
      this.#isWithdrawnSaved = false;
      this.#memoryWriteFailures += 1;
      this.#retryFailedWrite(
        this.#memoryWriteFailures,
        error,
        'withdrawn contracts not saved',
        'MemoryWriteFailed',
      );
    }
  }

  /**
   * Logs a failed write and syncs again after the reconnect backoff of its `failures`-th failure in
   * a row (one pending retry however many failures ask). Nothing else would: the next Watch event
   * may be hours away and the resync minutes, and until the first bundle write succeeds the
   * provider is not ready (a provider restarted by `helm upgrade` whose first write failed would
   * stay unready, and its rollout stuck, until the resync).
   */
  #retryFailedWrite(failures: number, error: unknown, message: string, reason: string): void {
    const retryInMs = backoffDelayMs(failures - 1, this.#options.backoff, this.#options.random);
    this.#log.error(message, { reason, error: errorMessage(error), retryInMs });
    if (this.#syncRetry !== undefined || this.#isStopped) return;
    this.#syncRetry = this.#options.timers.setTimeout(() => {
      this.#syncRetry = undefined;
      this.#syncTrigger.trigger();
    }, retryInMs);
  }

  async #refreshOwnZone(isRequired = false): Promise<void> {
    try {
      this.#ownZone = await this.#options.loadOwnZone();
    } catch (error) {
      if (isRequired) throw error;
      this.#log.warn('zone roots unavailable, keeping the known ones', {
        reason: 'PkiUnavailable',
        error: errorMessage(error),
      });
    }
  }

  async #sync(): Promise<void> {
    const ownZone = this.#ownZone;
    const withdrawn = this.#withdrawn;
    if (!this.#hasSnapshot || ownZone === undefined || withdrawn === undefined) return;
    const contracts: TrustContract[] = [];
    const rejectionKeys = new Set<string>();
    for (const received of this.#contracts.values()) {
      if ('contract' in received) {
        contracts.push(received.contract);
        continue;
      }
      const key = `${received.id}|MalformedContract|${received.malformed}`;
      rejectionKeys.add(key);
      if (!this.#reportedRejections.has(key)) {
        this.#log.warn('contract rejected', {
          contractId: received.id,
          reason: 'MalformedContract',
          detail: received.malformed,
        });
        this.#options.metrics.contractRejected('MalformedContract');
      }
    }
    const now = this.#options.clock.now();
    const { bundles, rejections, toAcknowledge, refusedRootStatements, nextRetirementAt, withdrawals } =
      desiredBundles(contracts, ownZone, withdrawn, now);
    await this.#remember(withdrawals, now);
    this.#scheduleRetirement(now, nextRetirementAt);
    for (const rejection of rejections) {
      const key = `${rejection.contractId}|${rejection.reason}|${rejection.revision}`;
      rejectionKeys.add(key);
      if (this.#reportedRejections.has(key)) continue;
      this.#log.warn('contract rejected', { ...rejection });
      this.#options.metrics.contractRejected(rejection.reason);
    }
    for (const refused of refusedRootStatements) {
      const key = `${refused.contractId}|${refused.reason}|${refused.revision}|${refused.detail}`;
      rejectionKeys.add(key);
      if (this.#reportedRejections.has(key)) continue;
      this.#log.warn('root statement refused', { ...refused });
      this.#options.metrics.rootStatementRefused(refused.reason);
    }
    this.#reportedRejections.clear();
    for (const key of rejectionKeys) this.#reportedRejections.add(key);
    const isResync = this.#isResyncDue;
    this.#isResyncDue = false;
    try {
      const result = await this.#options.writer.sync(bundles, { isResync });
      for (const trustDomain of result.written) {
        this.#log.info('bundle written', {
          trustDomain,
          contractIds: bundles.get(trustDomain)?.contractIds ?? [],
        });
      }
      for (const trustDomain of result.removed) {
        this.#log.info('bundle removed', { trustDomain, reason: 'NoActiveContract' });
      }
      this.#hasSynced = true;
      this.#bundleWriteFailures = 0;
      if (this.#isConnected) this.#options.metrics.synced(this.#options.clock.now(), bundles.size);
      else this.#options.metrics.trustedZones(bundles.size);
      this.#options.metrics.zonesInRootOverlap(
        [...bundles.values()].filter((bundle) => bundle.rootsPem.length > 1).length,
      );
    } catch (error) {
      this.#bundleWriteFailures += 1;
      this.#retryFailedWrite(this.#bundleWriteFailures, error, 'bundle write failed', 'BundleWriteFailed');
      return;
    }
    await this.#acknowledge(toAcknowledge);
  }

  /**
   * Acknowledges installed announced roots, each once per process; a failed acknowledgement is
   * retried at the next sync (the contract still lacks it), and never holds back the bundles.
   */
  async #acknowledge(roots: readonly RootToAcknowledge[]): Promise<void> {
    for (const root of roots) {
      const key = `${root.contractId}|${root.trustDomain}|${root.rootSha256}`;
      if (this.#acknowledged.has(key)) continue;
      try {
        await this.#options.acknowledgeRoot(root);
        this.#acknowledged.add(key);
        this.#log.info('announced root acknowledged', { ...root });
      } catch (error) {
        this.#log.warn('root acknowledgement failed', {
          ...root,
          reason: 'RepositoryUnavailable',
          error: errorMessage(error),
        });
      }
    }
  }

  /** Syncs again when the next trusted root retires: a retirement comes with no contract event. */
  #scheduleRetirement(now: Date, at: Date | undefined): void {
    if (this.#retirementHandle !== undefined) this.#options.timers.clearTimeout(this.#retirementHandle);
    this.#retirementHandle = undefined;
    if (at === undefined || this.#isStopped) return;
    this.#retirementHandle = this.#options.timers.setTimeout(() => {
      this.#retirementHandle = undefined;
      this.#syncTrigger.trigger();
    }, at.getTime() - now.getTime());
  }

  #scheduleResync(): void {
    if (this.#isStopped) return;
    this.#resyncHandle = this.#options.timers.setTimeout(() => {
      this.resync();
      this.#scheduleResync();
    }, this.#options.resyncIntervalMs);
  }

  #sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#isStopped) {
        resolve();
        return;
      }
      const wake = () => {
        this.#retry = undefined;
        resolve();
      };
      this.#retry = { handle: this.#options.timers.setTimeout(wake, delayMs), wake };
    });
  }
}
