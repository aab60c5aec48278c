import { auditGenesisHash } from '../lib/contract/audit-chain.js';
import { contractToProto } from '../lib/contract/contract-codec.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { approvedContract, proposedContract, revokedContract } from '../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import {
  SnapshotFormatError,
  decodeContractSnapshot,
  encodeContractSnapshot,
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

/** The snapshot's JSON, edited by `edit` and encoded again: a hand-made snapshot. */
function edited(edit: (document: Record<string, unknown>) => void): Buffer {
  const document = JSON.parse(encodeContractSnapshot(snapshot).toString('utf8')) as Record<string, unknown>;
  edit(document);
  return Buffer.from(JSON.stringify(document), 'utf8');
}

function contractsOf(document: Record<string, unknown>): Record<string, unknown>[] {
  return document.contracts as Record<string, unknown>[];
}

describe('contract snapshots', () => {
  it('decode to the same head, contracts (in order) and tombstones they were encoded from', () => {
    const decoded = decodeContractSnapshot(encodeContractSnapshot(snapshot));
    expect(decoded.head).toEqual(snapshot.head);
    // Compared in wire form: node's X509Certificate objects hold internal caches that jest cannot diff.
    expect(decoded.contracts.map(contractToProto)).toEqual(snapshot.contracts.map(contractToProto));
    expect(decoded.tombstones.map(contractToProto)).toEqual(snapshot.tombstones.map(contractToProto));
    expect(decoded.contracts.map((contract) => contract.state)).toEqual([
      'active',
      'proposed',
      'revoked',
      'proposed',
    ]);
  });

  it('store each zone root and each approver certificate once, however many contracts name it', () => {
    const text = encodeContractSnapshot(snapshot).toString('utf8');
    const rootBody = zoneA.rootPem.split('\n')[1] ?? '';
    expect(text.split(rootBody).length - 1).toBe(1);
    const certificate = Buffer.from(zoneA.admin.certificateDer).toString('base64');
    expect(text.split(certificate).length - 1).toBe(1);
  });

  it('share one participant object between the contracts of a zone once decoded', () => {
    const [first, second] = decodeContractSnapshot(encodeContractSnapshot(snapshot)).contracts;
    expect(first?.participants[0]).toBe(second?.participants[1]);
  });

  it.each([
    [
      'another format',
      (document: Record<string, unknown>) => (document.format = 'accord.dev/contract-snapshot/v0'),
      'format is not accord.dev/contract-snapshot/v1',
    ],
    [
      'a contract changed after the head',
      (document: Record<string, unknown>) => (document.headSequence = 9),
      'contracts[1]: revision 10 is after the head',
    ],
    [
      'a contract twice',
      (document: Record<string, unknown>) => {
        const [first] = contractsOf(document);
        document.tombstones = [first];
      },
      'tombstones[0]: contract ab appears twice',
    ],
    [
      'an approval of a zone that is no participant',
      (document: Record<string, unknown>) => {
        const approvals = contractsOf(document)[0]?.approvals as Record<string, unknown>[];
        if (approvals[0] !== undefined) approvals[0].participant = 'zone-c';
      },
      'contracts[0]: zone-c is not a participant of contract ab',
    ],
    [
      'two approvals of one zone',
      (document: Record<string, unknown>) => {
        const approvals = contractsOf(document)[0]?.approvals as unknown[];
        approvals[1] = approvals[0];
      },
      'contracts[0]: participant zone-a already approved contract ab',
    ],
    [
      'a reference to a certificate it does not hold',
      (document: Record<string, unknown>) => (document.certificates = []),
      'contracts[0]: refers to a missing certificate 0',
    ],
    [
      'a participant whose root does not match its hash',
      (document: Record<string, unknown>) => {
        const [first] = document.participants as Record<string, unknown>[];
        if (first !== undefined) first.rootSha256 = Buffer.from(auditGenesisHash).toString('hex');
      },
      'participants[0].hash',
    ],
  ])('refuse a snapshot with %s, naming it', (_name, edit, reason) => {
    const bytes = edited(edit);
    expect(() => decodeContractSnapshot(bytes)).toThrow(SnapshotFormatError);
    expect(() => decodeContractSnapshot(bytes)).toThrow(reason);
  });

  it('refuse bytes that are not JSON', () => {
    expect(() => decodeContractSnapshot(Buffer.from('{"format":'))).toThrow(
      /^contract snapshot does not decode: /,
    );
  });
});
