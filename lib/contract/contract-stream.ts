import { contractFromProto, deletedContractTermsFromProto } from './contract-codec.js';
import type { ContractTerms, TrustContract } from './trust-contract.js';
import { UnavailableError, errorMessage } from '../errors/accord-error.js';
import { ParticipantCache } from './validate-proposal.js';
import type { Contract, WatchResponse } from '../../proto/gen/accord/contracts/v1/contracts_pb.js';

/**
 * A contract as received: decoded, or the reason it could not be. A malformed contract is kept as
 * such (not dropped silently) so a reader can report it and never trust it.
 */
export type ReceivedContract =
  | { readonly id: string; readonly contract: TrustContract }
  | { readonly id: string; readonly malformed: string };

/** One event of the repository's Watch stream, decoded into domain types. */
export type ContractEvent =
  | { readonly kind: 'snapshot'; readonly contracts: readonly ReceivedContract[] }
  | { readonly kind: 'change'; readonly contract: ReceivedContract }
  | {
      readonly kind: 'deleted';
      readonly id: string;
      /** The deleted contract's terms as the repository sent them; undefined when they do not decode. */
      readonly terms: ContractTerms | undefined;
    };

export interface ContractStreamItem {
  readonly event: ContractEvent;
  /** Pass back to `watch` to resume after this event. */
  readonly resumeToken: string;
}

/**
 * Decodes the repository's Watch responses, the one decoding the provider and accordctl share. A
 * contract that does not decode becomes a `malformed` entry instead of breaking the stream for
 * every other contract; a response without an event is skipped. A snapshot sent in parts
 * (`Snapshot.has_more`) is handed over as one snapshot once its last part arrived, with that
 * part's resume token: a stream that breaks mid-snapshot is resumed from the token before it (or
 * started again), never left with half a view. Each participant is validated once per stream.
 */
export async function* decodeContractStream(
  responses: AsyncIterable<WatchResponse>,
): AsyncGenerator<ContractStreamItem> {
  const participants = new ParticipantCache();
  const receive = (message: Contract): ReceivedContract => {
    try {
      return { id: message.id, contract: contractFromProto(message, participants) };
    } catch (error) {
      return { id: message.id, malformed: errorMessage(error) };
    }
  };
  /** The parts of a snapshot received so far. */
  let parts: ReceivedContract[] | undefined;
  for await (const response of responses) {
    const event = response.event;
    switch (event.case) {
      case 'snapshot': {
        const { contracts, hasMore, isContinuation } = event.value;
        if (isContinuation && parts === undefined)
          throw new UnavailableError('the repository continued a snapshot this stream never began');
        const received = isContinuation && parts !== undefined ? parts : [];
        for (const contract of contracts) received.push(receive(contract));
        parts = hasMore ? received : undefined;
        if (!hasMore)
          yield { event: { kind: 'snapshot', contracts: received }, resumeToken: response.resumeToken };
        break;
      }
      case 'change': {
        const contract = event.value.contract;
        if (contract === undefined) break;
        if (parts !== undefined)
          throw new UnavailableError('the repository sent a change in the middle of a snapshot');
        yield {
          event: event.value.deleted
            ? {
                kind: 'deleted',
                id: contract.id,
                terms: deletedContractTermsFromProto(contract, participants),
              }
            : { kind: 'change', contract: receive(contract) },
          resumeToken: response.resumeToken,
        };
        break;
      }
      case undefined:
        break;
    }
  }
}
