import { Readable } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import {
  ContractSchema,
  WatchResponseSchema,
  type WatchResponse,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { proposedContract } from '../../test/support/test-contracts.js';
import { createTestZone } from '../../test/support/test-zone.js';
import { UnavailableError } from '../errors/accord-error.js';
import { contractToProto } from './contract-codec.js';
import { decodeContractStream, type ContractStreamItem, type ReceivedContract } from './contract-stream.js';

async function decoded(responses: WatchResponse[]): Promise<ContractStreamItem[]> {
  const items: ContractStreamItem[] = [];
  for await (const item of decodeContractStream(Readable.from(responses))) items.push(item);
  return items;
}

describe('decodeContractStream', () => {
  it('decodes a snapshot, a change and a deletion with their resume tokens, and skips an empty event', async () => {
    const zones = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
    const contract = proposedContract('ab', zones);
    const message = contractToProto(contract);
    const items = await decoded([
      create(WatchResponseSchema, {
        event: { case: 'snapshot', value: { contracts: [message] } },
        resumeToken: '1',
      }),
      create(WatchResponseSchema, { resumeToken: '2' }),
      create(WatchResponseSchema, {
        event: { case: 'change', value: { contract: message } },
        resumeToken: '3',
      }),
      create(WatchResponseSchema, {
        event: { case: 'change', value: { contract: { id: 'ab' }, deleted: true } },
        resumeToken: '4',
      }),
    ]);
    // Decoded contracts hold X509Certificate objects: compare what identifies them.
    const summary = (received: ReceivedContract) =>
      'contract' in received
        ? {
            id: received.id,
            revision: received.contract.revision,
            roots: received.contract.participants.map((p) => p.rootSha256),
          }
        : received;
    const expected = { id: 'ab', revision: 1, roots: zones.map((zone) => zone.rootSha256) };
    expect(
      items.map(({ event, resumeToken }) => {
        switch (event.kind) {
          case 'snapshot':
            return { kind: event.kind, contracts: event.contracts.map(summary), resumeToken };
          case 'change':
            return { kind: event.kind, contract: summary(event.contract), resumeToken };
          case 'deleted':
            return { ...event, resumeToken };
        }
      }),
    ).toEqual([
      { kind: 'snapshot', contracts: [expected], resumeToken: '1' },
      { kind: 'change', contract: expected, resumeToken: '3' },
      { kind: 'deleted', id: 'ab', resumeToken: '4' },
    ]);
  });

  it('skips a change that carries no contract, and the stream goes on', async () => {
    const items = await decoded([
      create(WatchResponseSchema, { event: { case: 'change', value: {} }, resumeToken: '1' }),
      create(WatchResponseSchema, {
        event: { case: 'change', value: { contract: { id: 'gone' }, deleted: true } },
        resumeToken: '2',
      }),
    ]);
    expect(items.map(({ event, resumeToken }) => ({ kind: event.kind, resumeToken }))).toEqual([
      { kind: 'deleted', resumeToken: '2' },
    ]);
  });

  it('keeps a contract that does not decode as malformed with the reason, and the stream going', async () => {
    const broken = create(ContractSchema, { id: 'broken', participants: [{ name: 'zone-a' }] });
    const items = await decoded([
      create(WatchResponseSchema, {
        event: { case: 'change', value: { contract: broken } },
        resumeToken: '1',
      }),
    ]);
    expect(items).toEqual([
      {
        event: { kind: 'change', contract: { id: 'broken', malformed: expect.any(String) as string } },
        resumeToken: '1',
      },
    ]);
  });

  describe('a snapshot in parts', () => {
    const part = (ids: string[], resumeToken: string, hasMore: boolean, isContinuation: boolean) =>
      create(WatchResponseSchema, {
        event: {
          case: 'snapshot',
          value: { contracts: ids.map((id) => create(ContractSchema, { id })), hasMore, isContinuation },
        },
        resumeToken,
      });
    const idsOf = (item: ContractStreamItem | undefined) =>
      item?.event.kind === 'snapshot' ? item.event.contracts.map((contract) => contract.id) : [];

    it('hands over one snapshot with every part, once the last arrived, with its token', async () => {
      const items = await decoded([
        part(['a', 'b'], '9.b', true, false),
        part(['c'], '9.c', true, true),
        part(['d'], '9', false, true),
      ]);
      expect(items).toHaveLength(1);
      expect(idsOf(items[0])).toEqual(['a', 'b', 'c', 'd']);
      expect(items[0]?.resumeToken).toBe('9');
    });

    it('starts over when a new snapshot begins before the last part', async () => {
      const items = await decoded([part(['a'], '9.a', true, false), part(['x'], '10', false, false)]);
      expect(items.map(idsOf)).toEqual([['x']]);
    });

    it.each([
      [
        'a continuation of a snapshot it never began',
        [part(['c'], '9', false, true)],
        'the repository continued a snapshot this stream never began',
      ],
      [
        'a change in the middle of a snapshot',
        [
          part(['a'], '9.a', true, false),
          create(WatchResponseSchema, {
            event: { case: 'change', value: { contract: { id: 'a' } } },
            resumeToken: '10',
          }),
        ],
        'the repository sent a change in the middle of a snapshot',
      ],
    ])('ends the stream with UNAVAILABLE at %s', async (_name, responses, message) => {
      await expect(decoded(responses)).rejects.toThrow(new UnavailableError(message));
    });
  });
});
