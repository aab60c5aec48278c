import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  ContractSchema,
  ContractState as ProtoContractState,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { signApproval } from './approval-signature.js';
import { isTrustEstablished } from './contract-approvals.js';
import {
  approvalFromProto,
  contractFromProto,
  contractToProto,
  proposalFromProto,
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
