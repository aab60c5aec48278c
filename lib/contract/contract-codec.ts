import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  ApprovalSchema,
  ContractSchema,
  ContractState as ProtoContractState,
  ParticipantSchema,
  AuditEntrySchema,
  type Approval,
  type AuditEntry as ProtoAuditEntry,
  type Contract,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { InvalidArgumentError } from '../errors/accord-error.js';
import type { AuditEntry } from './audit-chain.js';
import {
  rootRevocationFromProto,
  rootRevocationToProto,
  rootRotationFromProto,
  rootRotationLimits,
  rootRotationToProto,
} from './root-rotation-codec.js';
import type { ContractProposal } from './validate-proposal.js';
import { ParticipantCache } from './validate-proposal.js';
import type {
  ContractApproval,
  ContractParticipant,
  ContractState,
  TrustContract,
} from './trust-contract.js';

const nanosPerMillisecond = 1_000_000;

/**
 * Reads the proposal part of a `Contract` message (Create's input). Only `id` and `participants`
 * may be set: a proposer must not be able to smuggle in a state, approvals or a creation time.
 * Pass the result to `validateProposal`.
 */
export function proposalFromProto(message: Contract | undefined): ContractProposal {
  if (message === undefined) throw new InvalidArgumentError('contract: required');
  const forbidden: [string, boolean][] = [
    ['state', message.state !== ProtoContractState.UNSPECIFIED],
    ['approvals', message.approvals.length > 0],
    ['proposed_by', message.proposedBy !== ''],
    ['created_at', message.createdAt !== undefined],
    ['revocation', message.revocation !== undefined],
    ['revision', message.revision !== 0n],
    ['root_rotations', message.rootRotations.length > 0],
    ['root_revocations', message.rootRevocations.length > 0],
  ];
  for (const [field, isSet] of forbidden) {
    if (isSet)
      throw new InvalidArgumentError(
        `contract.${field}: must be empty in a proposal (the repository sets it)`,
      );
  }
  return {
    id: message.id,
    participants: message.participants.map((participant) => ({
      name: participant.name,
      trustDomain: participant.trustDomain,
      publicKey: participant.publicKey,
      hash: participant.hash,
    })),
  };
}

/** Encodes a contract for the wire (repository responses, watch events). */
export function contractToProto(contract: TrustContract): Contract {
  return create(ContractSchema, {
    id: contract.id,
    participants: participantsToProto(contract.participants),
    state: stateToProto(contract.state),
    approvals: contract.approvals.map(approvalToProto),
    proposedBy: contract.proposedBy,
    createdAt: timestampFromDate(contract.createdAt),
    ...(contract.revocation === undefined
      ? {}
      : {
          revocation: {
            revokedBy: contract.revocation.revokedBy,
            revokedAt: timestampFromDate(contract.revocation.revokedAt),
            reason: contract.revocation.reason,
          },
        }),
    revision: BigInt(contract.revision),
    rootRotations: contract.rootRotations.map(rootRotationToProto),
    rootRevocations: contract.rootRevocations.map(rootRevocationToProto),
  });
}

/** Encodes what a watch `Change` carries for a deleted contract: its id and participants only. */
export function deletedContractToProto(
  contract: Pick<TrustContract, 'id' | 'participants' | 'revision'>,
): Contract {
  return create(ContractSchema, {
    id: contract.id,
    participants: participantsToProto(contract.participants),
    revision: BigInt(contract.revision),
  });
}

/**
 * Decodes a contract received from the repository (provider, accordctl). Participants are held to
 * the proposal rules and roots are parsed (once per distinct participant for all the contracts
 * decoded with one `participants` cache); approvals are decoded but NOT verified: call
 * `approvalReport`/`isTrustEstablished` before trusting anything.
 */
export function contractFromProto(message: Contract, participants = new ParticipantCache()): TrustContract {
  const decoded = message.participants.map((participant, index) =>
    participants.validated(
      {
        name: participant.name,
        trustDomain: participant.trustDomain,
        publicKey: participant.publicKey,
        hash: participant.hash,
      },
      `contract.participants[${index}]`,
    ),
  );
  const revocation = message.revocation;
  if (
    message.rootRotations.length > rootRotationLimits.maxRotationsPerContract ||
    message.rootRevocations.length > rootRotationLimits.maxRevocationsPerContract
  ) {
    throw new InvalidArgumentError('contract: carries more root statements than any contract may');
  }
  return {
    id: message.id,
    participants: decoded,
    state: stateFromProto(message.state),
    approvals: message.approvals.map((approval, index) =>
      approvalFromProto(approval, `contract.approvals[${index}]`),
    ),
    proposedBy: message.proposedBy,
    createdAt: dateFromProto(message.createdAt, 'contract.created_at'),
    revocation:
      revocation === undefined
        ? undefined
        : {
            revokedBy: revocation.revokedBy,
            revokedAt: dateFromProto(revocation.revokedAt, 'contract.revocation.revoked_at'),
            reason: revocation.reason,
          },
    revision: Number(message.revision),
    rootRotations: message.rootRotations.map((rotation, index) =>
      rootRotationFromProto(rotation, message.id, `contract.root_rotations[${index}]`),
    ),
    rootRevocations: message.rootRevocations.map((rootRevocation, index) =>
      rootRevocationFromProto(rootRevocation, `contract.root_revocations[${index}]`),
    ),
  };
}

/** Decodes an approval (Approve's input). Shape only; `verifyApproval` decides whether it counts. */
export function approvalFromProto(message: Approval | undefined, field = 'approval'): ContractApproval {
  if (message === undefined) throw new InvalidArgumentError(`${field}: required`);
  if (message.participant === '') throw new InvalidArgumentError(`${field}.participant: required`);
  if (message.signature.byteLength === 0) throw new InvalidArgumentError(`${field}.signature: required`);
  if (message.certificateChain.length === 0)
    throw new InvalidArgumentError(`${field}.certificate_chain: required`);
  return {
    participant: message.participant,
    signature: message.signature,
    certificateChainDer: message.certificateChain,
    signedAt: dateFromProto(message.signedAt, `${field}.signed_at`),
  };
}

/** Encodes an approval for the wire (accordctl's Approve request, repository responses). */
export function approvalToProto(approval: ContractApproval): Approval {
  return create(ApprovalSchema, {
    participant: approval.participant,
    signature: approval.signature,
    certificateChain: [...approval.certificateChainDer],
    signedAt: timestampFromDate(approval.signedAt),
  });
}

/** Maps the wire enum to the domain state; UNSPECIFIED is a filter value, never a contract's state. */
export function stateFromProto(state: ProtoContractState): ContractState {
  switch (state) {
    case ProtoContractState.PROPOSED:
      return 'proposed';
    case ProtoContractState.ACTIVE:
      return 'active';
    case ProtoContractState.REVOKED:
      return 'revoked';
    case ProtoContractState.UNSPECIFIED:
      throw new InvalidArgumentError('contract.state: unspecified');
  }
}

/** Maps a domain state to the wire enum. */
export function stateToProto(state: ContractState): ProtoContractState {
  switch (state) {
    case 'proposed':
      return ProtoContractState.PROPOSED;
    case 'active':
      return ProtoContractState.ACTIVE;
    case 'revoked':
      return ProtoContractState.REVOKED;
  }
}

function participantsToProto(participants: readonly ContractParticipant[]): Contract['participants'] {
  return participants.map((participant) =>
    create(ParticipantSchema, {
      name: participant.name,
      publicKey: participant.rootPem,
      hash: participant.rootSha256,
      trustDomain: participant.trustDomain,
    }),
  );
}

/** Timestamps that are signed must round-trip exactly, so sub-millisecond precision is refused. */
export function dateFromProto(timestamp: Timestamp | undefined, field: string): Date {
  if (timestamp === undefined) throw new InvalidArgumentError(`${field}: required`);
  if (timestamp.nanos % nanosPerMillisecond !== 0) {
    throw new InvalidArgumentError(`${field}: must be a whole number of milliseconds`);
  }
  const date = timestampDate(timestamp);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError(`${field}: out of range`);
  return date;
}

export function auditEntryToProto(entry: AuditEntry): ProtoAuditEntry {
  return create(AuditEntrySchema, {
    sequence: BigInt(entry.sequence),
    record: entry.record,
    previousHash: entry.previousHash,
    hash: entry.hash,
  });
}

export function auditEntryFromProto(message: ProtoAuditEntry): AuditEntry {
  return {
    sequence: Number(message.sequence),
    record: message.record,
    previousHash: message.previousHash,
    hash: message.hash,
  };
}
