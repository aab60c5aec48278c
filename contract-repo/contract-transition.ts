import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../lib/errors/accord-error.js';
import { participantNamed, type TrustContract } from '../lib/contract/trust-contract.js';
import type { ContractEventRecord } from './contract-event.js';

/**
 * The consent state machine as one pure function: the contract after `record`, or `undefined`
 * when it was deleted. It throws the domain error a caller should see when the transition is not
 * allowed, so the repository runs it *before* appending (and never stores an impossible change),
 * and recovery runs it again to rebuild state from the log.
 *
 *   (none) --propose--> proposed --approve (last missing participant)--> active
 *   proposed|active --revoke--> revoked (terminal)      any --delete--> (none)
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
    };
  }
  if (current === undefined) throw new NotFoundError(`contract ${contractId} not found`);
  switch (event.action) {
    case 'approve': {
      if (current.state === 'revoked') {
        throw new FailedPreconditionError(
          `contract ${contractId} is revoked; propose a new contract instead`,
        );
      }
      const participant = participantNamed(current, event.approval.participant);
      if (participant === undefined) {
        throw new FailedPreconditionError(
          `${event.approval.participant} is not a participant of contract ${contractId}`,
        );
      }
      if (current.approvals.some((approval) => approval.participant === participant.name)) {
        throw new AlreadyExistsError(
          `participant ${participant.name} already approved contract ${contractId}`,
        );
      }
      const approvals = [...current.approvals, event.approval];
      const isComplete = current.participants.every((each) =>
        approvals.some((approval) => approval.participant === each.name),
      );
      return { ...current, approvals, state: isComplete ? 'active' : 'proposed', revision: record.sequence };
    }
    case 'revoke':
      if (current.state === 'revoked')
        throw new FailedPreconditionError(`contract ${contractId} is already revoked`);
      return {
        ...current,
        state: 'revoked',
        revocation: { revokedBy: record.actor, revokedAt: record.time, reason: event.reason },
        revision: record.sequence,
      };
    case 'delete':
      return undefined;
  }
}
