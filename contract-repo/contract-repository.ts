import { randomUUID } from 'node:crypto';
import {
  auditGenesis,
  chainAuditRecord,
  decodeAuditRecord,
  type AuditCheckpoint,
  type AuditEntry,
} from '../lib/contract/audit-chain.js';
import { verifyApproval } from '../lib/contract/approval-signature.js';
import { contractLimits } from '../lib/contract/contract-limits.js';
import type {
  ContractApproval,
  ContractParticipant,
  ContractState,
  TrustContract,
} from '../lib/contract/trust-contract.js';
import type { ValidatedProposal } from '../lib/contract/validate-proposal.js';
import { InvalidArgumentError, ResourceExhaustedError } from '../lib/errors/accord-error.js';
import type { Logger } from '../lib/log/logger.js';
import type { Clock } from '../lib/time/clock.js';
import {
  authorizeAdmin,
  authorizeApprove,
  authorizeRead,
  authorizeRevoke,
  canSee,
  type Caller,
} from './contract-authorization.js';
import { ContractBook, type ContractChange } from './contract-book.js';
import { eventFromAuditRecord, eventToAuditRecord, type ContractEventRecord } from './contract-event.js';
import type { ContractStore } from './contract-store.js';
import { ContractWatcher, type WatchEvent } from './contract-watcher.js';

/** Operational bounds of one repository; all have defaults sized for a federation hub. */
export interface RepositoryLimits {
  /** Live contracts; proposals beyond it get RESOURCE_EXHAUSTED. */
  readonly maxContracts: number;
  /** Open watch streams; more get RESOURCE_EXHAUSTED. */
  readonly maxWatchers: number;
  /** Events one watcher may lag behind before its stream is ended (it then resumes). */
  readonly watchQueueLength: number;
  /**
   * How far an approval's `signed_at` may be from the repository's clock. Signatures are checked
   * at `signed_at`, so without this bound a key whose certificate expired could backdate consent.
   */
  readonly maxApprovalClockSkewMs: number;
}

export const defaultRepositoryLimits: RepositoryLimits = {
  maxContracts: 100_000,
  maxWatchers: 1024,
  watchQueueLength: 10_000,
  maxApprovalClockSkewMs: 5 * 60 * 1000,
};

/** A zone the caller trusts through at least one active contract (GetCertificates). */
export interface TrustedPartner {
  readonly name: string;
  readonly trustDomain: string;
  readonly rootPem: string;
  readonly rootSha256: string;
  readonly contractIds: readonly string[];
}

/** One page of the audit log plus the head at the time of the call. */
export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly head: AuditCheckpoint;
}

export interface ContractRepositoryOptions {
  readonly store: ContractStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** SPIFFE IDs (URIs) allowed to propose, revoke, delete and read everything. */
  readonly admins: Iterable<string>;
  readonly limits?: Partial<RepositoryLimits>;
}

const defaultAuditPageSize = 500;
const maxAuditPageSize = 5000;

/**
 * The contract repository's domain: the consent state machine over an event-sourced, hash-chained
 * audit log. Every mutation runs under one lock, so audit order is commit order; it is decided
 * (authorization, signature verification, transition) before it is appended, applied only after
 * the store acknowledged it durably, and only then announced to watchers.
 */
export class ContractRepository {
  readonly #store: ContractStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #admins: ReadonlySet<string>;
  readonly #limits: RepositoryLimits;
  readonly #book = new ContractBook();
  readonly #entries: AuditEntry[] = [];
  readonly #watchers = new Set<ContractWatcher>();
  #head: AuditCheckpoint = auditGenesis;
  #lock: Promise<unknown> = Promise.resolve();

  private constructor(options: ContractRepositoryOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#admins = new Set(options.admins);
    this.#limits = { ...defaultRepositoryLimits, ...options.limits };
  }

  /** Loads the store and rebuilds the state by folding every audit entry. */
  static async open(options: ContractRepositoryOptions): Promise<ContractRepository> {
    const repository = new ContractRepository(options);
    const entries = await options.store.load();
    const participantCache = new Map<string, ContractParticipant>();
    for (const entry of entries) {
      const record = eventFromAuditRecord(decodeAuditRecord(entry.record), participantCache);
      repository.#book.apply(record);
      repository.#entries.push(entry);
      repository.#head = { sequence: entry.sequence, hash: entry.hash };
    }
    options.logger.info('contract repository loaded', {
      entries: entries.length,
      contracts: repository.#book.size,
      headSequence: repository.#head.sequence,
    });
    return repository;
  }

  /** Whether `caller` is a configured admin: for adapters that build a `Caller`. */
  get admins(): ReadonlySet<string> {
    return this.#admins;
  }

  get head(): AuditCheckpoint {
    return this.#head;
  }

  /** Contracts visible to the caller, optionally only those in `state`. */
  list(caller: Caller, state?: ContractState): TrustContract[] {
    const visible = caller.isAdmin ? this.#book.all() : this.#book.ofTrustDomain(caller.trustDomain);
    return [...visible].filter((contract) => state === undefined || contract.state === state);
  }

  get(caller: Caller, id: string): TrustContract {
    return authorizeRead(caller, id, this.#book.get(id));
  }

  /** Stores a validated proposal (admins only); the id is assigned when the proposal has none. */
  propose(caller: Caller, proposal: ValidatedProposal): Promise<TrustContract> {
    return this.#commit(() => {
      authorizeAdmin(caller, 'proposing a contract');
      const id = proposal.id ?? randomUUID();
      if (this.#book.get(id) === undefined && this.#book.size >= this.#limits.maxContracts) {
        throw new ResourceExhaustedError(
          `the repository holds its maximum of ${this.#limits.maxContracts} contracts`,
        );
      }
      const now = this.#clock.now();
      const previous = this.#book.latest(id);
      // A re-proposal under a deleted id gets a later createdAt, which approvals sign: old ones cannot be replayed.
      const time =
        previous?.isDeleted === true && previous.contract.createdAt.getTime() >= now.getTime()
          ? new Date(previous.contract.createdAt.getTime() + 1)
          : now;
      return {
        contractId: id,
        actor: caller.spiffeId,
        time,
        event: { action: 'propose', participants: proposal.participants },
      };
    });
  }

  /**
   * Adds a participant's approval. The caller must belong to that participant's trust domain, and
   * the approval must verify against that participant's root in the stored contract and be signed
   * recently; a rejected approval is never stored.
   */
  approve(caller: Caller, id: string, approval: ContractApproval): Promise<TrustContract> {
    return this.#commit(() => {
      const contract = authorizeApprove(caller, id, this.#book.get(id), approval.participant);
      const now = this.#clock.now();
      const skewMs = Math.abs(approval.signedAt.getTime() - now.getTime());
      if (skewMs > this.#limits.maxApprovalClockSkewMs) {
        throw new InvalidArgumentError(
          `approval.signed_at: ${approval.signedAt.toISOString()} is more than ${this.#limits.maxApprovalClockSkewMs / 1000} s away from the repository's clock`,
        );
      }
      verifyApproval(contract, approval);
      return { contractId: id, actor: caller.spiffeId, time: now, event: { action: 'approve', approval } };
    });
  }

  /** Revokes a contract (a participant zone or an admin). Terminal. */
  revoke(caller: Caller, id: string, reason: string): Promise<TrustContract> {
    return this.#commit(() => {
      authorizeRevoke(caller, id, this.#book.get(id));
      if (reason.length > contractLimits.maxRevocationReasonLength) {
        throw new InvalidArgumentError(
          `reason: longer than ${contractLimits.maxRevocationReasonLength} characters`,
        );
      }
      return {
        contractId: id,
        actor: caller.spiffeId,
        time: this.#clock.now(),
        event: { action: 'revoke', reason },
      };
    });
  }

  /** Removes a contract and its trust (admins only). The audit log keeps its history. */
  async delete(caller: Caller, id: string): Promise<void> {
    await this.#commit(() => {
      authorizeAdmin(caller, 'deleting a contract');
      authorizeRead(caller, id, this.#book.get(id));
      return { contractId: id, actor: caller.spiffeId, time: this.#clock.now(), event: { action: 'delete' } };
    });
  }

  /**
   * The thesis' GetCertificates: the partners of the caller's zone in active contracts, one entry
   * per distinct (trust domain, root). Costs what the caller's own contracts cost.
   */
  partners(caller: Caller): TrustedPartner[] {
    const partners = new Map<string, { participant: ContractParticipant; contractIds: string[] }>();
    for (const contract of this.#book.ofTrustDomain(caller.trustDomain)) {
      if (contract.state !== 'active') continue;
      for (const participant of contract.participants) {
        if (participant.trustDomain === caller.trustDomain) continue;
        const key = `${participant.trustDomain}\n${participant.rootSha256}`;
        const partner = partners.get(key) ?? { participant, contractIds: [] };
        partner.contractIds.push(contract.id);
        partners.set(key, partner);
      }
    }
    return [...partners.values()].map(({ participant, contractIds }) => ({
      name: participant.name,
      trustDomain: participant.trustDomain,
      rootPem: participant.rootPem,
      rootSha256: participant.rootSha256,
      contractIds,
    }));
  }

  /**
   * Streams the caller's contracts: a snapshot (or, with a valid `resumeToken`, only the latest
   * state of each visible contract changed after it, oldest first), then every change as it
   * commits. Resume tokens are audit sequence numbers.
   */
  async *watch(caller: Caller, resumeToken: string, signal: AbortSignal): AsyncGenerator<WatchEvent> {
    if (this.#watchers.size >= this.#limits.maxWatchers) {
      throw new ResourceExhaustedError(`the repository serves at most ${this.#limits.maxWatchers} watches`);
    }
    // No await between computing the initial events and registering: no change can slip in between.
    const initial = this.#initialWatchEvents(caller, resumeToken);
    const watcher = new ContractWatcher(caller, this.#limits.watchQueueLength);
    this.#watchers.add(watcher);
    try {
      yield* initial;
      for (;;) {
        const event = await watcher.next(signal);
        if (event === undefined) return;
        yield event;
      }
    } finally {
      this.#watchers.delete(watcher);
    }
  }

  /** A page of the audit log (admins only: it names every contract and zone). */
  auditLog(caller: Caller, startSequence: number, pageSize: number): AuditPage {
    authorizeAdmin(caller, 'reading the audit log');
    const start = Math.max(1, startSequence);
    const size = pageSize <= 0 ? defaultAuditPageSize : Math.min(pageSize, maxAuditPageSize);
    return { entries: this.#entries.slice(start - 1, start - 1 + size), head: this.#head };
  }

  #initialWatchEvents(caller: Caller, resumeToken: string): WatchEvent[] {
    const head = String(this.#head.sequence);
    const after = /^\d{1,15}$/.test(resumeToken) ? Number(resumeToken) : undefined;
    if (after === undefined || after > this.#head.sequence) {
      return [{ kind: 'snapshot', contracts: this.list(caller), resumeToken: head }];
    }
    const changedIds = new Set(
      this.#entries.slice(after).map((entry) => decodeAuditRecord(entry.record).contractId),
    );
    return [...changedIds]
      .map((id) => this.#book.latest(id))
      .filter((change): change is ContractChange => change !== undefined && canSee(caller, change.contract))
      .sort((left, right) => left.sequence - right.sequence)
      .map((change) => ({ kind: 'change', change, resumeToken: String(change.sequence) }));
  }

  /**
   * Runs `decide` under the repository lock, then appends its event durably, applies it and tells
   * the watchers. `decide` throws to refuse; nothing is stored then.
   */
  #commit(decide: () => Omit<ContractEventRecord, 'sequence'>): Promise<TrustContract> {
    const run = async (): Promise<TrustContract> => {
      const decided = decide();
      const record: ContractEventRecord = { ...decided, sequence: this.#head.sequence + 1 };
      this.#book.preview(record);
      const entry = chainAuditRecord(this.#head, eventToAuditRecord(record));
      await this.#store.append(entry, this.#head.sequence);
      this.#entries.push(entry);
      this.#head = { sequence: entry.sequence, hash: entry.hash };
      const change = this.#book.apply(record);
      this.#logger.info('contract changed', {
        contractId: record.contractId,
        action: record.event.action,
        sequence: record.sequence,
        actor: record.actor,
        state: change.isDeleted ? 'deleted' : change.contract.state,
      });
      this.#notify(change);
      return change.contract;
    };
    const result = this.#lock.then(run, run);
    this.#lock = result.catch(() => undefined);
    return result;
  }

  #notify(change: ContractChange): void {
    for (const watcher of this.#watchers) {
      if (canSee(watcher.caller, change.contract)) {
        watcher.push({ kind: 'change', change, resumeToken: String(change.sequence) });
      }
    }
  }

  /** Closes the store; open watches end when their streams are cancelled. */
  async close(): Promise<void> {
    await this.#lock;
    await this.#store.close();
  }
}
