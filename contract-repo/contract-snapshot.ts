import type { AuditCheckpoint, AuditRecord } from '../lib/contract/audit-chain.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import type { JsonValue } from '../lib/contract/canonical-json.js';
import type { ContractParticipant, TrustContract } from '../lib/contract/trust-contract.js';
import {
  EventDecodeCache,
  signatureFromDetails,
  storedCertificate,
  signatureToDetails,
  eventFromAuditRecord,
  eventToAuditRecord,
  type ContractEventRecord,
} from './contract-event.js';
import { applyContractEvent, restoreContract, revocationEvent } from './contract-transition.js';
import {
  rootStatementFromDetails,
  rootStatementToDetails,
  type RootStatementAction,
  type RootStatementEvent,
} from './root-statement-event.js';

/**
 * The repository's state at one audit head: every live contract and every deleted one's last state
 * (so a resumed watch still learns of the deletion). Loading it and folding only the entries after
 * `head` gives the same state as folding the whole log, in a fraction of the time.
 */
export interface ContractSnapshot {
  readonly head: AuditCheckpoint;
  /** Live contracts, in the order the repository holds them. */
  readonly contracts: readonly TrustContract[];
  /** Deleted contracts' last states, their revision being the deletion's sequence. */
  readonly tombstones: readonly TrustContract[];
}

/** Identifies the encoding; a reader refuses any other. */
export const contractSnapshotFormat = 'accord.dev/contract-snapshot/v1';

/** A snapshot that does not decode: damaged, or not one this version wrote. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
}

/**
 * One contract as a snapshot stores it (JSON). Zones, certificates and SPIFFE IDs are indexes into
 * the snapshot's tables; approvals and the revocation are the details of the audit records they
 * came from, written and read by the log's own functions.
 */
interface StoredContract {
  readonly id: string;
  readonly revision: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly proposedBy: number;
  readonly participants: readonly number[];
  readonly approvals: readonly JsonValue[];
  readonly revocation?: { readonly time: string; readonly actor: number; readonly details: JsonValue };
  /**
   * The root statements (docs/root-rotation.md) as the details of the audit records they came
   * from, certificates as table indexes: every announcement, then every activation, every
   * acknowledgement (with its time and actor) and every root revocation, each in contract order.
   * Loading applies them in this order, before the revocation.
   */
  readonly rootStatements?: readonly StoredRootStatement[];
}

interface StoredRootStatement {
  readonly action: RootStatementAction;
  readonly details: JsonValue;
  readonly time?: string;
  readonly actor?: number;
}

/**
 * Encodes a snapshot as UTF-8 JSON. Each distinct participant (a zone with its root PEM), each
 * distinct certificate of an approval chain and each distinct SPIFFE ID is written once, in a
 * table, and referred to by its index: a contract between two of a hundred zones then costs a few
 * hundred bytes (its id, times and signatures) instead of the kilobytes of its roots and chains.
 */
export function encodeContractSnapshot(snapshot: ContractSnapshot): Buffer {
  // A validated participant's rootPem is re-encoded from the DER, so the hash determines it.
  const participants = new Table<ContractParticipant, JsonValue>(
    (participant) => `${participant.name}\n${participant.trustDomain}\n${participant.rootSha256}`,
    (participant) => ({
      name: participant.name,
      trustDomain: participant.trustDomain,
      rootPem: participant.rootPem,
      rootSha256: participant.rootSha256,
    }),
  );
  const certificates = new Table<string, string>(
    (base64) => base64,
    (base64) => base64,
  );
  const actors = new Table<string, string>(
    (actor) => actor,
    (actor) => actor,
  );
  const store = (contract: TrustContract): StoredContract => {
    const revocation = revocationEvent(contract);
    const revoked = revocation === undefined ? undefined : eventToAuditRecord(revocation);
    return {
      id: contract.id,
      revision: contract.revision,
      createdAt: contract.createdAt.getTime(),
      proposedBy: actors.indexOf(contract.proposedBy),
      participants: contract.participants.map((participant) => participants.indexOf(participant)),
      approvals: contract.approvals.map((approval) => {
        const details = signatureToDetails(approval);
        const chain = details.certificateChain;
        return Array.isArray(chain)
          ? { ...details, certificateChain: chain.map((der) => certificates.indexOf(String(der))) }
          : details;
      }),
      ...(revoked === undefined
        ? {}
        : {
            revocation: {
              time: revoked.time,
              actor: actors.indexOf(revoked.actor),
              details: revoked.details,
            },
          }),
      ...(contract.rootRotations.length === 0 && contract.rootRevocations.length === 0
        ? {}
        : { rootStatements: rootStatementsOf(contract, certificates, actors) }),
    };
  };
  return Buffer.from(
    JSON.stringify({
      format: contractSnapshotFormat,
      headSequence: snapshot.head.sequence,
      headHash: Buffer.from(snapshot.head.hash).toString('hex'),
      contracts: snapshot.contracts.map(store),
      tombstones: snapshot.tombstones.map(store),
      participants: participants.values,
      certificates: certificates.values,
      actors: actors.values,
    }),
    'utf8',
  );
}

/**
 * Decodes a snapshot. Table participants are validated like a proposal's (once each), and every
 * contract is rebuilt through the log's transition function (proposal, each approval, the
 * revocation), so a snapshot can only hold states the log could reach. Throws
 * `SnapshotFormatError` naming what is wrong.
 */
export function decodeContractSnapshot(bytes: Uint8Array, cache = new EventDecodeCache()): ContractSnapshot {
  try {
    const document = objectOf(JSON.parse(Buffer.from(bytes).toString('utf8')), 'snapshot');
    if (document.format !== contractSnapshotFormat)
      throw new Error(`format is not ${contractSnapshotFormat}`);
    const headSequence = sequenceOf(document.headSequence, 'headSequence', 0);
    const headHash = document.headHash;
    if (typeof headHash !== 'string' || !/^[0-9a-f]{64}$/.test(headHash))
      throw new Error('headHash is not hex SHA-256');
    const tables: Tables = {
      participants: arrayOf(document.participants, 'participants').map((value, index) =>
        cache.participant(objectOf(value, `participants[${index}]`), `participants[${index}]`),
      ),
      certificates: arrayOf(document.certificates, 'certificates').map((value, index) =>
        storedCertificate(value as JsonValue, index, cache),
      ),
      actors: arrayOf(document.actors, 'actors').map((value, index) => {
        if (typeof value !== 'string') throw new Error(`actors[${index}] is not a string`);
        return value;
      }),
    };
    const ids = new Set<string>();
    const load = (value: unknown, field: string): TrustContract => {
      try {
        const contract = loadContract(objectOf(value, field), tables, cache);
        if (contract.revision > headSequence)
          throw new Error(`revision ${contract.revision} is after the head`);
        if (ids.has(contract.id)) throw new Error(`contract ${contract.id} appears twice`);
        ids.add(contract.id);
        return contract;
      } catch (error) {
        throw new Error(`${field}: ${errorMessage(error)}`, { cause: error });
      }
    };
    return {
      head: { sequence: headSequence, hash: new Uint8Array(Buffer.from(headHash, 'hex')) },
      contracts: arrayOf(document.contracts, 'contracts').map((value, index) =>
        load(value, `contracts[${index}]`),
      ),
      tombstones: arrayOf(document.tombstones, 'tombstones').map((value, index) =>
        load(value, `tombstones[${index}]`),
      ),
    };
  } catch (error) {
    throw new SnapshotFormatError(`contract snapshot does not decode: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

interface Tables {
  readonly participants: readonly ContractParticipant[];
  /** DER, decoded once each. */
  readonly certificates: readonly Uint8Array[];
  readonly actors: readonly string[];
}

function loadContract(
  stored: Readonly<Record<string, JsonValue>>,
  tables: Tables,
  cache: EventDecodeCache,
): TrustContract {
  const id = stored.id;
  if (typeof id !== 'string') throw new Error('id is not a string');
  const revision = sequenceOf(stored.revision, 'revision', 1);
  const createdAt = stored.createdAt;
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt))
    throw new Error('createdAt is not a time');
  const participants = arrayOf(stored.participants, 'participants').map((index) =>
    entryOf(tables.participants, index, 'participant'),
  );
  const certificateOf = (entry: JsonValue): Uint8Array => entryOf(tables.certificates, entry, 'certificate');
  const approvals = arrayOf(stored.approvals, 'approvals').map((value, index) =>
    signatureFromDetails(objectOf(value, `approvals[${index}]`), certificateOf),
  );
  const proposal: ContractEventRecord = {
    sequence: revision,
    time: new Date(createdAt),
    actor: entryOf(tables.actors, stored.proposedBy, 'actor'),
    contractId: id,
    event: { action: 'propose', participants },
  };
  let contract = restoreContract(proposal, approvals, revision);
  for (const [index, value] of arrayOf(stored.rootStatements ?? [], 'rootStatements').entries()) {
    contract = restoreRootStatement(contract, objectOf(value, `rootStatements[${index}]`), tables, cache);
  }
  if (stored.revocation === undefined) return contract;
  const revocation = objectOf(stored.revocation, 'revocation');
  const { time, details } = revocation;
  if (typeof time !== 'string') throw new Error('revocation.time is not a string');
  const record: AuditRecord = {
    sequence: revision,
    time,
    actor: entryOf(tables.actors, revocation.actor, 'actor'),
    action: 'revoke',
    contractId: id,
    details: objectOf(details, 'revocation.details'),
  };
  const revoked = applyContractEvent(contract, eventFromAuditRecord(record, cache));
  if (revoked === undefined) throw new Error('the contract vanished');
  return revoked;
}

/** The statements `StoredContract.rootStatements` holds, in the order loading applies them. */
function rootStatementsOf(
  contract: TrustContract,
  certificates: Table<string, string>,
  actors: Table<string, string>,
): StoredRootStatement[] {
  const events: { event: RootStatementEvent; time?: string; actor?: number }[] = [
    ...contract.rootRotations.map((rotation) => ({
      event: { action: 'announce-root' as const, announcement: rotation.announcement },
    })),
    ...contract.rootRotations.flatMap((rotation) =>
      rotation.activation === undefined
        ? []
        : [{ event: { action: 'activate-root' as const, activation: rotation.activation } }],
    ),
    ...contract.rootRotations.flatMap((rotation) =>
      rotation.acknowledgements.map((acknowledgement) => ({
        event: {
          action: 'acknowledge-root' as const,
          trustDomain: rotation.announcement.trustDomain,
          rootSha256: rotation.announcement.rootSha256,
          acknowledgingTrustDomain: acknowledgement.trustDomain,
        },
        time: acknowledgement.acknowledgedAt.toISOString(),
        actor: actors.indexOf(acknowledgement.acknowledgedBy),
      })),
    ),
    ...contract.rootRevocations.map((revocation) => ({
      event: { action: 'revoke-root' as const, revocation },
    })),
  ];
  return events.map(({ event, ...envelope }) => {
    const details = rootStatementToDetails(event);
    const { root, approverCertificateChain } = details;
    return {
      action: event.action,
      details: {
        ...details,
        ...(typeof root === 'string' ? { root: certificates.indexOf(root) } : {}),
        ...(Array.isArray(approverCertificateChain)
          ? {
              approverCertificateChain: approverCertificateChain.map((der) =>
                certificates.indexOf(String(der)),
              ),
            }
          : {}),
      },
      ...envelope,
    };
  });
}

/** Applies one stored root statement through the log's decoder and transition function. */
function restoreRootStatement(
  contract: TrustContract,
  stored: Readonly<Record<string, JsonValue>>,
  tables: Tables,
  cache: EventDecodeCache,
): TrustContract {
  const action = stored.action;
  if (
    action !== 'announce-root' &&
    action !== 'activate-root' &&
    action !== 'acknowledge-root' &&
    action !== 'revoke-root'
  ) {
    throw new Error('rootStatements: unknown action');
  }
  const certificateOf = (entry: JsonValue): Uint8Array => entryOf(tables.certificates, entry, 'certificate');
  const event = rootStatementFromDetails(action, contract.id, objectOf(stored.details, 'details'), {
    certificateOf,
    rootOf: (entry) => cache.root(certificateOf(entry)),
  });
  const time = typeof stored.time === 'string' ? new Date(stored.time) : contract.createdAt;
  const actor = stored.actor === undefined ? '' : entryOf(tables.actors, stored.actor, 'actor');
  const next = applyContractEvent(contract, {
    sequence: contract.revision,
    time,
    actor,
    contractId: contract.id,
    event,
  });
  if (next === undefined) throw new Error('the contract vanished');
  return next;
}

/** Distinct values (equal when their `keyOf` is) in first-seen order, each stored as `toStored` makes it. */
class Table<Value, Stored extends JsonValue> {
  readonly values: Stored[] = [];
  readonly #indexes = new Map<string, number>();
  readonly #keyOf: (value: Value) => string;
  readonly #toStored: (value: Value) => Stored;

  constructor(keyOf: (value: Value) => string, toStored: (value: Value) => Stored) {
    this.#keyOf = keyOf;
    this.#toStored = toStored;
  }

  indexOf(value: Value): number {
    const key = this.#keyOf(value);
    let index = this.#indexes.get(key);
    if (index === undefined) {
      index = this.values.length;
      this.values.push(this.#toStored(value));
      this.#indexes.set(key, index);
    }
    return index;
  }
}

function entryOf<Entry>(table: readonly Entry[], index: unknown, name: string): Entry {
  const entry = typeof index === 'number' ? table[index] : undefined;
  if (entry === undefined) throw new Error(`refers to a missing ${name} ${String(index)}`);
  return entry;
}

function sequenceOf(value: unknown, field: string, minimum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum)
    throw new Error(`${field} is not a sequence number`);
  return value;
}

/** `value`, parsed from JSON, as an object; throws naming `field` if it is not one. */
function objectOf(value: unknown, field: string): Readonly<Record<string, JsonValue>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${field} is not an object`);
  return value as Readonly<Record<string, JsonValue>>;
}

function arrayOf(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new Error(`${field} is not an array`);
  return value;
}
