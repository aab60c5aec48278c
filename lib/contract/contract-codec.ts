import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  ApprovalSchema,
  ContractSchema,
  RevocationSchema,
  RevokeRequestSchema,
  ContractState as ProtoContractState,
  ParticipantSchema,
  AuditEntrySchema,
  type Approval,
  type AuditEntry as ProtoAuditEntry,
  type Contract,
  type Revocation,
  type RevokeRequest,
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
import type { ConsentTimestamp } from './consent-timestamp.js';
import type { ContractProposal } from './validate-proposal.js';
import { ParticipantCache } from './validate-proposal.js';
import type {
  ContractApproval,
  ContractParticipant,
  ContractRevocation,
  ContractState,
  ContractTerms,
  ParticipantSignature,
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
    ...(contract.revocation === undefined ? {} : { revocation: revocationToProto(contract.revocation) }),
    revision: BigInt(contract.revision),
    rootRotations: contract.rootRotations.map(rootRotationToProto),
    rootRevocations: contract.rootRevocations.map(rootRevocationToProto),
  });
}

/**
 * Encodes what a watch `Change` carries for a deleted contract: its id, participants and creation
 * time (its terms, so a provider can remember exactly which contract was deleted).
 */
export function deletedContractToProto(
  contract: Pick<TrustContract, 'id' | 'participants' | 'createdAt' | 'revision'>,
): Contract {
  return create(ContractSchema, {
    id: contract.id,
    participants: participantsToProto(contract.participants),
    createdAt: timestampFromDate(contract.createdAt),
    revision: BigInt(contract.revision),
  });
}

/**
 * Decodes the terms of a deleted contract from a watch `Change` (`deletedContractToProto`), or
 * undefined when they do not decode: a deletion only ever narrows trust, so a malformed one still
 * counts as a deletion of its id.
 */
export function deletedContractTermsFromProto(
  message: Contract,
  participants = new ParticipantCache(),
): ContractTerms | undefined {
  try {
    return {
      id: message.id,
      participants: participantsFromProto(message, participants),
      createdAt: dateFromProto(message.createdAt, 'contract.created_at'),
    };
  } catch {
    return undefined;
  }
}

/**
 * Decodes a contract received from the repository (provider, accordctl). Participants are held to
 * the proposal rules and roots are parsed (once per distinct participant for all the contracts
 * decoded with one `participants` cache); approvals are decoded but NOT verified: call
 * `approvalReport`/`isTrustEstablished` before trusting anything.
 */
export function contractFromProto(message: Contract, participants = new ParticipantCache()): TrustContract {
  const revocation = message.revocation;
  if (
    message.rootRotations.length > rootRotationLimits.maxRotationsPerContract ||
    message.rootRevocations.length > rootRotationLimits.maxRevocationsPerContract
  ) {
    throw new InvalidArgumentError('contract: carries more root statements than any contract may');
  }
  return {
    id: message.id,
    participants: participantsFromProto(message, participants),
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
            signed:
              revocation.participant === '' && revocation.signature.byteLength === 0
                ? undefined
                : participantSignatureFromProto(revocation, 'contract.revocation'),
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

function participantsFromProto(
  message: Contract,
  participants = new ParticipantCache(),
): ContractParticipant[] {
  return message.participants.map((participant, index) =>
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
}

/**
 * Decodes Revoke's input: the reason and the participant's signed revocation. The repository sets
 * `revoked_by` and `revoked_at`, so a client must leave them empty; `reason` may be given in the
 * request, in the revocation, or in both when they agree.
 */
export function revokeRequestFromProto(request: RevokeRequest): {
  reason: string;
  signed: ParticipantSignature;
} {
  const revocation = request.revocation;
  if (revocation === undefined)
    throw new InvalidArgumentError('revocation: required; a participant signs its revocation');
  if (revocation.revokedBy !== '' || revocation.revokedAt !== undefined) {
    throw new InvalidArgumentError(
      'revocation.revoked_by, revocation.revoked_at: must be empty (the repository sets them)',
    );
  }
  if (request.reason !== '' && revocation.reason !== '' && request.reason !== revocation.reason)
    throw new InvalidArgumentError('reason: differs from revocation.reason');
  return {
    reason: revocation.reason === '' ? request.reason : revocation.reason,
    signed: participantSignatureFromProto(revocation, 'revocation'),
  };
}

function revocationToProto(revocation: ContractRevocation): Revocation {
  return create(RevocationSchema, {
    revokedBy: revocation.revokedBy,
    revokedAt: timestampFromDate(revocation.revokedAt),
    reason: revocation.reason,
    ...(revocation.signed === undefined ? {} : participantSignatureToProto(revocation.signed)),
  });
}

/** Encodes Revoke's input: the reason and the participant's signed revocation (accordctl, the operator). */
export function revokeRequestToProto(
  id: string,
  reason: string,
  signed: ParticipantSignature,
): RevokeRequest {
  return create(RevokeRequestSchema, {
    id,
    reason,
    revocation: { reason, ...participantSignatureToProto(signed) },
  });
}

/** Decodes an approval (Approve's input). Shape only; `verifyApproval` decides whether it counts. */
export function approvalFromProto(message: Approval | undefined, field = 'approval'): ContractApproval {
  if (message === undefined) throw new InvalidArgumentError(`${field}: required`);
  return participantSignatureFromProto(message, field);
}

/** Encodes an approval for the wire (accordctl's Approve request, repository responses). */
export function approvalToProto(approval: ContractApproval): Approval {
  return create(ApprovalSchema, participantSignatureToProto(approval));
}

/** The signed fields `Approval` and `Revocation` share, under the same names. */
interface ProtoParticipantSignature {
  readonly participant: string;
  readonly signature: Uint8Array;
  readonly certificateChain: readonly Uint8Array[];
  readonly signedAt?: Timestamp | undefined;
  readonly timestamp?: { readonly time?: Timestamp | undefined; readonly signature: Uint8Array } | undefined;
}

/** Decodes a participant's signed statement (approval or revocation). Shape only; `verifyConsent` decides. */
function participantSignatureFromProto(
  message: ProtoParticipantSignature,
  field: string,
): ParticipantSignature {
  if (message.participant === '') throw new InvalidArgumentError(`${field}.participant: required`);
  if (message.signature.byteLength === 0) throw new InvalidArgumentError(`${field}.signature: required`);
  if (message.certificateChain.length === 0)
    throw new InvalidArgumentError(`${field}.certificate_chain: required`);
  return {
    participant: message.participant,
    signature: message.signature,
    certificateChainDer: message.certificateChain,
    signedAt: dateFromProto(message.signedAt, `${field}.signed_at`),
    timestamp:
      message.timestamp === undefined
        ? undefined
        : consentTimestampFromProto(message.timestamp, `${field}.timestamp`),
  };
}

function participantSignatureToProto(signed: ParticipantSignature) {
  return {
    participant: signed.participant,
    signature: signed.signature,
    certificateChain: [...signed.certificateChainDer],
    signedAt: timestampFromDate(signed.signedAt),
    ...(signed.timestamp === undefined
      ? {}
      : {
          timestamp: {
            time: timestampFromDate(signed.timestamp.time),
            signature: signed.timestamp.signature,
          },
        }),
  };
}

/**
 * Decodes a consent timestamp: a contract's `ConsentTimestamp`, or the PKI's
 * `TimestampConsentResponse`, which has the same two fields. Shape only; `verifyConsentTimestamp`
 * decides whether it counts.
 */
export function consentTimestampFromProto(
  message: { readonly time?: Timestamp | undefined; readonly signature: Uint8Array },
  field: string,
): ConsentTimestamp {
  return { time: dateFromProto(message.time, `${field}.time`), signature: message.signature };
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

/** Encodes an audit log entry for the wire (AuditLog's answer), byte for byte as it was chained. */
export function auditEntryToProto(entry: AuditEntry): ProtoAuditEntry {
  return create(AuditEntrySchema, {
    sequence: BigInt(entry.sequence),
    record: entry.record,
    previousHash: entry.previousHash,
    hash: entry.hash,
  });
}

/** Decodes an audit log entry as received; shape only; `AuditChainVerifier` decides whether the chain holds. */
export function auditEntryFromProto(message: ProtoAuditEntry): AuditEntry {
  return {
    sequence: Number(message.sequence),
    record: message.record,
    previousHash: message.previousHash,
    hash: message.hash,
  };
}
