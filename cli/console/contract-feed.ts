import type { ContractRepositoryClient } from '../../lib/contract/contract-repository-client.js';
import type { ContractEvent } from '../../lib/contract/contract-stream.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { UnavailableError } from '../../lib/errors/accord-error.js';
import { backoffDelayMs, type BackoffPolicy } from '../../lib/time/backoff.js';
import type { Timers } from '../../lib/time/timers.js';
import type { ConsoleEvent, ContractSummary, RepositoryStatus } from './console-api.js';
import { contractSummary } from './contract-summary.js';
import { errorText } from './error-text.js';
import { trustGraph } from './trust-graph.js';

/** What the feed needs: a way to open the repository (fresh credentials each time) and timers. */
export interface ContractFeedOptions {
  readonly openRepository: () => Promise<ContractRepositoryClient>;
  readonly selfTrustDomain: string;
  readonly timers: Timers;
  readonly backoff: BackoffPolicy;
}

/**
 * The console process's one Watch stream of the repository: it holds the contracts the zone can
 * see (approvals verified here), and turns each event into console events for every browser
 * subscribed (server-sent events: no browser polls, and no browser talks to the repository). A
 * broken stream is reopened with capped backoff and the resume token; the status says why meanwhile.
 */
export class ContractFeed {
  readonly #options: ContractFeedOptions;
  readonly #contracts = new Map<string, TrustContract>();
  readonly #malformed = new Map<string, string>();
  readonly #listeners = new Set<(events: readonly ConsoleEvent[]) => void>();
  readonly #stop = new AbortController();
  #status: RepositoryStatus = { state: 'connecting', message: null };
  #running: Promise<void> | undefined;

  constructor(options: ContractFeedOptions) {
    this.#options = options;
  }

  /** Starts following the repository. */
  start(): void {
    this.#running ??= this.#follow();
  }

  /** Stops following and waits for the stream to close. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  /** A contract as last seen on the stream. */
  contract(id: string): TrustContract | undefined {
    return this.#contracts.get(id);
  }

  /** What a newly subscribed browser needs first: the status, every contract, the graph. */
  currentEvents(): ConsoleEvent[] {
    return [
      { type: 'repository', status: this.#status },
      { type: 'snapshot', contracts: this.#summaries() },
      ...[...this.#malformed].map(([id, reason]) => ({ type: 'malformed' as const, id, reason })),
      { type: 'graph', graph: trustGraph(this.#summaries(), this.#options.selfTrustDomain) },
    ];
  }

  /** Calls `listener` with every later batch of events; returns the unsubscribe function. */
  subscribe(listener: (events: readonly ConsoleEvent[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #follow(): Promise<void> {
    let resumeToken: string | undefined;
    let attempt = 0;
    const signal = this.#stop.signal;
    // A function, not the property: TypeScript would keep `aborted` narrowed across the awaits.
    const stopped = () => signal.aborted;
    while (!stopped()) {
      try {
        const repository = await this.#options.openRepository();
        try {
          for await (const item of repository.watch(resumeToken, signal)) {
            attempt = 0;
            resumeToken = item.resumeToken;
            this.#apply(item.event);
          }
        } finally {
          repository.close();
        }
        if (!stopped()) throw new UnavailableError('the repository ended the watch');
      } catch (error) {
        if (stopped()) break;
        this.#setStatus({ state: 'unavailable', message: errorText(error) });
      }
      await this.#sleep(backoffDelayMs(attempt, this.#options.backoff, Math.random));
      attempt += 1;
      if (!stopped()) this.#setStatus({ state: 'connecting', message: this.#status.message });
    }
  }

  #apply(event: ContractEvent): void {
    const events: ConsoleEvent[] = [];
    if (this.#status.state !== 'connected') {
      this.#status = { state: 'connected', message: null };
      events.push({ type: 'repository', status: this.#status });
    }
    switch (event.kind) {
      case 'snapshot':
        this.#contracts.clear();
        this.#malformed.clear();
        for (const received of event.contracts) this.#receive(received);
        events.push(
          { type: 'snapshot', contracts: this.#summaries() },
          ...[...this.#malformed].map(([id, reason]) => ({ type: 'malformed' as const, id, reason })),
        );
        break;
      case 'change': {
        const view = this.#receive(event.contract);
        events.push(
          view === undefined
            ? {
                type: 'malformed',
                id: event.contract.id,
                reason: this.#malformed.get(event.contract.id) ?? '',
              }
            : { type: 'contract', contract: view },
        );
        break;
      }
      case 'deleted':
        this.#contracts.delete(event.id);
        this.#malformed.delete(event.id);
        events.push({ type: 'deleted', id: event.id });
        break;
    }
    events.push({ type: 'graph', graph: trustGraph(this.#summaries(), this.#options.selfTrustDomain) });
    this.#emit(events);
  }

  /** Keeps a received contract; a malformed one is remembered as such and never shown as trusted. */
  #receive(received: { id: string; contract: TrustContract } | { id: string; malformed: string }) {
    if ('malformed' in received) {
      this.#contracts.delete(received.id);
      this.#malformed.set(received.id, received.malformed);
      return undefined;
    }
    this.#malformed.delete(received.id);
    this.#contracts.set(received.id, received.contract);
    return contractSummary(received.contract, this.#options.selfTrustDomain);
  }

  #summaries(): ContractSummary[] {
    return [...this.#contracts.values()]
      .map((contract) => contractSummary(contract, this.#options.selfTrustDomain))
      .sort((left, right) => (left.id < right.id ? -1 : 1));
  }

  #setStatus(status: RepositoryStatus): void {
    this.#status = status;
    this.#emit([{ type: 'repository', status }]);
  }

  #emit(events: readonly ConsoleEvent[]): void {
    for (const listener of this.#listeners) listener(events);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#stop.signal;
      const handle = this.#options.timers.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        this.#options.timers.clearTimeout(handle);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
