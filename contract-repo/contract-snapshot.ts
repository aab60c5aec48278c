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
  readonly contracts: readonly HeldContract[];
  /** Deleted contracts' last states, their revision being the deletion's sequence. */
  readonly tombstones: readonly HeldContract[];
}

/** A contract as the repository holds it: decoded, or still the snapshot record it came from. */
export type HeldContract = TrustContract | SnapshotContract;

/** The contract `held` is, decoding it if it was not yet (`SnapshotContract.contract`). */
export function heldContract(held: HeldContract): TrustContract {
  return held instanceof SnapshotContract ? held.contract : held;
}

/**
 * Identifies the encoding: the first line of every snapshot. A reader refuses any other, and
 * `isReadableSnapshot` lets a store skip a snapshot of an older format before handing it over.
 */
export const contractSnapshotFormat = 'accord.dev/contract-snapshot/v2';

const formatLine = Buffer.from(`${contractSnapshotFormat}\n`, 'utf8');
const newline = 0x0a;

/**
 * Whether `bytes` are a snapshot in the format this version writes and reads. A snapshot of an
 * earlier format (v1 was one JSON document decoded whole) is not an error: the store ignores it and
 * the repository folds the whole log once, then writes one in this format.
 */
export function isReadableSnapshot(bytes: Uint8Array): boolean {
  return (
    bytes.byteLength > formatLine.byteLength && formatLine.equals(bytes.subarray(0, formatLine.byteLength))
  );
}

/** A snapshot that does not decode: damaged, or not one this version wrote. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
}

/**
 * One contract of a snapshot's index (JSON): `[id, revision, record bytes, participant indexes]`.
 * What the repository must know of every contract before it is ready (ids, revisions, who takes
 * part) is all here; the rest is its record, decoded on first use.
 */
type IndexedContract = readonly [
  id: string,
  revision: number,
  recordBytes: number,
  participants: readonly number[],
];

/**
 * The rest of one contract as a snapshot stores it (JSON), after the index. Certificates and SPIFFE
 * IDs are indexes into the snapshot's tables; approvals and the revocation are the details of the
 * audit records they came from, written and read by the log's own functions.
 */
interface StoredContractRecord {
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly proposedBy: number;
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
 * The tables of one decoded snapshot, as stored (to write them again unchanged, so that records
 * copied verbatim still index them right) and as decoded, plus the bytes its records are in.
 */
class SnapshotSource {
  constructor(
    readonly bytes: Buffer,
    readonly storedParticipants: readonly JsonValue[],
    readonly storedCertificates: readonly string[],
    readonly tables: Tables,
    readonly cache: EventDecodeCache,
  ) {}
}

/**
 * A contract of a decoded snapshot: its id, revision and participants, read when the snapshot was,
 * and its record, decoded through the log's transition function the first time the contract is
 * needed and then kept. Starting at 100,000 contracts thus costs the index, not the rebuilding of
 * every approval (most contracts are never read between two starts, or only by their zones). The
 * snapshot's bytes were checked against its digest when it was loaded; a record that still does
 * not decode (a snapshot written by a broken version) throws `SnapshotFormatError` naming the
 * contract from every call that needs it, and writes to it are refused before anything is
 * appended. Writing a snapshot copies the records of undecoded contracts verbatim.
 */
export class SnapshotContract {
  readonly id: string;
  readonly revision: number;
  readonly participants: readonly ContractParticipant[];
  readonly #source: SnapshotSource;
  readonly #recordStart: number;
  readonly #recordEnd: number;
  #contract: TrustContract | undefined;

  constructor(
    indexed: { id: string; revision: number; participants: readonly ContractParticipant[] },
    source: SnapshotSource,
    recordStart: number,
    recordEnd: number,
  ) {
    this.id = indexed.id;
    this.revision = indexed.revision;
    this.participants = indexed.participants;
    this.#source = source;
    this.#recordStart = recordStart;
    this.#recordEnd = recordEnd;
  }

  /** The decoded contract; throws `SnapshotFormatError` if its record does not decode. */
  get contract(): TrustContract {
    this.#contract ??= this.#decode();
    return this.#contract;
  }

  /** The snapshot this contract was read from. */
  get source(): SnapshotSource {
    return this.#source;
  }

  /** The record's bytes as stored, to write again unchanged. */
  get record(): Buffer {
    return this.#source.bytes.subarray(this.#recordStart, this.#recordEnd);
  }

  #decode(): TrustContract {
    try {
      const record = objectOf(JSON.parse(this.record.toString('utf8')), 'record');
      return loadContract(this, record, this.#source.tables, this.#source.cache);
    } catch (error) {
      throw new SnapshotFormatError(
        `contract snapshot does not decode: contract ${this.id}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }
}

/**
 * Encodes a snapshot: its format line, one line of JSON (head, tables and the index of every
 * contract), then every contract's record (JSON) back to back, in index order. Each distinct
 * participant (a zone with its root PEM), each distinct certificate of an approval chain and each
 * distinct SPIFFE ID is written once, in a table, and referred to by its index: a contract between
 * two of a hundred zones then costs a few hundred bytes (its id, times and signatures) instead of
 * the kilobytes of its roots and chains. Contracts still held as records of a decoded snapshot are
 * copied as they are, behind that snapshot's tables (which come first, unchanged).
 */
export function encodeContractSnapshot(snapshot: ContractSnapshot): Buffer {
  const all = [...snapshot.contracts, ...snapshot.tombstones];
  const source = all.find((held): held is SnapshotContract => held instanceof SnapshotContract)?.source;
  // A validated participant's rootPem is re-encoded from the DER, so the hash determines it.
  const participantKey = (participant: ContractParticipant): string =>
    `${participant.name}\n${participant.trustDomain}\n${participant.rootSha256}`;
  const participants = new Table<ContractParticipant, JsonValue>(participantKey, (participant) => ({
    name: participant.name,
    trustDomain: participant.trustDomain,
    rootPem: participant.rootPem,
    rootSha256: participant.rootSha256,
  }));
  const certificates = new Table<string, string>(
    (base64) => base64,
    (base64) => base64,
  );
  const actors = new Table<string, string>(
    (actor) => actor,
    (actor) => actor,
  );
  if (source !== undefined) {
    source.tables.participants.forEach((participant, index) =>
      participants.seed(participantKey(participant), source.storedParticipants[index] ?? null),
    );
    for (const certificate of source.storedCertificates) certificates.seed(certificate, certificate);
    for (const actor of source.tables.actors) actors.seed(actor, actor);
  }
  const records: Buffer[] = [];
  const index = (held: HeldContract): IndexedContract => {
    const record =
      held instanceof SnapshotContract && held.source === source
        ? held.record
        : Buffer.from(JSON.stringify(storedRecord(heldContract(held), certificates, actors)), 'utf8');
    records.push(record);
    return [
      held.id,
      held.revision,
      record.byteLength,
      held.participants.map((participant) => participants.indexOf(participant)),
    ];
  };
  const contracts = snapshot.contracts.map(index);
  const tombstones = snapshot.tombstones.map(index);
  const indexLine = JSON.stringify({
    headSequence: snapshot.head.sequence,
    headHash: Buffer.from(snapshot.head.hash).toString('hex'),
    participants: participants.values,
    certificates: certificates.values,
    actors: actors.values,
    contracts,
    tombstones,
  });
  return Buffer.concat([formatLine, Buffer.from(`${indexLine}\n`, 'utf8'), ...records]);
}

/** Everything of `contract` but what the index holds. */
function storedRecord(
  contract: TrustContract,
  certificates: Table<string, string>,
  actors: Table<string, string>,
): StoredContractRecord {
  const revocation = revocationEvent(contract);
  const revoked = revocation === undefined ? undefined : eventToAuditRecord(revocation);
  return {
    createdAt: contract.createdAt.getTime(),
    proposedBy: actors.indexOf(contract.proposedBy),
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
          revocation: { time: revoked.time, actor: actors.indexOf(revoked.actor), details: revoked.details },
        }),
    ...(contract.rootRotations.length === 0 && contract.rootRevocations.length === 0
      ? {}
      : { rootStatements: rootStatementsOf(contract, certificates, actors) }),
  };
}

/**
 * Decodes a snapshot's index: the head, the tables (participants validated like a proposal's, once
 * each) and every contract's id, revision and participants, each checked (ids distinct, revisions
 * not after the head, table references held, record lengths adding up to the bytes exactly). The
 * records are decoded on first use (`SnapshotContract`), each through the log's transition
 * function (proposal, each approval, root statements, the revocation), so a snapshot can only hold
 * states the log could reach. Throws `SnapshotFormatError` naming what is wrong.
 */
export function decodeContractSnapshot(bytes: Uint8Array, cache = new EventDecodeCache()): ContractSnapshot {
  try {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!isReadableSnapshot(body)) throw new Error(`the first line is not ${contractSnapshotFormat}`);
    const indexEnd = body.indexOf(newline, formatLine.byteLength);
    if (indexEnd < 0) throw new Error('the index line is cut short');
    const document = objectOf(JSON.parse(body.toString('utf8', formatLine.byteLength, indexEnd)), 'index');
    const headSequence = sequenceOf(document.headSequence, 'headSequence', 0);
    const headHash = document.headHash;
    if (typeof headHash !== 'string' || !/^[0-9a-f]{64}$/.test(headHash))
      throw new Error('headHash is not hex SHA-256');
    const storedParticipants = arrayOf(document.participants, 'participants') as JsonValue[];
    const storedCertificates = arrayOf(document.certificates, 'certificates').map((value, index) => {
      if (typeof value !== 'string') throw new Error(`certificates[${index}] is not a string`);
      return value;
    });
    const tables: Tables = {
      participants: storedParticipants.map((value, index) =>
        cache.participant(objectOf(value, `participants[${index}]`), `participants[${index}]`),
      ),
      certificates: storedCertificates.map((value, index) => storedCertificate(value, index, cache)),
      actors: arrayOf(document.actors, 'actors').map((value, index) => {
        if (typeof value !== 'string') throw new Error(`actors[${index}] is not a string`);
        return value;
      }),
    };
    const source = new SnapshotSource(body, storedParticipants, storedCertificates, tables, cache);
    const ids = new Set<string>();
    let recordStart = indexEnd + 1;
    const load = (value: unknown, field: string): SnapshotContract => {
      const entry = arrayOf(value, field);
      const [id, revision, recordBytes, participants] = entry;
      if (entry.length !== 4 || typeof id !== 'string')
        throw new Error(`${field} is not [id, revision, bytes, participants]`);
      if (sequenceOf(revision, `${field} revision`, 1) > headSequence)
        throw new Error(`${field}: revision ${String(revision)} is after the head`);
      const recordEnd = recordStart + sequenceOf(recordBytes, `${field} record length`, 2);
      if (recordEnd > body.byteLength) throw new Error(`${field}: its record is cut short`);
      if (ids.has(id)) throw new Error(`${field}: contract ${id} appears twice`);
      ids.add(id);
      const contract = new SnapshotContract(
        {
          id,
          revision: revision as number,
          participants: arrayOf(participants, `${field} participants`).map((index) =>
            entryOf(tables.participants, index, 'participant'),
          ),
        },
        source,
        recordStart,
        recordEnd,
      );
      recordStart = recordEnd;
      return contract;
    };
    const contracts = arrayOf(document.contracts, 'contracts').map((value, index) =>
      load(value, `contracts[${index}]`),
    );
    const tombstones = arrayOf(document.tombstones, 'tombstones').map((value, index) =>
      load(value, `tombstones[${index}]`),
    );
    if (recordStart !== body.byteLength)
      throw new Error(`${body.byteLength - recordStart} bytes after the last record`);
    return {
      head: { sequence: headSequence, hash: new Uint8Array(Buffer.from(headHash, 'hex')) },
      contracts,
      tombstones,
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
  indexed: Pick<TrustContract, 'id' | 'revision' | 'participants'>,
  stored: Readonly<Record<string, JsonValue>>,
  tables: Tables,
  cache: EventDecodeCache,
): TrustContract {
  const { id, revision, participants } = indexed;
  const createdAt = stored.createdAt;
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt))
    throw new Error('createdAt is not a time');
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

/** The statements `StoredContractRecord.rootStatements` holds, in the order loading applies them. */
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

  /** Puts `stored` (an earlier snapshot's entry) at the next index under `key`, without converting it. */
  seed(key: string, stored: Stored): void {
    this.#indexes.set(key, this.values.length);
    this.values.push(stored);
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
