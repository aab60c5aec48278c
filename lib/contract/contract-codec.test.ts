import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  ContractSchema,
  ContractState as ProtoContractState,
  type RevokeRequest,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { signApproval } from './approval-signature.js';
import { isTrustEstablished } from './contract-approvals.js';
import {
  approvalFromProto,
  contractFromProto,
  contractToProto,
  dateFromProto,
  proposalFromProto,
  revokeRequestFromProto,
  revokeRequestToProto,
  stateFromProto,
  stateToProto,
} from './contract-codec.js';
import { createTestZone, type TestZone } from '../../test/support/test-zone.js';
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
  ];

  it.each(forbiddenFields)('rejects a proposal that sets $field', ({ field, init }) => {
    const message = create(ContractSchema, { id: 'ab', ...init });
    expect(() => proposalFromProto(message)).toThrow(InvalidArgumentError);
    expect(() => proposalFromProto(message)).toThrow(`contract.${field}: must be empty in a proposal`);
  });

  it('reads id and participants of a well-formed proposal', () => {
    const message = create(ContractSchema, {
      id: 'ab',
      participants: [zoneA.participant, zoneB.participant].map((participant) => ({ ...participant })),
    });
    expect(validateProposal(proposalFromProto(message)).participants).toHaveLength(2);
  });

  it('rejects an approval whose signed_at has sub-millisecond precision', () => {
    expect(() =>
      approvalFromProto({
        $typeName: 'accord.contracts.v1.Approval',
        participant: 'zone-a',
        signature: new Uint8Array(64),
        certificateChain: [new Uint8Array(1)],
        signedAt: { $typeName: 'google.protobuf.Timestamp', seconds: 1n, nanos: 1 },
      }),
    ).toThrow('approval.signed_at: must be a whole number of milliseconds');
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
