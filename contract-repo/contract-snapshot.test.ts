import { auditGenesisHash } from '../lib/contract/audit-chain.js';
import { contractToProto } from '../lib/contract/contract-codec.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { approvedContract, proposedContract, revokedContract } from '../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import {
  SnapshotContract,
  SnapshotFormatError,
  decodeContractSnapshot,
  encodeContractSnapshot,
  heldContract,
  isReadableSnapshot,
  type ContractSnapshot,
} from './contract-snapshot.js';

let zoneA: TestZone;
let zoneB: TestZone;
let zoneC: TestZone;
let active: TrustContract;
let revoked: TrustContract;
let snapshot: ContractSnapshot;

beforeAll(async () => {
  [zoneA, zoneB, zoneC] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
  ]);
  active = { ...(await approvedContract('ab', [zoneA, zoneB])), revision: 7 };
  // Signed: the snapshot keeps the revocation's signature and timestamp like the log does.
  revoked = {
    ...(await revokedContract(await approvedContract('bc', [zoneB, zoneC]), zoneB, 'done')),
    revision: 9,
  };
  snapshot = {
    head: { sequence: 12, hash: new Uint8Array(32).fill(7) },
    contracts: [
      active,
      { ...proposedContract('ca', [zoneC, zoneA]), revision: 10 },
      revoked,
      { ...(await approvedContract('half', [zoneA, zoneC], [zoneC])), state: 'proposed', revision: 11 },
    ],
    tombstones: [{ ...proposedContract('gone', [zoneA, zoneB]), revision: 12 }],
  };
});

interface SnapshotParts {
  index: Record<string, unknown>;
  records: Record<string, unknown>[];
}

/** The snapshot's index and records as JSON, edited by `edit` and encoded again: a hand-made snapshot. */
function edited(edit: (parts: SnapshotParts) => void): Buffer {
  const bytes = encodeContractSnapshot(snapshot);
  const [formatLine, indexLine] = bytes.toString('utf8').split('\n', 2);
  const index = JSON.parse(indexLine ?? '') as Record<string, unknown>;
  let start = (formatLine ?? '').length + (indexLine ?? '').length + 2;
  const records = [...entriesOf(index, 'contracts'), ...entriesOf(index, 'tombstones')].map((entry) => {
    const end = start + (entry[2] as number);
    const record = JSON.parse(bytes.toString('utf8', start, end)) as Record<string, unknown>;
    start = end;
    return record;
  });
  edit({ index, records });
  const recordBytes = records.map((record) => Buffer.from(JSON.stringify(record), 'utf8'));
  [...entriesOf(index, 'contracts'), ...entriesOf(index, 'tombstones')].forEach((entry, position) => {
    entry[2] = recordBytes[position]?.byteLength;
  });
  return Buffer.concat([Buffer.from(`${formatLine}\n${JSON.stringify(index)}\n`, 'utf8'), ...recordBytes]);
}

function entriesOf(index: Record<string, unknown>, list: 'contracts' | 'tombstones'): unknown[][] {
  return index[list] as unknown[][];
}

function approvalsOf(parts: SnapshotParts, position: number): Record<string, unknown>[] {
  return parts.records[position]?.approvals as Record<string, unknown>[];
}

function decodedContracts(decoded: ContractSnapshot): TrustContract[] {
  return decoded.contracts.map(heldContract);
}

describe('contract snapshots', () => {
  it('decode to the same head, contracts (in order) and tombstones they were encoded from', () => {
    const decoded = decodeContractSnapshot(encodeContractSnapshot(snapshot));
    expect(decoded.head).toEqual(snapshot.head);
    // Compared in wire form: node's X509Certificate objects hold internal caches that jest cannot diff.
    expect(decodedContracts(decoded).map(contractToProto)).toEqual(
      snapshot.contracts.map(heldContract).map(contractToProto),
    );
    expect(decoded.tombstones.map(heldContract).map(contractToProto)).toEqual(
      snapshot.tombstones.map(heldContract).map(contractToProto),
    );
    expect(decodedContracts(decoded).map((contract) => contract.state)).toEqual([
      'active',
      'proposed',
      'revoked',
      'proposed',
    ]);
  });

  it('decode a contract only when it is first read, and keep it', () => {
    const [first] = decodeContractSnapshot(encodeContractSnapshot(snapshot)).contracts;
    expect(first).toBeInstanceOf(SnapshotContract);
    expect(first?.id).toBe('ab');
    expect(first?.revision).toBe(7);
    expect(first?.participants.map((participant) => participant.name)).toEqual(['zone-a', 'zone-b']);
    const contract = first === undefined ? undefined : heldContract(first);
    expect(contract?.state).toBe('active');
    expect(first === undefined ? undefined : heldContract(first)).toBe(contract);
  });

  it('write undecoded contracts back byte for byte, and decoded or new ones beside them', async () => {
    const bytes = encodeContractSnapshot(snapshot);
    const decoded = decodeContractSnapshot(bytes);
    expect(encodeContractSnapshot(decoded).equals(bytes)).toBe(true);
    // One read, one replaced by a newer state, one added: the next snapshot holds all of them.
    const [first, second, ...rest] = decoded.contracts;
    if (first !== undefined) heldContract(first);
    const zoneD = await createTestZone('zone-d');
    const added = { ...proposedContract('da', [zoneD, zoneA]), revision: 13 };
    const replaced = { ...proposedContract('ca', [zoneC, zoneA]), revision: 13 };
    const next: ContractSnapshot = {
      head: { sequence: 13, hash: new Uint8Array(32).fill(8) },
      contracts: [...(first === undefined ? [] : [first]), replaced, ...rest, added],
      tombstones: decoded.tombstones,
    };
    expect(second?.id).toBe('ca');
    const again = decodeContractSnapshot(encodeContractSnapshot(next));
    expect(decodedContracts(again).map(contractToProto)).toEqual(
      next.contracts.map(heldContract).map(contractToProto),
    );
    expect(again.tombstones.map(heldContract).map(contractToProto)).toEqual(
      snapshot.tombstones.map(heldContract).map(contractToProto),
    );
  });

  it('store each zone root and each approver certificate once, however many contracts name it', () => {
    const text = encodeContractSnapshot(snapshot).toString('utf8');
    const rootBody = zoneA.rootPem.split('\n')[1] ?? '';
    expect(text.split(rootBody).length - 1).toBe(1);
    const certificate = Buffer.from(zoneA.admin.certificateDer).toString('base64');
    expect(text.split(certificate).length - 1).toBe(1);
  });

  it('share one participant object between the contracts of a zone once decoded', () => {
    const [first, second] = decodedContracts(decodeContractSnapshot(encodeContractSnapshot(snapshot)));
    expect(first?.participants[0]).toBe(second?.participants[1]);
  });

  it('are told apart from snapshots of the earlier format, which the stores then skip', () => {
    expect(isReadableSnapshot(encodeContractSnapshot(snapshot))).toBe(true);
    const earlier = Buffer.from(JSON.stringify({ format: 'accord.dev/contract-snapshot/v1', contracts: [] }));
    expect(isReadableSnapshot(earlier)).toBe(false);
    expect(() => decodeContractSnapshot(earlier)).toThrow(
      'contract snapshot does not decode: the first line is not accord.dev/contract-snapshot/v2',
    );
  });

  it.each([
    [
      'a contract changed after the head',
      ({ index }: SnapshotParts) => (index.headSequence = 9),
      'contracts[1]: revision 10 is after the head',
    ],
    [
      'a contract twice',
      ({ index, records }: SnapshotParts) => {
        const [first] = entriesOf(index, 'contracts');
        index.tombstones = [first];
        records.splice(4, 1, records[0] ?? {});
      },
      'tombstones[0]: contract ab appears twice',
    ],
    [
      'a reference to a participant it does not hold',
      ({ index }: SnapshotParts) => {
        const [first] = entriesOf(index, 'contracts');
        if (first !== undefined) first[3] = [0, 9];
      },
      'refers to a missing participant 9',
    ],
    [
      'a participant whose root does not match its hash',
      ({ index }: SnapshotParts) => {
        const [first] = index.participants as Record<string, unknown>[];
        if (first !== undefined) first.rootSha256 = Buffer.from(auditGenesisHash).toString('hex');
      },
      'participants[0].hash',
    ],
    [
      'bytes after its last record',
      ({ records }: SnapshotParts) => records.push({}),
      '2 bytes after the last record',
    ],
  ])('refuse a snapshot with %s when it is read, naming it', (_name, edit, reason) => {
    const bytes = edited(edit);
    expect(() => decodeContractSnapshot(bytes)).toThrow(SnapshotFormatError);
    expect(() => decodeContractSnapshot(bytes)).toThrow(reason);
  });

  it.each([
    [
      'an approval of a zone that is no participant',
      (parts: SnapshotParts) => {
        const [approval] = approvalsOf(parts, 0);
        if (approval !== undefined) approval.participant = 'zone-c';
      },
      'contract snapshot does not decode: contract ab: zone-c is not a participant of contract ab',
    ],
    [
      'two approvals of one zone',
      (parts: SnapshotParts) => {
        const approvals = approvalsOf(parts, 0);
        approvals[1] = approvals[0] ?? {};
      },
      'contract snapshot does not decode: contract ab: participant zone-a already approved contract ab',
    ],
    [
      'a reference to a certificate it does not hold',
      ({ index }: SnapshotParts) => (index.certificates = []),
      'contract snapshot does not decode: contract ab: refers to a missing certificate 0',
    ],
    [
      'a creation time that is not a time',
      ({ records }: SnapshotParts) => (records[0] = { createdAt: 'yesterday' }),
      'contract snapshot does not decode: contract ab: createdAt is not a time',
    ],
  ])('refuse a contract whose record holds %s when it is first read, naming it', (_name, edit, reason) => {
    const [first, second] = decodeContractSnapshot(edited(edit)).contracts;
    expect(() => (first === undefined ? undefined : heldContract(first))).toThrow(SnapshotFormatError);
    expect(() => (first === undefined ? undefined : heldContract(first))).toThrow(reason);
    // The others are not affected.
    expect(second === undefined ? undefined : heldContract(second).id).toBe('ca');
  });

  it('refuse a snapshot whose last record is cut short', () => {
    const bytes = encodeContractSnapshot(snapshot);
    expect(() => decodeContractSnapshot(bytes.subarray(0, bytes.byteLength - 1))).toThrow(
      'contract snapshot does not decode: tombstones[0]: its record is cut short',
    );
  });

  it('refuse an index that is not JSON', () => {
    expect(() =>
      decodeContractSnapshot(Buffer.from('accord.dev/contract-snapshot/v2\n{"headSequence":\n')),
    ).toThrow(/^contract snapshot does not decode: /);
  });
});
