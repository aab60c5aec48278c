import type { TrustContract } from '../lib/contract/trust-contract.js';
import type { ContractEventRecord } from './contract-event.js';
import { heldContract, type HeldContract } from './contract-snapshot.js';
import { applyContractEvent } from './contract-transition.js';

/** A contract's change after one event: its new state, or its last state with `isDeleted`. */
export interface ContractChange {
  readonly sequence: number;
  readonly contract: TrustContract;
  readonly isDeleted: boolean;
}

/**
 * The repository's in-memory state: the fold of the audit log, with an index from trust domain to
 * contract ids so that a zone's queries cost what its own contracts cost, not what the whole store
 * holds. Deleted contracts leave a tombstone so a resumed watch can report the deletion.
 * Contracts restored from a snapshot stay records until first read (`SnapshotContract`): ids,
 * revisions and participants are all the book needs for its indexes; every contract it hands out
 * is decoded.
 */
export class ContractBook {
  readonly #contracts = new Map<string, HeldContract>();
  readonly #idsByTrustDomain = new Map<string, Set<string>>();
  readonly #tombstones = new Map<string, HeldContract>();
  /** Sorted ids per trust domain ('' for all), until a contract is added or removed. */
  readonly #sortedIds = new Map<string, readonly string[]>();

  /** Number of live contracts. */
  get size(): number {
    return this.#contracts.size;
  }

  get(id: string): TrustContract | undefined {
    const held = this.#contracts.get(id);
    return held === undefined ? undefined : heldContract(held);
  }

  /** Every live contract, in creation order. */
  *all(): Generator<TrustContract> {
    for (const held of this.#contracts.values()) yield heldContract(held);
  }

  /**
   * Every live contract and every tombstone as held, undecoded ones included: what a snapshot
   * writes (copying the records of undecoded ones) without decoding the whole book.
   */
  held(): { contracts: HeldContract[]; tombstones: HeldContract[] } {
    return { contracts: [...this.#contracts.values()], tombstones: [...this.#tombstones.values()] };
  }

  /**
   * The ids of the live contracts `trustDomain` participates in (of all of them when undefined),
   * sorted: the order of List pages and Watch snapshot parts. Sorted once and kept until a
   * contract is added or removed, so paging through 100,000 contracts sorts them once.
   */
  sortedIds(trustDomain: string | undefined): readonly string[] {
    const key = trustDomain ?? '';
    let ids = this.#sortedIds.get(key);
    if (ids === undefined) {
      const members =
        trustDomain === undefined ? this.#contracts.keys() : this.#idsByTrustDomain.get(trustDomain);
      ids = [...(members ?? [])].sort();
      this.#sortedIds.set(key, ids);
    }
    return ids;
  }

  /**
   * Fills an empty book from a snapshot: live contracts in their order, and the tombstones of
   * deleted ones. Throws if the book already holds something.
   */
  restore(contracts: Iterable<HeldContract>, tombstones: Iterable<HeldContract>): void {
    if (this.#contracts.size > 0 || this.#tombstones.size > 0) throw new Error('the book is not empty');
    for (const contract of contracts) {
      this.#contracts.set(contract.id, contract);
      this.#index(contract);
    }
    for (const tombstone of tombstones) this.#tombstones.set(tombstone.id, tombstone);
    this.#sortedIds.clear();
  }

  /**
   * The latest state of every contract, live or deleted, that changed after `sequence`, oldest
   * change first: what a watch resumed at that point has missed. Reads every contract, so it costs
   * what the store holds; resumes are rare.
   */
  changesAfter(sequence: number): ContractChange[] {
    const changes: ContractChange[] = [];
    for (const held of this.#contracts.values())
      if (held.revision > sequence)
        changes.push({ sequence: held.revision, contract: heldContract(held), isDeleted: false });
    for (const held of this.#tombstones.values())
      if (held.revision > sequence)
        changes.push({ sequence: held.revision, contract: heldContract(held), isDeleted: true });
    return changes.sort((left, right) => left.sequence - right.sequence);
  }

  /** The live contracts `trustDomain` participates in. */
  *ofTrustDomain(trustDomain: string): Generator<TrustContract> {
    for (const id of this.#idsByTrustDomain.get(trustDomain) ?? []) {
      const held = this.#contracts.get(id);
      if (held !== undefined) yield heldContract(held);
    }
  }

  /** The latest state of `id` as a watcher should learn it: live, or deleted (tombstone). */
  latest(id: string): ContractChange | undefined {
    const live = this.get(id);
    if (live !== undefined) return { sequence: live.revision, contract: live, isDeleted: false };
    const tombstone = this.#tombstones.get(id);
    return tombstone === undefined
      ? undefined
      : { sequence: tombstone.revision, contract: heldContract(tombstone), isDeleted: true };
  }

  /** The state after `record`, without changing the book: throws when the transition is not allowed. */
  preview(record: ContractEventRecord): TrustContract | undefined {
    return applyContractEvent(this.get(record.contractId), record);
  }

  /** Applies `record` (already durable) and returns the change it made. */
  apply(record: ContractEventRecord): ContractChange {
    const before = this.get(record.contractId);
    const after = applyContractEvent(before, record);
    if (after === undefined) {
      if (before === undefined) throw new Error(`contract ${record.contractId} vanished`);
      const tombstone = { ...before, revision: record.sequence };
      this.#contracts.delete(record.contractId);
      this.#tombstones.set(record.contractId, tombstone);
      this.#sortedIds.clear();
      for (const participant of before.participants)
        this.#idsByTrustDomain.get(participant.trustDomain)?.delete(before.id);
      return { sequence: record.sequence, contract: tombstone, isDeleted: true };
    }
    this.#contracts.set(after.id, after);
    this.#tombstones.delete(after.id);
    if (before === undefined) {
      this.#index(after);
      this.#sortedIds.clear();
    }
    return { sequence: record.sequence, contract: after, isDeleted: false };
  }

  /** Adds a new contract to the index of each of its participants' trust domains. */
  #index(contract: HeldContract): void {
    for (const participant of contract.participants) {
      let ids = this.#idsByTrustDomain.get(participant.trustDomain);
      if (ids === undefined) {
        ids = new Set();
        this.#idsByTrustDomain.set(participant.trustDomain, ids);
      }
      ids.add(contract.id);
    }
  }
}
