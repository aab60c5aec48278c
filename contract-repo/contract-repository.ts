import { randomUUID } from 'node:crypto';
import {
  AuditChainVerifier,
  auditGenesis,
  chainAuditRecord,
  type AuditCheckpoint,
  type AuditEntry,
} from '../lib/contract/audit-chain.js';
import { verifyApproval } from '../lib/contract/approval-signature.js';
import { verifyRevocation } from '../lib/contract/revocation-signature.js';
import { contractLimits } from '../lib/contract/contract-limits.js';
import type {
  ContractApproval,
  ContractParticipant,
  ContractState,
  ParticipantSignature,
  TrustContract,
} from '../lib/contract/trust-contract.js';
import type { ValidatedProposal } from '../lib/contract/validate-proposal.js';
import type { RootActivation, RootAnnouncement, RootRevocation } from '../lib/contract/root-rotation.js';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  ResourceExhaustedError,
  UnavailableError,
  errorMessage,
} from '../lib/errors/accord-error.js';
import type { Logger } from '../lib/log/logger.js';
import type { Clock } from '../lib/time/clock.js';
import { systemTimers, type TimerHandle, type Timers } from '../lib/time/timers.js';
import {
  authorizeAdmin,
  authorizeConsent,
  authorizeRead,
  canSee,
  type Caller,
} from './contract-authorization.js';
import { ContractBook, type ContractChange } from './contract-book.js';
import {
  EventDecodeCache,
  eventFromAuditRecord,
  eventToAuditRecord,
  type ContractEventRecord,
} from './contract-event.js';
import type { ContractStore, StoredSnapshot } from './contract-store.js';
import {
  decodeContractSnapshot,
  encodeContractSnapshot,
  isReadableSnapshot,
  type ContractSnapshot,
} from './contract-snapshot.js';
import { CorruptStoreError } from './stored-audit-entry.js';
import {
  decideRootAcknowledgement,
  decideRootActivation,
  decideRootAnnouncement,
  decideRootRevocation,
  type RootStatementDecision,
} from './root-statement-decision.js';
import { ContractWatcher, type WatchEvent } from './contract-watcher.js';
import {
  defaultPageBytes,
  estimatedWireBytes,
  indexAfter,
  maxListPageSize,
  splitByBytes,
} from './contract-pages.js';

/** Operational bounds of one repository; all have defaults sized for a federation hub. */
export interface RepositoryLimits {
  /** Live contracts; proposals beyond it get RESOURCE_EXHAUSTED. */
  readonly maxContracts: number;
  /** Open watch streams; more get RESOURCE_EXHAUSTED. */
  readonly maxWatchers: number;
  /** Events one watcher may lag behind before its stream is ended (it then resumes). */
  readonly watchQueueLength: number;
  /**
   * How far an approval's or revocation's `signed_at` may be from the repository's clock: consent
   * arrives right after it is signed, so an old signature is refused even when it still verifies
   * (its signer is checked at its PKI timestamp, see lib/contract/consent-timestamp.ts).
   */
  readonly maxApprovalClockSkewMs: number;
  /** Bytes of contracts (by `estimatedWireBytes`) per List page and per Watch snapshot part. */
  readonly pageBytes: number;
}

export const defaultRepositoryLimits: RepositoryLimits = {
  maxContracts: 100_000,
  maxWatchers: 1024,
  watchQueueLength: 10_000,
  maxApprovalClockSkewMs: 5 * 60 * 1000,
  pageBytes: defaultPageBytes,
};

/** One page of `listPage`: contracts in id order, and the token of the next page ('' after the last). */
export interface ContractPage {
  readonly contracts: readonly TrustContract[];
  readonly nextPageToken: string;
}

/** What a page token is: the id of the last contract a page examined (ids are DNS labels or UUIDs). */
const pageTokenPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A snapshot part's resume token: `<head>.<id of its last contract>`. */
const partTokenPattern = /^(\d{1,15})\.([a-z0-9][a-z0-9-]{0,62})$/;

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
  /**
   * How often a replica on a shared store (one with `readAfter`) reads what other replicas
   * appended: the bound on how stale its reads and watches are. Defaults to 500 ms.
   */
  readonly followIntervalMs?: number;
  /** Schedules the follow loop; tests pass manual timers. Defaults to the real (unref'd) timers. */
  readonly timers?: Timers;
  /**
   * How many entries after the last snapshot make the repository write the next one (in the
   * background, after a commit or a follow). A start folds at most about this many entries on top
   * of the snapshot. Defaults to 2,000.
   */
  readonly snapshotEveryEntries?: number;
}

const defaultAuditPageSize = 500;
const maxAuditPageSize = 5000;
const defaultFollowIntervalMs = 500;
/** How many entries after the last snapshot make the next one, unless `snapshotEveryEntries` says otherwise. */
export const defaultSnapshotEveryEntries = 2000;

/**
 * How often one commit may lose the race for the next sequence before it gives up with
 * UNAVAILABLE. Every lost race means another replica committed, so the whole log always makes
 * progress; one request can only starve while others keep winning, and loses at most once per
 * commit the other replicas make meanwhile, so this covers bursts of that many concurrent writes.
 */
export const maxCommitAttempts = 16;

/**
 * The contract repository's domain: the consent state machine over an event-sourced, hash-chained
 * audit log. Every mutation runs under one lock, so audit order is commit order; it is decided
 * (authorization, signature verification, transition) before it is appended, applied only after
 * the store acknowledged it durably, and only then announced to watchers.
 *
 * Several replicas may share one store that implements `readAfter` (the Kubernetes store). The
 * store's optimistic append makes commits linearizable: a replica whose append loses the race for
 * the next sequence catches up (reads, verifies and folds the winner's entries) and decides the
 * same request again against the new state, so e.g. an approval that raced a revocation is refused
 * as it would have been on one replica. In the background each replica follows the log every
 * `followIntervalMs`, folding and announcing other replicas' entries under the same lock. Reads
 * (`get`, `list`, `partners`, watches) see a replica's own commits at once and other replicas'
 * within the follow interval. An entry that does not verify is never applied: the replica logs
 * it, stops following, reports not ready and refuses writes.
 */
export class ContractRepository {
  readonly #store: ContractStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #admins: ReadonlySet<string>;
  readonly #limits: RepositoryLimits;
  readonly #book = new ContractBook();
  readonly #watchers = new Set<ContractWatcher>();
  /** `partners()` per trust domain, valid while the head has not moved. */
  readonly #partnersByTrustDomain = new Map<
    string,
    { readonly headSequence: number; readonly partners: readonly TrustedPartner[] }
  >();
  readonly #timers: Timers;
  readonly #followIntervalMs: number;
  #head: AuditCheckpoint = auditGenesis;
  #lock: Promise<unknown> = Promise.resolve();
  #followTimer: TimerHandle | undefined;
  readonly #snapshotEveryEntries: number;
  /** The head of the newest snapshot loaded or written (0: none). */
  #snapshotSequence = 0;
  /** The snapshot being written, if any; one at a time. */
  #snapshotWrite: Promise<void> | undefined;
  #isClosed = false;
  /** Why this replica stopped following a shared log; set once, never cleared. */
  #refusal: UnavailableError | undefined;

  private constructor(options: ContractRepositoryOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#admins = new Set(options.admins);
    this.#limits = { ...defaultRepositoryLimits, ...options.limits };
    this.#timers = options.timers ?? systemTimers;
    this.#followIntervalMs = options.followIntervalMs ?? defaultFollowIntervalMs;
    this.#snapshotEveryEntries = options.snapshotEveryEntries ?? defaultSnapshotEveryEntries;
  }

  /**
   * Loads the store and rebuilds the state: from the store's snapshot plus the entries after it,
   * or by folding every entry when there is none. On a shared store, then starts following what
   * other replicas append.
   */
  static async open(options: ContractRepositoryOptions): Promise<ContractRepository> {
    const repository = new ContractRepository(options);
    const { snapshot, entries } = await options.store.load(isReadableSnapshot);
    try {
      const cache = new EventDecodeCache();
      if (snapshot !== undefined) repository.#restore(snapshot, cache);
      repository.#fold(entries, cache);
    } catch (error) {
      await options.store.close();
      throw error;
    }
    options.logger.info('contract repository loaded', {
      snapshotSequence: repository.#snapshotSequence,
      entries: entries.length,
      contracts: repository.#book.size,
      headSequence: repository.#head.sequence,
      isFollowing: options.store.readAfter !== undefined,
    });
    repository.#scheduleFollow(repository.#followIntervalMs);
    repository.#maybeSnapshot();
    return repository;
  }

  /**
   * Starts from a snapshot the store vouches for (intact, and its head is in the log). One that
   * does not decode into states the log could reach is not guessed around: the start stops, naming
   * it; removing the snapshot makes the next start fold the whole log again.
   */
  #restore(stored: StoredSnapshot, cache: EventDecodeCache): void {
    let snapshot: ContractSnapshot;
    try {
      snapshot = decodeContractSnapshot(stored.bytes, cache);
    } catch (error) {
      throw new CorruptStoreError(
        `the snapshot at audit sequence ${stored.head.sequence} cannot be used (remove it to rebuild the state from the log): ${errorMessage(error)}`,
        { cause: error },
      );
    }
    if (
      snapshot.head.sequence !== stored.head.sequence ||
      !Buffer.from(snapshot.head.hash).equals(Buffer.from(stored.head.hash))
    ) {
      throw new CorruptStoreError(
        `the snapshot at audit sequence ${stored.head.sequence} holds the state of another head (remove it to rebuild the state from the log)`,
      );
    }
    this.#book.restore(snapshot.contracts, snapshot.tombstones);
    this.#head = stored.head;
    this.#snapshotSequence = stored.head.sequence;
  }

  /**
   * False once this replica refused an entry of a shared log that does not verify: it then still
   * answers reads from the last verified state but refuses writes, and should leave the Service's
   * endpoints until the log is repaired and it restarts.
   */
  get isReady(): boolean {
    return this.#refusal === undefined;
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

  /**
   * A page of the contracts visible to the caller, optionally only those in `state`, in id order,
   * after the contract `pageToken` names ('' for the first page): at most `pageSize` (capped at
   * `maxListPageSize`) and about `pageBytes`. `pageSize` 0 returns every one in a single page, as
   * List did before it had pages.
   */
  listPage(
    caller: Caller,
    state: ContractState | undefined,
    pageSize: number,
    pageToken: string,
  ): ContractPage {
    if (pageToken !== '' && !pageTokenPattern.test(pageToken))
      throw new InvalidArgumentError('page_token: not a token this repository issued');
    const ids = this.#book.sortedIds(caller.isAdmin ? undefined : caller.trustDomain);
    const isPaged = pageSize > 0;
    const limit = isPaged ? Math.min(pageSize, maxListPageSize) : Number.POSITIVE_INFINITY;
    const contracts: TrustContract[] = [];
    let bytes = 0;
    let next = pageToken === '' ? 0 : indexAfter(ids, pageToken);
    for (; next < ids.length && contracts.length < limit; next += 1) {
      const contract = this.#book.get(ids[next] ?? '');
      if (contract === undefined || (state !== undefined && contract.state !== state)) continue;
      const size = estimatedWireBytes(contract);
      if (isPaged && contracts.length > 0 && bytes + size > this.#limits.pageBytes) break;
      bytes += size;
      contracts.push(contract);
    }
    return { contracts, nextPageToken: next < ids.length ? (ids[next - 1] ?? '') : '' };
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
   * Adds a participant's approval. The caller must be a designated approver of that participant,
   * and the approval must verify against that participant's root in the stored contract and be
   * signed recently; a rejected approval is never stored.
   */
  approve(caller: Caller, id: string, approval: ContractApproval): Promise<TrustContract> {
    return this.#commit(() => {
      const contract = authorizeConsent(caller, 'approve', id, this.#book.get(id), approval.participant);
      this.#requireRecent(approval, 'approval');
      verifyApproval(contract, approval);
      return {
        contractId: id,
        actor: caller.spiffeId,
        time: this.#clock.now(),
        event: { action: 'approve', approval },
      };
    });
  }

  /**
   * Revokes a contract with a participant's signed revocation. Terminal. As with an approval, the
   * caller must be a designated approver of the revoking participant and the revocation must
   * verify and be signed recently; admins get no exception (they may delete instead).
   */
  revoke(caller: Caller, id: string, reason: string, signed: ParticipantSignature): Promise<TrustContract> {
    return this.#commit(() => {
      const contract = authorizeConsent(caller, 'revoke', id, this.#book.get(id), signed.participant);
      if (reason.length > contractLimits.maxRevocationReasonLength) {
        throw new InvalidArgumentError(
          `reason: longer than ${contractLimits.maxRevocationReasonLength} characters`,
        );
      }
      this.#requireRecent(signed, 'revocation');
      verifyRevocation(contract, { reason, signed });
      return {
        contractId: id,
        actor: caller.spiffeId,
        time: this.#clock.now(),
        event: { action: 'revoke', reason, signed },
      };
    });
  }

  /**
   * Adds the caller zone's announcement of its next root to contract `id`
   * (`decideRootAnnouncement`); a retry of a stored announcement changes nothing.
   */
  announceRoot(caller: Caller, id: string, announcement: RootAnnouncement): Promise<TrustContract> {
    return this.#commitRootStatement(caller, id, (contract, now) =>
      decideRootAnnouncement(caller, contract, announcement, now, this.#limits.maxApprovalClockSkewMs),
    );
  }

  /** Adds the activation of an announced root to contract `id` (`decideRootActivation`). */
  activateRoot(caller: Caller, id: string, activation: RootActivation): Promise<TrustContract> {
    return this.#commitRootStatement(caller, id, (contract) =>
      decideRootActivation(caller, contract, activation),
    );
  }

  /** Records that the caller's provider installed an announced root (`decideRootAcknowledgement`). */
  acknowledgeRoot(
    caller: Caller,
    id: string,
    trustDomain: string,
    rootSha256: string,
  ): Promise<TrustContract> {
    return this.#commitRootStatement(caller, id, (contract) =>
      decideRootAcknowledgement(caller, contract, trustDomain, rootSha256),
    );
  }

  /** Adds a root revocation (signed by the revoked root) to contract `id` (`decideRootRevocation`). */
  revokeRoot(caller: Caller, id: string, revocation: RootRevocation): Promise<TrustContract> {
    return this.#commitRootStatement(caller, id, (contract) =>
      decideRootRevocation(caller, contract, revocation),
    );
  }

  #commitRootStatement(
    caller: Caller,
    id: string,
    decide: (contract: TrustContract, now: Date) => RootStatementDecision,
  ): Promise<TrustContract> {
    return this.#commit(() => {
      const contract = authorizeRead(caller, id, this.#book.get(id));
      const now = this.#clock.now();
      const decision = decide(contract, now);
      if (decision === 'unchanged') return { unchanged: contract };
      return { contractId: id, actor: caller.spiffeId, time: now, event: decision };
    });
  }

  /** Refuses consent whose `signed_at` is further than the allowed skew from the repository's clock. */
  #requireRecent(signed: ParticipantSignature, field: string): void {
    const skewMs = Math.abs(signed.signedAt.getTime() - this.#clock.now().getTime());
    if (skewMs > this.#limits.maxApprovalClockSkewMs) {
      throw new InvalidArgumentError(
        `${field}.signed_at: ${signed.signedAt.toISOString()} is more than ${this.#limits.maxApprovalClockSkewMs / 1000} s away from the repository's clock`,
      );
    }
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
   * per distinct (trust domain, root). Costs what the caller's own contracts cost, once per zone
   * and change: until the head moves, every caller of a zone gets the same (frozen) array, which
   * also lets the service keep its encoding.
   */
  partners(caller: Caller): readonly TrustedPartner[] {
    const cached = this.#partnersByTrustDomain.get(caller.trustDomain);
    if (cached?.headSequence === this.#head.sequence) return cached.partners;
    const partners = Object.freeze(this.#computePartners(caller.trustDomain));
    this.#partnersByTrustDomain.set(caller.trustDomain, { headSequence: this.#head.sequence, partners });
    return partners;
  }

  #computePartners(trustDomain: string): TrustedPartner[] {
    const partners = new Map<string, { participant: ContractParticipant; contractIds: string[] }>();
    for (const contract of this.#book.ofTrustDomain(trustDomain)) {
      if (contract.state !== 'active') continue;
      for (const participant of contract.participants) {
        if (participant.trustDomain === trustDomain) continue;
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
   * commits. Resume tokens are audit sequence numbers. With `isInParts` the snapshot comes in
   * parts of about `pageBytes` in id order, each resumable: a part's token is
   * `<head>.<id of its last contract>`, and resuming with it sends the changes to the contracts up
   * to that id since that head, then the remaining contracts as they are now, in parts.
   */
  async *watch(
    caller: Caller,
    resumeToken: string,
    signal: AbortSignal,
    isInParts = false,
  ): AsyncGenerator<WatchEvent> {
    if (this.#watchers.size >= this.#limits.maxWatchers) {
      throw new ResourceExhaustedError(`the repository serves at most ${this.#limits.maxWatchers} watches`);
    }
    // No await between computing the initial events and registering: no change can slip in between.
    const initial = this.#initialWatchEvents(caller, resumeToken, isInParts);
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

  /**
   * A page of the audit log (admins only: it names every contract and zone), read from the store,
   * never past the head reported with it.
   */
  async auditLog(caller: Caller, startSequence: number, pageSize: number): Promise<AuditPage> {
    authorizeAdmin(caller, 'reading the audit log');
    const head = this.#head;
    const start = Math.max(1, startSequence);
    const size = pageSize <= 0 ? defaultAuditPageSize : Math.min(pageSize, maxAuditPageSize);
    const count = Math.min(size, head.sequence - start + 1);
    return { entries: count > 0 ? await this.#store.readEntries(start, count) : [], head };
  }

  #initialWatchEvents(caller: Caller, resumeToken: string, isInParts: boolean): WatchEvent[] {
    const head = this.#head.sequence;
    const after = /^\d{1,15}$/.test(resumeToken) ? Number(resumeToken) : undefined;
    if (after !== undefined && after <= head) {
      return this.#book
        .changesAfter(after)
        .filter((change) => canSee(caller, change.contract))
        .map((change) => ({ kind: 'change', change, resumeToken: String(change.sequence) }));
    }
    if (!isInParts) {
      return [
        {
          kind: 'snapshot',
          contracts: this.list(caller),
          resumeToken: String(head),
          hasMore: false,
          isContinuation: false,
        },
      ];
    }
    const part = partTokenPattern.exec(resumeToken);
    const [, partHead, lastId] = part ?? [];
    if (partHead === undefined || lastId === undefined || Number(partHead) > head)
      return this.#snapshotParts(caller, undefined);
    // Resuming a snapshot: what changed among the contracts the client holds, then the rest as
    // they are now. Replaying a change is harmless, so those keep the part's token.
    const changes: WatchEvent[] = this.#book
      .changesAfter(Number(partHead))
      .filter((change) => change.contract.id <= lastId && canSee(caller, change.contract))
      .map((change) => ({ kind: 'change', change, resumeToken }));
    return [...changes, ...this.#snapshotParts(caller, lastId)];
  }

  /** The caller's contracts after `afterId` (all without one) as snapshot parts at the head. */
  #snapshotParts(caller: Caller, afterId: string | undefined): WatchEvent[] {
    const head = this.#head.sequence;
    const ids = this.#book.sortedIds(caller.isAdmin ? undefined : caller.trustDomain);
    const contracts = ids
      .slice(afterId === undefined ? 0 : indexAfter(ids, afterId))
      .map((id) => this.#book.get(id))
      .filter((contract): contract is TrustContract => contract !== undefined);
    const parts = splitByBytes(contracts, this.#limits.pageBytes);
    return parts.map((part, index) => {
      const hasMore = index < parts.length - 1;
      return {
        kind: 'snapshot',
        contracts: part,
        resumeToken: hasMore ? `${head}.${part.at(-1)?.id ?? ''}` : String(head),
        hasMore,
        isContinuation: afterId !== undefined || index > 0,
      };
    });
  }

  /**
   * Runs `decide` under the repository lock, then appends its event durably, applies it and tells
   * the watchers. `decide` throws to refuse, or returns `unchanged` for a retry of what is stored
   * already; nothing is stored then. When another replica appended
   * first, catches up and runs `decide` again on the new state (at most `maxCommitAttempts` times).
   */
  #commit(
    decide: () => Omit<ContractEventRecord, 'sequence'> | { unchanged: TrustContract },
  ): Promise<TrustContract> {
    return this.#exclusive(async () => {
      for (let attempt = 1; ; attempt += 1) {
        if (this.#refusal !== undefined) throw this.#refusal;
        const decided = decide();
        if ('unchanged' in decided) return decided.unchanged;
        const record: ContractEventRecord = { ...decided, sequence: this.#head.sequence + 1 };
        this.#book.preview(record);
        const entry = chainAuditRecord(this.#head, eventToAuditRecord(record));
        try {
          await this.#store.append(entry, this.#head.sequence);
        } catch (error) {
          if (!(error instanceof AlreadyExistsError) || this.#store.readAfter === undefined) throw error;
          this.#logger.debug('audit append lost a race', { sequence: entry.sequence, attempt });
          if (attempt >= maxCommitAttempts) {
            throw new UnavailableError(
              `other replicas appended first ${maxCommitAttempts} times in a row; retry the request`,
              { cause: error },
            );
          }
          await this.#catchUp();
          continue;
        }
        return this.#applyCommitted(entry, record);
      }
    });
  }

  /** Applies an entry this replica appended and announces it. */
  #applyCommitted(entry: AuditEntry, record: ContractEventRecord): TrustContract {
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
    this.#maybeSnapshot();
    return change.contract;
  }

  /** Runs `run` after everything queued before it: commits, catch-ups and follows never interleave. */
  #exclusive<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(run, run);
    this.#lock = result.catch(() => undefined);
    return result;
  }

  /**
   * Verifies `entries` onto the head and folds them into the book, announcing each change: the one
   * path for the loaded log, a catch-up after a lost race and followed entries, so all three
   * rebuild the state alike. Throws on the first entry that does not chain onto the head or is not
   * an allowed transition; the entries before it stay applied.
   */
  #fold(entries: readonly AuditEntry[], cache = new EventDecodeCache()): void {
    const verifier = new AuditChainVerifier(this.#head);
    for (const entry of entries) {
      const record = eventFromAuditRecord(verifier.add(entry), cache);
      const change = this.#book.apply(record);
      this.#head = verifier.head;
      this.#notify(change);
    }
  }

  /**
   * Writes a snapshot in the background once `snapshotEveryEntries` entries came after the last
   * one. The state is taken now (contracts are immutable values, so the arrays of them stay the
   * state at this head), encoded after the current call returns, and handed to the store; a
   * failure is logged and the next commit tries again.
   */
  #maybeSnapshot(): void {
    if (this.#snapshotWrite !== undefined || this.#isClosed) return;
    if (this.#head.sequence - this.#snapshotSequence < this.#snapshotEveryEntries) return;
    const snapshot: ContractSnapshot = { head: this.#head, ...this.#book.held() };
    this.#snapshotWrite = this.#writeSnapshot(snapshot).finally(() => {
      this.#snapshotWrite = undefined;
    });
  }

  async #writeSnapshot(snapshot: ContractSnapshot): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const bytes = encodeContractSnapshot(snapshot);
      await this.#store.writeSnapshot({ head: snapshot.head, bytes });
      this.#snapshotSequence = snapshot.head.sequence;
      this.#logger.info('contract snapshot written', {
        headSequence: snapshot.head.sequence,
        contracts: snapshot.contracts.length,
        bytes: bytes.byteLength,
      });
    } catch (error) {
      this.#logger.warn('contract snapshot failed', {
        headSequence: snapshot.head.sequence,
        error: errorMessage(error),
      });
    }
  }

  /**
   * Reads and folds what other replicas appended after the head; call under the lock. Returns how
   * many entries it applied. A transient read failure is thrown as is; an entry that does not
   * verify stops this replica for good (`#refuse`).
   */
  async #catchUp(): Promise<number> {
    if (this.#refusal !== undefined) throw this.#refusal;
    if (this.#store.readAfter === undefined) return 0;
    const from = this.#head.sequence;
    let entries: AuditEntry[];
    try {
      entries = await this.#store.readAfter(this.#head);
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      throw this.#refuse(error);
    }
    try {
      this.#fold(entries);
    } catch (error) {
      throw this.#refuse(error);
    }
    if (entries.length > 0)
      this.#logger.debug('audit log followed', { fromSequence: from + 1, toSequence: this.#head.sequence });
    return entries.length;
  }

  /** Stops following and writing after an entry that does not verify; returns the error to throw. */
  #refuse(error: unknown): UnavailableError {
    this.#refusal ??= new UnavailableError(
      `this repository replica refused an audit log entry after sequence ${this.#head.sequence} that does not verify; it accepts no changes until the log is repaired`,
      { cause: error },
    );
    this.#logger.error('audit log entry refused, following stopped', {
      headSequence: this.#head.sequence,
      error: errorMessage(error),
    });
    return this.#refusal;
  }

  /** Schedules the next follow of a shared store, unless the repository closed or refused the log. */
  #scheduleFollow(delayMs: number): void {
    if (this.#store.readAfter === undefined || this.#isClosed || this.#refusal !== undefined) return;
    this.#followTimer = this.#timers.setTimeout(() => {
      this.#followTimer = undefined;
      void this.#follow();
    }, delayMs);
  }

  /** One follow step; reads again at once while entries keep coming, else after the interval. */
  async #follow(): Promise<void> {
    let applied = 0;
    try {
      applied = await this.#exclusive(() => (this.#isClosed ? Promise.resolve(0) : this.#catchUp()));
    } catch (error) {
      // A refusal was logged by #refuse and ends the loop; anything else is retried next time.
      if (this.#refusal === undefined) {
        this.#logger.warn('audit log follow failed', {
          headSequence: this.#head.sequence,
          error: errorMessage(error),
          ...(error instanceof Error && error.cause !== undefined
            ? { cause: errorMessage(error.cause) }
            : {}),
        });
      }
    }
    this.#scheduleFollow(applied > 0 ? 0 : this.#followIntervalMs);
  }

  #notify(change: ContractChange): void {
    for (const watcher of this.#watchers) {
      if (canSee(watcher.caller, change.contract)) {
        watcher.push({ kind: 'change', change, resumeToken: String(change.sequence) });
      }
    }
  }

  /** Stops following and closes the store; open watches end when their streams are cancelled. */
  async close(): Promise<void> {
    this.#isClosed = true;
    if (this.#followTimer !== undefined) this.#timers.clearTimeout(this.#followTimer);
    this.#followTimer = undefined;
    await this.#lock;
    await this.#snapshotWrite;
    await this.#store.close();
  }
}
