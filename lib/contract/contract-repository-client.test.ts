import { Readable } from 'node:stream';
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  AcknowledgeRootRequestSchema,
  ActivateRootRequestSchema,
  AnnounceRootRequestSchema,
  ApproveRequestSchema,
  AuditLogRequestSchema,
  ContractSchema,
  ContractService,
  ContractState as ProtoContractState,
  CreateRequestSchema,
  DeleteRequestSchema,
  GetRequestSchema,
  ListRequestSchema,
  ListResponseSchema,
  RevokeRootRequestSchema,
  WatchRequestSchema,
  type Contract,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { approvedContract, proposedContract, revocationBy } from '../../test/support/test-contracts.js';
import { activateRoot, announceRoot, revokeRoot } from '../../test/support/test-root-rotation.js';
import {
  createTestRoot,
  createTestZone,
  type TestRoot,
  type TestZone,
} from '../../test/support/test-zone.js';
import type { CallOptions, GrpcClient } from '../grpc/grpc-client.js';
import { toWireStatus } from '../grpc/grpc-status.js';
import { signApproval } from './approval-signature.js';
import {
  approvalToProto,
  auditEntryToProto,
  contractToProto,
  revokeRequestToProto,
} from './contract-codec.js';
import { contractRepositoryOverGrpc, type ContractRepositoryClient } from './contract-repository-client.js';
import type { ContractStreamItem } from './contract-stream.js';
import {
  rootActivationToProto,
  rootAnnouncementToProto,
  rootRevocationToProto,
} from './root-rotation-codec.js';
import type { TrustContract } from './trust-contract.js';

// The adapter between the repository's gRPC API and the domain types accordctl, the operator and
// the provider use. Its calls against the real repository server run in the loopback and e2e
// tests; here a FAKE gRPC client (no network: it records each request as protobuf binary would
// carry it, and answers from a script) pins what each method sends and how it reads the answer,
// so that every field of every request is checked in-process.

type Methods = (typeof ContractService)['method'];
type MethodName = keyof Methods;

/** How the fake answers one method: a unary response, or a stream's responses. */
type Answer<M extends Methods[MethodName]> = (
  request: MessageShape<M['input']>,
) => M['methodKind'] extends 'server_streaming'
  ? MessageInitShape<M['output']>[]
  : MessageInitShape<M['output']>;

type Answers = { [K in MethodName]?: Answer<Methods[K]> };

interface RecordedCall {
  method: MethodName;
  /** The request as the server would decode it. */
  request: unknown;
  options: CallOptions | undefined;
}

interface FakeRepository {
  repository: ContractRepositoryClient;
  calls: RecordedCall[];
  closes: () => number;
}

/** `message` as the other end decodes it. */
function overTheWire<Desc extends DescMessage>(
  schema: Desc,
  message: MessageInitShape<Desc>,
): MessageShape<Desc> {
  return fromBinary(schema, toBinary(schema, create(schema, message)));
}

/** `contractRepositoryOverGrpc` over a fake client that answers with `answers` and records every call. */
function fakeRepository(answers: Answers): FakeRepository {
  const calls: RecordedCall[] = [];
  let closes = 0;
  const methods: Record<string, unknown> = {
    close: () => {
      closes += 1;
    },
  };
  for (const method of ContractService.methods) {
    const name = method.localName as MethodName;
    const respond = (request: MessageInitShape<DescMessage>, options: CallOptions | undefined): unknown => {
      const sent = overTheWire(method.input, request);
      calls.push({ method: name, request: sent, options });
      const answer = answers[name] as ((request: unknown) => unknown) | undefined;
      if (answer === undefined) throw new Error(`the fake repository has no answer for ${name}`);
      return answer(sent);
    };
    methods[name] =
      method.methodKind === 'server_streaming'
        ? (request: MessageInitShape<DescMessage>, options?: CallOptions) => {
            const responses = respond(request, options) as MessageInitShape<DescMessage>[];
            return Readable.from(responses.map((response) => overTheWire(method.output, response)));
          }
        : (request: MessageInitShape<DescMessage>, options?: CallOptions) =>
            // A failure of the call rejects, as the real client's does, rather than throwing.
            Promise.resolve().then(() =>
              overTheWire(method.output, respond(request, options) as MessageInitShape<DescMessage>),
            );
  }
  return {
    repository: contractRepositoryOverGrpc(methods as GrpcClient<typeof ContractService>),
    calls,
    closes: () => closes,
  };
}

/** The status a client call's failure carries, as a server would answer it. */
async function refusal(call: Promise<unknown>): Promise<ReturnType<typeof toWireStatus>> {
  try {
    await call;
  } catch (error) {
    return toWireStatus(error);
  }
  throw new Error('the call succeeded');
}

const withoutContract = {
  code: GrpcStatus.INVALID_ARGUMENT,
  details: 'the repository answered without a contract',
  isInternal: false,
};

let a: TestZone;
let b: TestZone;
let c: TestZone;
let a1: TestRoot;
let ab: TrustContract;
let ac: TrustContract;
let abProto: Contract;

beforeAll(async () => {
  [a, b, c, a1] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
    createTestRoot('zone-a.example'),
  ]);
  ab = await approvedContract('ab', [a, b]);
  ac = proposedContract('ac', [a, c]);
  abProto = contractToProto(ab);
});

describe('contractRepositoryOverGrpc', () => {
  /**
   * List's answers, one per page token. A token asked twice or never given out fails the call:
   * a paging loop that does not end would otherwise starve the test of the event loop.
   */
  function pages(
    answers: Record<string, MessageInitShape<typeof ListResponseSchema>>,
  ): Answer<Methods['list']> {
    const asked = new Set<string>();
    return (request) => {
      const answer = answers[request.pageToken];
      if (answer === undefined || asked.has(request.pageToken)) {
        throw new Error(`page token ${JSON.stringify(request.pageToken)} not given out or asked twice`);
      }
      asked.add(request.pageToken);
      return answer;
    };
  }

  it('lists every page, following the page token until the repository sends none', async () => {
    const { repository, calls } = fakeRepository({
      list: pages({
        '': { contracts: [abProto], nextPageToken: 'after-ab' },
        'after-ab': { contracts: [], nextPageToken: 'after-nothing' },
        'after-nothing': { contracts: [contractToProto(ac)] },
      }),
    });
    const contracts = await repository.list(undefined);
    expect(contracts.map(contractToProto)).toEqual([abProto, contractToProto(ac)]);
    expect(calls).toEqual(
      ['', 'after-ab', 'after-nothing'].map((pageToken) => ({
        method: 'list',
        request: create(ListRequestSchema, {
          state: ProtoContractState.UNSPECIFIED,
          pageSize: 500,
          pageToken,
        }),
        options: undefined,
      })),
    );
  });

  it('lists the contracts of one state by asking the repository for that state', async () => {
    const { repository, calls } = fakeRepository({ list: pages({ '': { contracts: [abProto] } }) });
    expect((await repository.list('active')).map((contract) => contract.id)).toEqual(['ab']);
    expect(calls.map((call) => call.request)).toEqual([
      create(ListRequestSchema, { state: ProtoContractState.ACTIVE, pageSize: 500, pageToken: '' }),
    ]);
  });

  it('gets one contract by id, decoded whole', async () => {
    const { repository, calls } = fakeRepository({ get: () => ({ contract: abProto }) });
    expect(contractToProto(await repository.get('ab'))).toEqual(abProto);
    expect(calls.map((call) => call.request)).toEqual([create(GetRequestSchema, { id: 'ab' })]);
  });

  it('proposes a contract with its id and each participant as given, and decodes the answer', async () => {
    const { repository, calls } = fakeRepository({ create: () => ({ contract: contractToProto(ac) }) });
    const created = await repository.create({ id: 'ac', participants: [a.participant, c.participant] });
    expect(contractToProto(created)).toEqual(contractToProto(ac));
    expect(calls.map((call) => call.request)).toEqual([
      create(CreateRequestSchema, {
        contract: create(ContractSchema, {
          id: 'ac',
          participants: [a, c].map((zone) => ({
            name: zone.name,
            trustDomain: zone.trustDomain,
            publicKey: zone.rootPem,
            hash: zone.rootSha256,
          })),
        }),
      }),
    ]);
  });

  it('deletes by id and answers nothing', async () => {
    const { repository, calls } = fakeRepository({ delete: () => ({}) });
    await expect(repository.delete('ab')).resolves.toBeUndefined();
    expect(calls.map((call) => call.request)).toEqual([create(DeleteRequestSchema, { id: 'ab' })]);
  });

  it("sends a participant's approval as signed and decodes the approved contract", async () => {
    const proposed = proposedContract('ab', [a, b]);
    const approval = await signApproval(proposed, 'zone-a', a.admin.signer, new Date());
    const { repository, calls } = fakeRepository({ approve: () => ({ contract: abProto }) });
    expect(contractToProto(await repository.approve('ab', approval))).toEqual(abProto);
    expect(calls.map((call) => call.request)).toEqual([
      create(ApproveRequestSchema, { id: 'ab', approval: approvalToProto(approval) }),
    ]);
  });

  it("sends a revocation with its reason and the zone's signature", async () => {
    const signed = await revocationBy(ab, a, 'zone-a leaves');
    const { repository, calls } = fakeRepository({ revoke: () => ({ contract: abProto }) });
    expect(contractToProto(await repository.revoke('ab', 'zone-a leaves', signed))).toEqual(abProto);
    expect(calls.map((call) => call.request)).toEqual([revokeRequestToProto('ab', 'zone-a leaves', signed)]);
  });

  it('reads one page of the audit log with the head the repository reported', async () => {
    const entries = [1, 2].map((sequence) => ({
      sequence,
      record: new TextEncoder().encode(`{"sequence":${sequence}}`),
      previousHash: new Uint8Array(32).fill(sequence - 1),
      hash: new Uint8Array(32).fill(sequence),
    }));
    const headHash = new Uint8Array(32).fill(9);
    const { repository, calls } = fakeRepository({
      auditLog: () => ({ entries: entries.map(auditEntryToProto), headSequence: 9n, headHash }),
    });
    expect(await repository.auditLog(1, 2)).toEqual({ entries, headSequence: 9, headHash });
    expect(calls.map((call) => call.request)).toEqual([
      create(AuditLogRequestSchema, { startSequence: 1n, pageSize: 2 }),
    ]);
  });

  it('sends root statements as signed and decodes the contract that carries them', async () => {
    const announcement = await announceRoot(ab, a, a1, a.admin);
    const activation = activateRoot(a, a1, 1, new Date(Math.floor(Date.now())), 60_000);
    const revocation = revokeRoot(a1, 'cancelled');
    const { repository, calls } = fakeRepository({
      announceRoot: () => ({ contract: abProto }),
      activateRoot: () => ({ contract: abProto }),
      acknowledgeRoot: () => ({ contract: abProto }),
      revokeRoot: () => ({ contract: abProto }),
    });
    const answers = [
      await repository.announceRoot('ab', announcement),
      await repository.activateRoot('ab', activation),
      await repository.acknowledgeRoot('ab', 'zone-a.example', a1.rootSha256),
      await repository.revokeRoot('ab', revocation),
    ];
    expect(answers.map(contractToProto)).toEqual([abProto, abProto, abProto, abProto]);
    expect(calls.map(({ method, request }) => ({ method, request }))).toEqual([
      {
        method: 'announceRoot',
        request: create(AnnounceRootRequestSchema, {
          id: 'ab',
          announcement: rootAnnouncementToProto(announcement),
        }),
      },
      {
        method: 'activateRoot',
        request: create(ActivateRootRequestSchema, {
          id: 'ab',
          activation: rootActivationToProto(activation),
        }),
      },
      {
        method: 'acknowledgeRoot',
        request: create(AcknowledgeRootRequestSchema, {
          id: 'ab',
          trustDomain: 'zone-a.example',
          rootSha256: a1.rootSha256,
        }),
      },
      {
        method: 'revokeRoot',
        request: create(RevokeRootRequestSchema, { id: 'ab', revocation: rootRevocationToProto(revocation) }),
      },
    ]);
  });

  it('refuses every answer that carries no contract, with INVALID_ARGUMENT', async () => {
    const { repository } = fakeRepository({
      get: () => ({}),
      create: () => ({}),
      approve: () => ({}),
      revoke: () => ({}),
      announceRoot: () => ({}),
      activateRoot: () => ({}),
      acknowledgeRoot: () => ({}),
      revokeRoot: () => ({}),
    });
    const approval = await signApproval(proposedContract('ab', [a, b]), 'zone-a', a.admin.signer, new Date());
    const signed = await revocationBy(ab, a, 'zone-a leaves');
    const statuses = await Promise.all([
      refusal(repository.get('ab')),
      refusal(repository.create({ id: 'ab', participants: [a.participant, b.participant] })),
      refusal(repository.approve('ab', approval)),
      refusal(repository.revoke('ab', 'zone-a leaves', signed)),
      refusal(repository.announceRoot('ab', await announceRoot(ab, a, a1, a.admin))),
      refusal(repository.activateRoot('ab', activateRoot(a, a1, 1, new Date(), 60_000))),
      refusal(repository.acknowledgeRoot('ab', 'zone-a.example', a1.rootSha256)),
      refusal(repository.revokeRoot('ab', revokeRoot(a1, 'cancelled'))),
    ]);
    expect(statuses).toEqual(Array.from({ length: 8 }, () => withoutContract));
  });

  it('watches from the start with the snapshot in parts, passing the abort signal on', async () => {
    const { repository, calls } = fakeRepository({
      watch: () => [
        { event: { case: 'snapshot', value: { contracts: [abProto] } }, resumeToken: '1' },
        { event: { case: 'change', value: { contract: { id: 'ab' }, deleted: true } }, resumeToken: '2' },
      ],
    });
    const signal = new AbortController().signal;
    const items: ContractStreamItem[] = [];
    for await (const item of repository.watch(undefined, signal)) items.push(item);
    expect(
      items.map(({ event, resumeToken }) =>
        event.kind === 'snapshot'
          ? { kind: event.kind, ids: event.contracts.map((received) => received.id), resumeToken }
          : { ...event, resumeToken },
      ),
    ).toEqual([
      { kind: 'snapshot', ids: ['ab'], resumeToken: '1' },
      { kind: 'deleted', id: 'ab', resumeToken: '2' },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.request).toEqual(create(WatchRequestSchema, { resumeToken: '', snapshotInParts: true }));
    expect(calls[0]?.options?.signal).toBe(signal);
  });

  it('resumes a watch from the token it is given', async () => {
    const { repository, calls } = fakeRepository({ watch: () => [] });
    const items: ContractStreamItem[] = [];
    for await (const item of repository.watch('41', new AbortController().signal)) items.push(item);
    expect(items).toEqual([]);
    expect(calls.map((call) => call.request)).toEqual([
      create(WatchRequestSchema, { resumeToken: '41', snapshotInParts: true }),
    ]);
  });

  it('closes the gRPC client', () => {
    const { repository, closes, calls } = fakeRepository({});
    repository.close();
    expect(closes()).toBe(1);
    expect(calls).toEqual([]);
  });
});
