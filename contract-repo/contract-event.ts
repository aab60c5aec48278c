import type { AuditAction, AuditRecord } from '../lib/contract/audit-chain.js';
import type { JsonValue } from '../lib/contract/canonical-json.js';
import type { ContractApproval, ContractParticipant } from '../lib/contract/trust-contract.js';
import { validateParticipant } from '../lib/contract/validate-proposal.js';

/**
 * One change to a contract, as the repository decides it and the audit log records it. The log is
 * the source of truth: the repository's state is the fold of these events (contract-transition.ts).
 */
export type ContractEvent =
  | { readonly action: 'propose'; readonly participants: readonly ContractParticipant[] }
  | { readonly action: 'approve'; readonly approval: ContractApproval }
  | { readonly action: 'revoke'; readonly reason: string }
  | { readonly action: 'delete' };

/** An event with its audit envelope: position, time and the authenticated actor. */
export interface ContractEventRecord {
  readonly sequence: number;
  readonly time: Date;
  /** SPIFFE ID (URI) of the caller that made the change. */
  readonly actor: string;
  readonly contractId: string;
  readonly event: ContractEvent;
}

/** Encodes an event as an audit record; details hold everything needed to rebuild the state. */
export function eventToAuditRecord(record: ContractEventRecord): AuditRecord {
  return {
    sequence: record.sequence,
    time: record.time.toISOString(),
    actor: record.actor,
    action: record.event.action,
    contractId: record.contractId,
    details: detailsOf(record.event),
  };
}

function detailsOf(event: ContractEvent): Record<string, JsonValue> {
  switch (event.action) {
    case 'propose':
      return {
        participants: event.participants.map((participant) => ({
          name: participant.name,
          trustDomain: participant.trustDomain,
          rootPem: participant.rootPem,
          rootSha256: participant.rootSha256,
        })),
      };
    case 'approve':
      return {
        participant: event.approval.participant,
        signature: Buffer.from(event.approval.signature).toString('base64'),
        certificateChain: event.approval.certificateChainDer.map((der) =>
          Buffer.from(der).toString('base64'),
        ),
        signedAt: event.approval.signedAt.toISOString(),
      };
    case 'revoke':
      return { reason: event.reason };
    case 'delete':
      return {};
  }
}

/**
 * Decodes a stored audit record back into an event. Participants go through the same validation as
 * a proposal; `participantCache` (keyed by the stored fields) lets a log of thousands of contracts
 * among a few zones parse each root once.
 */
export function eventFromAuditRecord(
  record: AuditRecord,
  participantCache = new Map<string, ContractParticipant>(),
): ContractEventRecord {
  const details = record.details;
  const envelope = {
    sequence: record.sequence,
    time: new Date(record.time),
    actor: record.actor,
    contractId: record.contractId,
  };
  const action: AuditAction = record.action;
  switch (action) {
    case 'propose': {
      const participants = arrayField(details, 'participants').map((value, index) => {
        const fields = objectValue(value, `participants[${index}]`);
        const name = stringField(fields, 'name');
        const trustDomain = stringField(fields, 'trustDomain');
        const publicKey = stringField(fields, 'rootPem');
        const hash = stringField(fields, 'rootSha256');
        const key = `${name}\n${trustDomain}\n${hash}\n${publicKey}`;
        const cached = participantCache.get(key);
        if (cached !== undefined) return cached;
        const participant = validateParticipant(
          { name, trustDomain, publicKey, hash },
          `participants[${index}]`,
        );
        participantCache.set(key, participant);
        return participant;
      });
      return { ...envelope, event: { action, participants } };
    }
    case 'approve':
      return {
        ...envelope,
        event: {
          action,
          approval: {
            participant: stringField(details, 'participant'),
            signature: new Uint8Array(Buffer.from(stringField(details, 'signature'), 'base64')),
            certificateChainDer: arrayField(details, 'certificateChain').map((value, index) => {
              if (typeof value !== 'string')
                throw new TypeError(`certificateChain[${index}] is not a string`);
              return new Uint8Array(Buffer.from(value, 'base64'));
            }),
            signedAt: new Date(stringField(details, 'signedAt')),
          },
        },
      };
    case 'revoke':
      return { ...envelope, event: { action, reason: stringField(details, 'reason') } };
    case 'delete':
      return { ...envelope, event: { action } };
  }
}

function objectValue(value: JsonValue | undefined, field: string): Readonly<Record<string, JsonValue>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${field} is not an object`);
  return value as Readonly<Record<string, JsonValue>>;
}

function arrayField(fields: Readonly<Record<string, JsonValue>>, field: string): readonly JsonValue[] {
  const value = fields[field];
  if (!Array.isArray(value)) throw new TypeError(`details.${field} is not an array`);
  return value as readonly JsonValue[];
}

function stringField(fields: Readonly<Record<string, JsonValue>>, field: string): string {
  const value = fields[field];
  if (typeof value !== 'string') throw new TypeError(`details.${field} is not a string`);
  return value;
}
