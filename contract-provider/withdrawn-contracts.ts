import { z } from 'zod';
import { contractTermsSha256 } from '../lib/contract/canonical-consent.js';
import type { ContractTerms } from '../lib/contract/trust-contract.js';
import { configApiVersion } from '../lib/config/load-config.js';

/** How the provider learnt that a contract is withdrawn. */
export type Withdrawal = 'revoked' | 'deleted';

/**
 * A contract this provider has seen revoked or deleted. It is remembered by the SHA-256 of its
 * terms (id, creation time, participants and roots): exactly what its approvals sign, so the same
 * contract served again, with the same approvals, is recognised, while a new contract (even under
 * the same id) has other terms and needs fresh approvals.
 */
export interface WithdrawnContract {
  readonly termsSha256: string;
  readonly contractId: string;
  readonly withdrawal: Withdrawal;
  /** When this provider first saw the withdrawal. */
  readonly seenAt: Date;
  /**
   * When the entry may be forgotten: the earliest expiry of the contract's participant roots. From
   * then on the contract can never be trusted anyway (`desiredBundles` refuses expired roots), so
   * the memory holds at most one root lifetime of withdrawals.
   */
  readonly forgetAfter: Date;
}

/** The `kind` of the stored memory document. */
export const withdrawnContractsKind = 'WithdrawnContracts';

/** The provider's memory of withdrawn contracts, keyed by `termsSha256`. Immutable: changes return a new one. */
export class WithdrawnContracts {
  readonly #entries: ReadonlyMap<string, WithdrawnContract>;

  constructor(entries: Iterable<WithdrawnContract> = []) {
    this.#entries = new Map([...entries].map((entry) => [entry.termsSha256, entry]));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Whether a contract with these terms was ever seen withdrawn. */
  has(termsSha256: string): boolean {
    return this.#entries.has(termsSha256);
  }

  entries(): WithdrawnContract[] {
    return [...this.#entries.values()];
  }

  /** This memory plus `added`; the same object when nothing is new (a first sighting is kept). */
  with(added: Iterable<WithdrawnContract>): WithdrawnContracts {
    const fresh = [...added].filter((entry) => !this.#entries.has(entry.termsSha256));
    return fresh.length === 0 ? this : new WithdrawnContracts([...this.#entries.values(), ...fresh]);
  }

  /** This memory without the entries that may be forgotten at `now`; the same object when none. */
  prunedAt(now: Date): WithdrawnContracts {
    const kept = [...this.#entries.values()].filter((entry) => entry.forgetAfter.getTime() >= now.getTime());
    return kept.length === this.#entries.size ? this : new WithdrawnContracts(kept);
  }

  /** The stored document (JSON), entries sorted so that equal memories serialize alike. */
  serialize(): string {
    const contracts = this.entries()
      .sort((left, right) => (left.termsSha256 < right.termsSha256 ? -1 : 1))
      .map((entry) => ({
        termsSha256: entry.termsSha256,
        contractId: entry.contractId,
        withdrawal: entry.withdrawal,
        seenAt: entry.seenAt.toISOString(),
        forgetAfter: entry.forgetAfter.toISOString(),
      }));
    return `${JSON.stringify({ apiVersion: configApiVersion, kind: withdrawnContractsKind, contracts }, null, 2)}\n`;
  }

  /**
   * Reads a stored document: the one parser of both stores. Anything that is not exactly such a
   * document throws, naming the first problem: an unreadable memory must stop the provider rather
   * than be mistaken for an empty one (which would forget every withdrawal).
   */
  static parse(text: string, source: string): WithdrawnContracts {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`${source}: not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    const parsed = documentSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${source}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    return new WithdrawnContracts(
      parsed.data.contracts.map((entry) => ({
        ...entry,
        seenAt: new Date(entry.seenAt),
        forgetAfter: new Date(entry.forgetAfter),
      })),
    );
  }
}

/** The memory entry for `contract`, seen withdrawn at `seenAt`. */
export function withdrawnContract(
  contract: ContractTerms,
  withdrawal: Withdrawal,
  seenAt: Date,
): WithdrawnContract {
  const earliestRootExpiryMs = Math.min(
    ...contract.participants.map((participant) => Date.parse(participant.root.validTo)),
  );
  return {
    termsSha256: contractTermsSha256(contract),
    contractId: contract.id,
    withdrawal,
    seenAt,
    forgetAfter: new Date(earliestRootExpiryMs),
  };
}

const isoTime = z.iso.datetime();

const documentSchema = z
  .object({
    apiVersion: z.literal(configApiVersion),
    kind: z.literal(withdrawnContractsKind),
    contracts: z.array(
      z
        .object({
          termsSha256: z.string().regex(/^[0-9a-f]{64}$/),
          contractId: z.string().min(1).max(253),
          withdrawal: z.enum(['revoked', 'deleted']),
          seenAt: isoTime,
          forgetAfter: isoTime,
        })
        .strict(),
    ),
  })
  .strict();
