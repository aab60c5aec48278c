import { X509Certificate } from 'node:crypto';
import type { AuditAction, AuditRecord } from '../lib/contract/audit-chain.js';
import type { JsonValue } from '../lib/contract/canonical-json.js';
import type { ConsentTimestamp } from '../lib/contract/consent-timestamp.js';
import type {
  ContractApproval,
  ContractParticipant,
  ParticipantSignature,
} from '../lib/contract/trust-contract.js';
import { ParticipantCache } from '../lib/contract/validate-proposal.js';
import {
  rootStatementFromDetails,
  rootStatementToDetails,
  type RootStatementEvent,
} from './root-statement-event.js';

/**
 * One change to a contract, as the repository decides it and the audit log records it. The log is
 * the source of truth: the repository's state is the fold of these events (contract-transition.ts).
 */
export type ContractEvent =
  | { readonly action: 'propose'; readonly participants: readonly ContractParticipant[] }
  | { readonly action: 'approve'; readonly approval: ContractApproval }
  | { readonly action: 'revoke'; readonly reason: string; readonly signed: ParticipantSignature | undefined }
  | { readonly action: 'delete' }
  | RootStatementEvent;

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
      return signatureToDetails(event.approval);
    case 'revoke':
      return {
        reason: event.reason,
        ...(event.signed === undefined ? {} : { signed: signatureToDetails(event.signed) }),
      };
    case 'delete':
      return {};
    case 'announce-root':
    case 'activate-root':
    case 'acknowledge-root':
    case 'revoke-root':
      return rootStatementToDetails(event);
  }
}

/**
 * What decoding many records shares: each distinct participant is validated (its root parsed) once
 * and each distinct certificate decoded once, and every contract that names it holds the same
 * object. A log of 100,000 contracts among 100 zones then parses 100 roots, not 200,000, and holds
 * about as many approver certificates as there are approvers. Certificates handed out are shared:
 * nobody may write into them (the domain types hold them read-only).
 */
export class EventDecodeCache {
  readonly #participants = new ParticipantCache();
  readonly #certificates = new Map<string, Uint8Array>();
  readonly #roots = new WeakMap<Uint8Array, X509Certificate>();

  /** The validated participant with these stored fields; `field` names it in errors. */
  participant(fields: Readonly<Record<string, JsonValue>>, field: string): ContractParticipant {
    return this.#participants.validated(
      {
        name: stringField(fields, 'name'),
        trustDomain: stringField(fields, 'trustDomain'),
        publicKey: stringField(fields, 'rootPem'),
        hash: stringField(fields, 'rootSha256'),
      },
      field,
    );
  }

  /**
   * An announced root, parsed once per decoded certificate (`certificate` hands out one object per
   * distinct certificate): a zone's rotation is announced in every contract it is in.
   */
  root(der: Uint8Array): X509Certificate {
    let root = this.#roots.get(der);
    if (root === undefined) {
      root = new X509Certificate(der);
      this.#roots.set(der, root);
    }
    return root;
  }

  /** The DER bytes of a stored base64 certificate. */
  certificate(base64: string): Uint8Array {
    let der = this.#certificates.get(base64);
    if (der === undefined) {
      der = new Uint8Array(Buffer.from(base64, 'base64'));
      this.#certificates.set(base64, der);
    }
    return der;
  }
}

/**
 * Decodes a stored audit record back into an event. Participants go through the same validation as
 * a proposal; pass one `cache` for many records (see `EventDecodeCache`).
 */
export function eventFromAuditRecord(
  record: AuditRecord,
  cache = new EventDecodeCache(),
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
      const participants = arrayField(details, 'participants').map((value, index) =>
        cache.participant(objectValue(value, `participants[${index}]`), `participants[${index}]`),
      );
      return { ...envelope, event: { action, participants } };
    }
    case 'approve':
      return {
        ...envelope,
        event: { action, approval: signatureFromDetails(details, certificateIn(cache)) },
      };
    case 'revoke':
      return {
        ...envelope,
        event: {
          action,
          reason: stringField(details, 'reason'),
          // Revocations recorded before they were signed carry none.
          signed:
            details.signed === undefined
              ? undefined
              : signatureFromDetails(objectValue(details.signed, 'details.signed'), certificateIn(cache)),
        },
      };
    case 'delete':
      return { ...envelope, event: { action } };
    case 'announce-root':
    case 'activate-root':
    case 'acknowledge-root':
    case 'revoke-root':
      return {
        ...envelope,
        event: rootStatementFromDetails(action, record.contractId, details, {
          certificateOf: (value, index) => storedCertificate(value, index, cache),
          rootOf: (value) => cache.root(storedCertificate(value, 0, cache)),
        }),
      };
  }
}

/**
 * A participant's signed statement (an approval, a revocation's signature) as audit details: base64
 * bytes, RFC 3339 times. Also what a snapshot stores (contract-snapshot.ts).
 */
export function signatureToDetails(signed: ParticipantSignature): Record<string, JsonValue> {
  return {
    participant: signed.participant,
    signature: Buffer.from(signed.signature).toString('base64'),
    certificateChain: signed.certificateChainDer.map((der) => Buffer.from(der).toString('base64')),
    signedAt: signed.signedAt.toISOString(),
    ...(signed.timestamp === undefined
      ? {}
      : {
          timestamp: {
            time: signed.timestamp.time.toISOString(),
            signature: Buffer.from(signed.timestamp.signature).toString('base64'),
          },
        }),
  };
}

/**
 * The inverse of `signatureToDetails`; throws `TypeError` naming a missing or mistyped field. A
 * statement written before timestamps existed has none. `certificateOf` turns each stored chain
 * entry into DER: a base64 string in the log (`storedCertificate`), an index into a table of
 * certificates in a snapshot.
 */
export function signatureFromDetails(
  details: Readonly<Record<string, JsonValue>>,
  certificateOf: (stored: JsonValue, index: number) => Uint8Array,
): ParticipantSignature {
  return {
    participant: stringField(details, 'participant'),
    signature: bytesOfBase64(stringField(details, 'signature')),
    certificateChainDer: arrayField(details, 'certificateChain').map(certificateOf),
    signedAt: new Date(stringField(details, 'signedAt')),
    timestamp: timestampFromDetails(details),
  };
}

/**
 * The bytes of a short base64 string as a plain `Uint8Array` viewing the `Buffer` decoded into
 * (usually a slice of Node's shared pool) rather than a copy in an `ArrayBuffer` of its own: a
 * snapshot of 100,000 contracts holds 200,000 signatures, and an `ArrayBuffer` each doubled the
 * garbage collector's work at start-up. Nobody writes into stored signatures (the domain types
 * hold them read-only), so sharing the pool's memory is safe.
 */
function bytesOfBase64(base64: string): Uint8Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `storedCertificate` through `cache`, as `signatureFromDetails` takes it. */
function certificateIn(cache: EventDecodeCache): (value: JsonValue, index: number) => Uint8Array {
  return (value, index) => storedCertificate(value, index, cache);
}

/** A chain certificate as the log stores it (base64 DER), decoded through `cache`. */
export function storedCertificate(value: JsonValue, index: number, cache: EventDecodeCache): Uint8Array {
  if (typeof value !== 'string') throw new TypeError(`certificateChain[${index}] is not a string`);
  return cache.certificate(value);
}

function timestampFromDetails(details: Readonly<Record<string, JsonValue>>): ConsentTimestamp | undefined {
  if (details.timestamp === undefined) return undefined;
  const fields = objectValue(details.timestamp, 'details.timestamp');
  return {
    time: new Date(stringField(fields, 'time')),
    signature: bytesOfBase64(stringField(fields, 'signature')),
  };
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
