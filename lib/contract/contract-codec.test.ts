import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  ApprovalSchema,
  AuditEntrySchema,
  RootRevocationSchema,
  RootRotationSchema,
  ContractSchema,
  ContractState as ProtoContractState,
  type Approval,
  type Contract,
  type RevokeRequest,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { signApproval } from './approval-signature.js';
import { isTrustEstablished } from './contract-approvals.js';
import {
  approvalFromProto,
  auditEntryFromProto,
  auditEntryToProto,
  contractFromProto,
  contractToProto,
  dateFromProto,
  deletedContractTermsFromProto,
  deletedContractToProto,
  proposalFromProto,
  revokeRequestFromProto,
  revokeRequestToProto,
  stateFromProto,
  stateToProto,
} from './contract-codec.js';
import { approvedContract, revokedContract } from '../../test/support/test-contracts.js';
import { activateRoot, announceRoot, revokeRoot } from '../../test/support/test-root-rotation.js';
import { createTestRoot, createTestZone, type TestZone } from '../../test/support/test-zone.js';
import type { TrustContract } from './trust-contract.js';
import { validateProposal } from './validate-proposal.js';

let zoneA: TestZone;
let zoneB: TestZone;

beforeAll(async () => {
  [zoneA, zoneB] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
});

describe('contract codec', () => {
  it('round-trips an active, approved contract through protobuf binary without losing verifiability', async () => {
    const { participants } = validateProposal({
      id: 'ab',
      participants: [zoneA.participant, zoneB.participant],
    });
    const base = {
      id: 'ab',
      participants,
      createdAt: new Date('2026-03-01T10:00:00.123Z'),
      rootRotations: [],
      rootRevocations: [],
    };
    const signedAt = new Date();
    const approvals = await Promise.all([
      signApproval(base, 'zone-a', zoneA.admin.signer, signedAt),
      signApproval(base, 'zone-b', zoneB.admin.signer, signedAt),
    ]);
    const contract: TrustContract = {
      ...base,
      state: 'active',
      approvals,
      proposedBy: 'spiffe://admin.example/admin',
      revocation: undefined,
      revision: 7,
      rootRotations: [],
      rootRevocations: [],
    };
    const decoded = contractFromProto(
      fromBinary(ContractSchema, toBinary(ContractSchema, contractToProto(contract))),
    );
    expect(decoded.createdAt).toEqual(base.createdAt);
    expect(decoded.revision).toBe(7);
    expect(decoded.state).toBe('active');
    expect(decoded.participants.map((participant) => participant.rootSha256)).toEqual([
      zoneA.rootSha256,
      zoneB.rootSha256,
    ]);
    expect(isTrustEstablished(decoded)).toBe(true);
  });

  const forbiddenFields: { field: string; init: Record<string, unknown> }[] = [
    { field: 'state', init: { state: ProtoContractState.ACTIVE } },
    { field: 'approvals', init: { approvals: [{ participant: 'zone-a' }] } },
    { field: 'proposed_by', init: { proposedBy: 'spiffe://zone-a.example/x' } },
    { field: 'created_at', init: { createdAt: timestampFromDate(new Date()) } },
    { field: 'revocation', init: { revocation: {} } },
    { field: 'revision', init: { revision: 3n } },
    { field: 'root_rotations', init: { rootRotations: [{}] } },
    { field: 'root_revocations', init: { rootRevocations: [{}] } },
  ];

  it.each(forbiddenFields)('rejects a proposal that sets $field', ({ field, init }) => {
    const message = create(ContractSchema, { id: 'ab', ...init });
    expect(() => proposalFromProto(message)).toThrow(InvalidArgumentError);
    expect(() => proposalFromProto(message)).toThrow(`contract.${field}: must be empty in a proposal`);
  });

  it('refuses a Create without a contract', () => {
    expect(() => proposalFromProto(undefined)).toThrow(new InvalidArgumentError('contract: required'));
  });

  it('reads id and participants of a well-formed proposal', () => {
    const message = create(ContractSchema, {
      id: 'ab',
      participants: [zoneA.participant, zoneB.participant].map((participant) => ({ ...participant })),
    });
    expect(validateProposal(proposalFromProto(message)).participants).toHaveLength(2);
  });

  /** An Approval message with every field well-formed, except those given. */
  const approvalMessage = (fields: Partial<Approval>): Approval =>
    create(ApprovalSchema, {
      participant: 'zone-a',
      signature: new Uint8Array(64),
      certificateChain: [new Uint8Array(1)],
      signedAt: timestampFromDate(new Date()),
      ...fields,
    });

  it('rejects an approval whose signed_at has sub-millisecond precision', () => {
    expect(() =>
      approvalFromProto(
        approvalMessage({ signedAt: { $typeName: 'google.protobuf.Timestamp', seconds: 1n, nanos: 1 } }),
      ),
    ).toThrow('approval.signed_at: must be a whole number of milliseconds');
  });

  it('refuses an Approve without an approval, and a timestamp without a time, naming the field', () => {
    expect(() => approvalFromProto(undefined)).toThrow(new InvalidArgumentError('approval: required'));
    expect(() => approvalFromProto(undefined, 'contract.approvals[2]')).toThrow(
      new InvalidArgumentError('contract.approvals[2]: required'),
    );
    const untimed = approvalMessage({
      timestamp: { $typeName: 'accord.contracts.v1.ConsentTimestamp', signature: new Uint8Array(64) },
    });
    expect(() => approvalFromProto(untimed)).toThrow(
      new InvalidArgumentError('approval.timestamp.time: required'),
    );
  });
});

describe('contract codec, states and dates', () => {
  it('maps each state both ways and refuses UNSPECIFIED as a state', () => {
    const pairs: [ProtoContractState, 'proposed' | 'active' | 'revoked'][] = [
      [ProtoContractState.PROPOSED, 'proposed'],
      [ProtoContractState.ACTIVE, 'active'],
      [ProtoContractState.REVOKED, 'revoked'],
    ];
    for (const [wire, state] of pairs) {
      expect(stateFromProto(wire)).toBe(state);
      expect(stateToProto(state)).toBe(wire);
    }
    expect(() => stateFromProto(ProtoContractState.UNSPECIFIED)).toThrow(
      new InvalidArgumentError('contract.state: unspecified'),
    );
  });

  it('reads a timestamp of whole milliseconds and refuses a missing or out-of-range one, naming the field', () => {
    const at = new Date('2026-12-06T05:30:00.123Z');
    expect(dateFromProto(timestampFromDate(at), 'signed_at')).toEqual(at);
    expect(() => dateFromProto(undefined, 'signed_at')).toThrow(
      new InvalidArgumentError('signed_at: required'),
    );
    const farFuture = { ...timestampFromDate(at), seconds: 10n ** 15n };
    expect(() => dateFromProto(farFuture, 'signed_at')).toThrow(
      new InvalidArgumentError('signed_at: out of range'),
    );
  });
});

describe('contract codec, revoke requests', () => {
  const revocationOf = (request: RevokeRequest) => {
    if (request.revocation === undefined) throw new Error('the request has no revocation');
    return request.revocation;
  };
  const signed = {
    participant: 'zone-a',
    signature: new Uint8Array([1, 2, 3]),
    certificateChainDer: [new Uint8Array([4, 5])],
    signedAt: new Date('2026-12-06T05:30:00.000Z'),
    timestamp: { time: new Date('2026-12-06T05:30:01.000Z'), signature: new Uint8Array([6]) },
  };

  it('reads back what revokeRequestToProto wrote, the reason from the request or the revocation', () => {
    const request = revokeRequestToProto('c1', 'key compromise', signed);
    expect(revokeRequestFromProto(request)).toEqual({ reason: 'key compromise', signed });
    const inRequestOnly = { ...request, revocation: { ...revocationOf(request), reason: '' } };
    expect(revokeRequestFromProto(inRequestOnly).reason).toBe('key compromise');
    expect(revokeRequestFromProto({ ...request, reason: '' }).reason).toBe('key compromise');
    const untimed = revokeRequestToProto('c1', 'r', { ...signed, timestamp: undefined });
    expect(revokeRequestFromProto(untimed).signed.timestamp).toBeUndefined();
  });

  it.each<[string, (request: RevokeRequest) => RevokeRequest, string]>([
    [
      'no revocation',
      (request) => ({ ...request, revocation: undefined }),
      'revocation: required; a participant signs its revocation',
    ],
    [
      'revoked_by set',
      (request) => ({ ...request, revocation: { ...revocationOf(request), revokedBy: 'zone-a' } }),
      'revocation.revoked_by, revocation.revoked_at: must be empty (the repository sets them)',
    ],
    [
      'revoked_at set',
      (request) => ({
        ...request,
        revocation: { ...revocationOf(request), revokedAt: timestampFromDate(new Date()) },
      }),
      'revocation.revoked_by, revocation.revoked_at: must be empty (the repository sets them)',
    ],
    [
      'two different reasons',
      (request) => ({ ...request, reason: 'other' }),
      'reason: differs from revocation.reason',
    ],
    [
      'no participant',
      (request) => ({ ...request, revocation: { ...revocationOf(request), participant: '' } }),
      'revocation.participant: required',
    ],
    [
      'no signature',
      (request) => ({ ...request, revocation: { ...revocationOf(request), signature: new Uint8Array(0) } }),
      'revocation.signature: required',
    ],
    [
      'no certificate chain',
      (request) => ({ ...request, revocation: { ...revocationOf(request), certificateChain: [] } }),
      'revocation.certificate_chain: required',
    ],
    [
      'no signed_at',
      (request) => ({ ...request, revocation: { ...revocationOf(request), signedAt: undefined } }),
      'revocation.signed_at: required',
    ],
  ])('refuses a revoke request with %s', (_name, change, message) => {
    const request = change(revokeRequestToProto('c1', 'key compromise', signed));
    expect(() => revokeRequestFromProto(request)).toThrow(new InvalidArgumentError(message));
  });
});

// What a contract carries besides its terms and approvals, as providers and accordctl read it from
// the repository (the repository's gRPC service tests exercise the same codec end to end).
describe('contract codec, revocations, root statements, deletions and audit entries', () => {
  const hourMs = 60 * 60 * 1000;
  /** A revoked contract between zone-a and zone-b that carries zone-a's activated rotation and a root revocation. */
  let carried: TrustContract;

  beforeAll(async () => {
    const next = await createTestRoot(zoneA.trustDomain);
    const revoked = await revokedContract(
      await approvedContract('ab', [zoneA, zoneB]),
      zoneA,
      'zone-a leaves',
    );
    const activatedAt = new Date(Math.floor(Date.now()));
    carried = {
      ...revoked,
      rootRotations: [
        {
          announcement: await announceRoot(revoked, zoneA, next, zoneA.admin),
          activation: activateRoot(zoneA, next, 1, activatedAt, hourMs),
          acknowledgements: [
            { trustDomain: zoneB.trustDomain, acknowledgedBy: 'x', acknowledgedAt: activatedAt },
          ],
        },
      ],
      rootRevocations: [revokeRoot(next, 'key compromised')],
    };
  });

  const overTheWire = (message: Contract) => fromBinary(ContractSchema, toBinary(ContractSchema, message));
  const decoded = (contract: TrustContract) => contractFromProto(overTheWire(contractToProto(contract)));

  it('reads back a signed revocation, a root rotation and a root revocation as they were written', () => {
    const contract = decoded(carried);
    expect(contract.state).toBe('revoked');
    expect(contract.revocation).toEqual(carried.revocation);
    expect(contract.revocation?.signed?.participant).toBe('zone-a');
    expect(contract.rootRevocations).toEqual(carried.rootRevocations);
    const [rotation] = contract.rootRotations;
    const [written] = carried.rootRotations;
    expect(rotation?.announcement.rootSha256).toBe(written?.announcement.rootSha256);
    expect(rotation?.announcement.contractId).toBe('ab');
    expect(rotation?.announcement.approverSignature).toEqual(written?.announcement.approverSignature);
    expect(rotation?.activation).toEqual(written?.activation);
    expect(rotation?.acknowledgements).toEqual(written?.acknowledgements);
  });

  it('reads back a revocation stored before revocations were signed, without a signature', () => {
    const revocation = carried.revocation;
    if (revocation === undefined) throw new Error('the contract is not revoked');
    const unsigned = { ...revocation, signed: undefined };
    const message = contractToProto({ ...carried, revocation: unsigned });
    expect(message.revocation?.participant).toBe('');
    expect(message.revocation?.signature).toHaveLength(0);
    expect(contractFromProto(overTheWire(message)).revocation).toEqual(unsigned);
  });

  it('writes no revocation for a contract that has none', () => {
    const message = contractToProto({ ...carried, state: 'active', revocation: undefined });
    expect(message.revocation).toBeUndefined();
    expect(contractFromProto(overTheWire(message)).revocation).toBeUndefined();
  });

  type Change = (message: Contract) => Contract;
  const withRevocation =
    (fields: Record<string, unknown>): Change =>
    (message) => {
      if (message.revocation === undefined) throw new Error('no revocation');
      return { ...message, revocation: { ...message.revocation, ...fields } };
    };
  const withApproval =
    (index: number, fields: Record<string, unknown>): Change =>
    (message) => ({
      ...message,
      approvals: message.approvals.map((approval, at) =>
        at === index ? { ...approval, ...fields } : approval,
      ),
    });

  it.each<[string, Change, string | RegExp]>([
    ['no created_at', (message) => ({ ...message, createdAt: undefined }), 'contract.created_at: required'],
    [
      'a participant whose name is not a DNS label',
      (message) => ({
        ...message,
        participants: message.participants.map((participant, index) =>
          index === 1 ? { ...participant, name: 'Zone B' } : participant,
        ),
      }),
      /^contract\.participants\[1\]\.name: "Zone B" is not a DNS label/,
    ],
    [
      'an approval without a participant',
      withApproval(1, { participant: '' }),
      'contract.approvals[1].participant: required',
    ],
    [
      'an approval timestamp without a time',
      withApproval(0, {
        timestamp: { $typeName: 'accord.contracts.v1.ConsentTimestamp', signature: new Uint8Array(64) },
      }),
      'contract.approvals[0].timestamp.time: required',
    ],
    [
      'a revocation without revoked_at',
      withRevocation({ revokedAt: undefined }),
      'contract.revocation.revoked_at: required',
    ],
    [
      'a revocation naming its participant without a signature',
      withRevocation({ signature: new Uint8Array(0) }),
      'contract.revocation.signature: required',
    ],
    [
      'a revocation signature without its participant',
      withRevocation({ participant: '' }),
      'contract.revocation.participant: required',
    ],
    [
      'a root rotation without its announcement',
      (message) =>
        ({
          ...message,
          rootRotations: [{ ...message.rootRotations[0], announcement: undefined }],
        }) as Contract,
      'contract.root_rotations[0].announcement: required',
    ],
    [
      'a root revocation without a signature',
      (message) =>
        ({
          ...message,
          rootRevocations: [{ ...message.rootRevocations[0], signature: new Uint8Array(0) }],
        }) as Contract,
      /^contract\.root_revocations\[0\]\.signature: /,
    ],
  ])('refuses a contract with %s, naming the field', (_name, change, message) => {
    const malformed = change(contractToProto(carried));
    expect(() => contractFromProto(malformed)).toThrow(InvalidArgumentError);
    expect(() => contractFromProto(malformed)).toThrow(
      typeof message === 'string' ? new InvalidArgumentError(message) : message,
    );
  });

  it('refuses more root statements than any contract may before decoding any, and decodes up to the limit', () => {
    const message = contractToProto({ ...carried, rootRotations: [], rootRevocations: [] });
    const rotations = (count: number) => Array.from({ length: count }, () => create(RootRotationSchema));
    const revocations = (count: number) => Array.from({ length: count }, () => create(RootRevocationSchema));
    const tooMany = new InvalidArgumentError('contract: carries more root statements than any contract may');
    expect(() => contractFromProto({ ...message, rootRotations: rotations(257) })).toThrow(tooMany);
    expect(() => contractFromProto({ ...message, rootRevocations: revocations(257) })).toThrow(tooMany);
    // At the limit each statement is decoded, and the first empty one is refused for itself.
    expect(() => contractFromProto({ ...message, rootRotations: rotations(256) })).toThrow(
      new InvalidArgumentError('contract.root_rotations[0].announcement: required'),
    );
    expect(() => contractFromProto({ ...message, rootRevocations: revocations(256) })).toThrow(
      /^contract\.root_revocations\[0\]\./,
    );
  });

  it('encodes a deleted contract as its terms and revision only, and decodes the terms a provider remembers', () => {
    const message = overTheWire(deletedContractToProto(carried));
    expect(message).toMatchObject({
      id: 'ab',
      state: ProtoContractState.UNSPECIFIED,
      approvals: [],
      revision: BigInt(carried.revision),
      rootRotations: [],
    });
    expect(message.revocation).toBeUndefined();
    const terms = deletedContractTermsFromProto(message);
    expect(terms?.id).toBe('ab');
    expect(terms?.createdAt).toEqual(carried.createdAt);
    expect(terms?.participants.map((participant) => [participant.name, participant.rootSha256])).toEqual([
      ['zone-a', zoneA.rootSha256],
      ['zone-b', zoneB.rootSha256],
    ]);
  });

  it('decodes the terms of a malformed deletion as none, so it still counts as a deletion of its id', () => {
    const message = deletedContractToProto(carried);
    expect(deletedContractTermsFromProto({ ...message, createdAt: undefined })).toBeUndefined();
    expect(
      deletedContractTermsFromProto({
        ...message,
        participants: message.participants.map((participant) => ({ ...participant, hash: '' })),
      }),
    ).toBeUndefined();
  });

  it('round-trips an audit entry', () => {
    const entry = {
      sequence: 42,
      record: new TextEncoder().encode('{"sequence":42}'),
      previousHash: new Uint8Array(32).fill(1),
      hash: new Uint8Array(32).fill(2),
    };
    const message = auditEntryToProto(entry);
    expect(message.sequence).toBe(42n);
    expect(auditEntryFromProto(fromBinary(AuditEntrySchema, toBinary(AuditEntrySchema, message)))).toEqual(
      entry,
    );
  });
});
