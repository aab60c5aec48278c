import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../lib/errors/accord-error.js';
import {
  participantNamed,
  type ContractApproval,
  type ContractState,
  type TrustContract,
} from '../lib/contract/trust-contract.js';
import type { ContractEventRecord } from './contract-event.js';
import { applyRootStatement } from './root-statement-transition.js';

/**
 * The consent state machine as one pure function: the contract after `record`, or `undefined`
 * when it was deleted. It throws the domain error a caller should see when the transition is not
 * allowed, so the repository runs it *before* appending (and never stores an impossible change),
 * and recovery runs it again to rebuild state from the log.
 *
 *   (none) --propose--> proposed --approve (last missing participant)--> active
 *   proposed|active --revoke--> revoked (terminal)      any --delete--> (none)
 *   proposed|active --announce-root|activate-root|acknowledge-root|revoke-root--> the same state
 *   (root-statement-transition.ts)
 *
 * Signatures are verified by the repository before the approve event exists; this function only
 * enforces the shape of consent (one approval per participant, all of them for `active`).
 */
export function applyContractEvent(
  current: TrustContract | undefined,
  record: ContractEventRecord,
): TrustContract | undefined {
  const { event, contractId } = record;
  if (event.action === 'propose') {
    if (current !== undefined) throw new AlreadyExistsError(`contract ${contractId} already exists`);
    return {
      id: contractId,
      participants: event.participants,
      state: 'proposed',
      approvals: [],
      proposedBy: record.actor,
      createdAt: record.time,
      revocation: undefined,
      revision: record.sequence,
      rootRotations: [],
      rootRevocations: [],
    };
  }
  if (current === undefined) throw new NotFoundError(`contract ${contractId} not found`);
  switch (event.action) {
    case 'approve':
      return { ...current, ...withApprovals(current, [event.approval]), revision: record.sequence };
    case 'revoke':
      if (current.state === 'revoked')
        throw new FailedPreconditionError(`contract ${contractId} is already revoked`);
      return {
        ...current,
        state: 'revoked',
        revocation: {
          revokedBy: record.actor,
          revokedAt: record.time,
          reason: event.reason,
          signed: event.signed,
        },
        revision: record.sequence,
      };
    case 'delete':
      return undefined;
    case 'announce-root':
    case 'activate-root':
    case 'acknowledge-root':
    case 'revoke-root':
      return applyRootStatement(current, event, record);
  }
}

/**
 * A proposed contract with `approvals` added in order, at `revision`, built in one step: the same
 * checks and the same state as applying the proposal and then each approval as an event, without
 * building every state in between (how a snapshot of 100,000 contracts loads quickly).
 */
export function restoreContract(
  proposal: ContractEventRecord,
  approvals: readonly ContractApproval[],
  revision: number,
): TrustContract {
  const proposed = applyContractEvent(undefined, proposal);
  if (proposed === undefined)
    throw new FailedPreconditionError(`contract ${proposal.contractId} is no proposal`);
  return { ...proposed, ...withApprovals(proposed, approvals), revision };
}

/**
 * `current`'s approvals with `added` appended, and the state they give: throws the domain error
 * for an approval of a revoked contract, of a non-participant, or of a participant that approved.
 */
function withApprovals(
  current: TrustContract,
  added: readonly ContractApproval[],
): { approvals: ContractApproval[]; state: ContractState } {
  const contractId = current.id;
  if (current.state === 'revoked' && added.length > 0) {
    throw new FailedPreconditionError(`contract ${contractId} is revoked; propose a new contract instead`);
  }
  const approvals = [...current.approvals];
  for (const approval of added) {
    const participant = participantNamed(current, approval.participant);
    if (participant === undefined) {
      throw new FailedPreconditionError(
        `${approval.participant} is not a participant of contract ${contractId}`,
      );
    }
    if (approvals.some((each) => each.participant === participant.name)) {
      throw new AlreadyExistsError(`participant ${participant.name} already approved contract ${contractId}`);
    }
    approvals.push(approval);
  }
  const isComplete = current.participants.every((each) =>
    approvals.some((approval) => approval.participant === each.name),
  );
  return { approvals, state: current.state === 'revoked' ? 'revoked' : isComplete ? 'active' : 'proposed' };
}

/**
 * The event that revoked `contract` (at sequence `contract.revision`), or `undefined` when it is
 * not revoked: the inverse of the revoke transition, with which a snapshot stores a revocation as
 * the audit record it came from, so loading it runs the same decoder and transition as the log.
 */
export function revocationEvent(contract: TrustContract): ContractEventRecord | undefined {
  const revocation = contract.revocation;
  if (revocation === undefined) return undefined;
  return {
    sequence: contract.revision,
    time: revocation.revokedAt,
    actor: revocation.revokedBy,
    contractId: contract.id,
    event: { action: 'revoke', reason: revocation.reason, signed: revocation.signed },
  };
}
