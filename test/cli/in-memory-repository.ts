import type { AuditEntry } from '../../lib/contract/audit-chain.js';
import { auditGenesis, chainAuditRecord } from '../../lib/contract/audit-chain.js';
import { verifyRevocation } from '../../lib/contract/revocation-signature.js';
import { verifyApproval } from '../../lib/contract/approval-signature.js';
import { isFullyApproved } from '../../lib/contract/contract-approvals.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { validateProposal } from '../../lib/contract/validate-proposal.js';
import { NotFoundError } from '../../lib/errors/accord-error.js';
import type {
  AuditLogPage,
  ContractRepositoryClient,
} from '../../lib/contract/contract-repository-client.js';
import type { ContractEvent, ContractStreamItem } from '../../lib/contract/contract-stream.js';

/**
 * A `ContractRepositoryClient` double for accordctl's command tests (named as a fake: the real
 * repository is exercised by the loopback tests). It applies the same validation and approval
 * verification as the repository, keeps a genuine hash-chained audit log, and streams a snapshot
 * and then every change to each open watch.
 */
export class InMemoryRepository implements ContractRepositoryClient {
  readonly contracts = new Map<string, TrustContract>();
  audit: AuditEntry[] = [];
  isClosed = false;
  readonly #watchers = new Set<(event: ContractEvent) => void>();

  list(): Promise<TrustContract[]> {
    return Promise.resolve([...this.contracts.values()]);
  }

  get(id: string): Promise<TrustContract> {
    return this.#existing(id);
  }

  create(proposal: Parameters<ContractRepositoryClient['create']>[0]): Promise<TrustContract> {
    const validated = validateProposal(proposal);
    const contract: TrustContract = {
      id: validated.id ?? 'generated',
      participants: validated.participants,
      state: 'proposed',
      approvals: [],
      proposedBy: 'spiffe://hub.example/admin',
      createdAt: new Date(Math.floor(Date.now())),
      revocation: undefined,
      revision: this.#record('propose', validated.id ?? 'generated'),
      rootRotations: [],
      rootRevocations: [],
    };
    this.#store(contract);
    return Promise.resolve(contract);
  }

  delete(id: string): Promise<void> {
    const terms = this.contracts.get(id);
    this.contracts.delete(id);
    this.#record('delete', id);
    this.#publish({ kind: 'deleted', id, terms });
    return Promise.resolve();
  }

  async approve(
    id: string,
    approval: Parameters<ContractRepositoryClient['approve']>[1],
  ): Promise<TrustContract> {
    const contract = await this.#existing(id);
    verifyApproval(contract, approval);
    const approvals = [...contract.approvals.filter((a) => a.participant !== approval.participant), approval];
    const next: TrustContract = { ...contract, approvals, revision: this.#record('approve', id) };
    const updated: TrustContract = { ...next, state: isFullyApproved(next) ? 'active' : 'proposed' };
    this.#store(updated);
    return updated;
  }

  async revoke(
    id: string,
    reason: string,
    signed: Parameters<ContractRepositoryClient['revoke']>[2],
  ): Promise<TrustContract> {
    const contract = await this.#existing(id);
    const revokedBy = verifyRevocation(contract, { reason, signed }).spiffeId.uri;
    const revoked: TrustContract = {
      ...contract,
      state: 'revoked',
      revocation: { revokedBy, revokedAt: new Date(), reason, signed },
      revision: this.#record('revoke', id),
    };
    this.#store(revoked);
    return revoked;
  }

  auditLog(startSequence: number, pageSize: number): Promise<AuditLogPage> {
    const head = this.audit.at(-1);
    return Promise.resolve({
      entries: this.audit.filter((entry) => entry.sequence >= startSequence).slice(0, pageSize),
      headSequence: head?.sequence ?? 0,
      headHash: head?.hash ?? new Uint8Array(32),
    });
  }

  async *watch(_resumeToken: string | undefined, signal: AbortSignal): AsyncGenerator<ContractStreamItem> {
    const pending: ContractEvent[] = [
      {
        kind: 'snapshot',
        contracts: [...this.contracts.values()].map((contract) => ({ id: contract.id, contract })),
      },
    ];
    let wake: (() => void) | undefined;
    const listener = (event: ContractEvent) => {
      pending.push(event);
      wake?.();
    };
    const abort = () => wake?.();
    this.#watchers.add(listener);
    signal.addEventListener('abort', abort);
    try {
      while (!signal.aborted) {
        const event = pending.shift();
        if (event === undefined) await new Promise<void>((resolve) => (wake = resolve));
        else yield { event, resumeToken: String(this.audit.length) };
      }
    } finally {
      this.#watchers.delete(listener);
      signal.removeEventListener('abort', abort);
    }
  }

  /** How many watch streams are open (a command must close its stream when it returns). */
  /** Root rotation is not modelled by this double: the CLI's rotation commands are tested against a real repository. */
  announceRoot(): Promise<TrustContract> {
    return Promise.reject(new Error('root rotation is not modelled by the in-memory repository'));
  }

  activateRoot(): Promise<TrustContract> {
    return this.announceRoot();
  }

  acknowledgeRoot(): Promise<TrustContract> {
    return this.announceRoot();
  }

  revokeRoot(): Promise<TrustContract> {
    return this.announceRoot();
  }

  get openWatches(): number {
    return this.#watchers.size;
  }

  close(): void {
    this.isClosed = true;
  }

  // Not `get`: tests count the reads a command makes.
  #existing(id: string): Promise<TrustContract> {
    const contract = this.contracts.get(id);
    return contract === undefined
      ? Promise.reject(new NotFoundError(`contract ${id} not found`))
      : Promise.resolve(contract);
  }

  #store(contract: TrustContract): void {
    this.contracts.set(contract.id, contract);
    this.#publish({ kind: 'change', contract: { id: contract.id, contract } });
  }

  #publish(event: ContractEvent): void {
    for (const watcher of this.#watchers) watcher(event);
  }

  #record(action: 'propose' | 'approve' | 'revoke' | 'delete', contractId: string): number {
    const previous = this.audit.at(-1) ?? auditGenesis;
    const entry = chainAuditRecord(previous, {
      sequence: previous.sequence + 1,
      time: new Date().toISOString(),
      actor: 'spiffe://hub.example/admin',
      action,
      contractId,
      details: {},
    });
    this.audit.push(entry);
    return entry.sequence;
  }
}
