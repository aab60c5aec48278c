import { contractFromProto } from '../lib/contract/contract-codec.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import type { GrpcClient } from '../lib/grpc/grpc-client.js';
import type { Contract, ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import type { ContractSource, ContractStreamItem, ReceivedContract } from './contract-source.js';

/**
 * The repository's Watch stream as a `ContractSource`: the only place where the provider sees
 * protobuf. A contract that does not decode becomes a `malformed` entry (reported, never trusted)
 * instead of breaking the stream for every other contract.
 */
export class RepositoryContractSource implements ContractSource {
  readonly #client: GrpcClient<typeof ContractService>;

  constructor(client: GrpcClient<typeof ContractService>) {
    this.#client = client;
  }

  async *watch(resumeToken: string | undefined, signal: AbortSignal): AsyncIterable<ContractStreamItem> {
    const responses = this.#client.watch({ resumeToken: resumeToken ?? '' }, { signal });
    for await (const response of responses) {
      const event = response.event;
      switch (event.case) {
        case 'snapshot':
          yield {
            event: { kind: 'snapshot', contracts: event.value.contracts.map(receive) },
            resumeToken: response.resumeToken,
          };
          break;
        case 'change': {
          const contract = event.value.contract;
          if (contract === undefined) break;
          yield {
            event: event.value.deleted
              ? { kind: 'deleted', id: contract.id }
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
}

function receive(message: Contract): ReceivedContract {
  try {
    return { id: message.id, contract: contractFromProto(message) };
  } catch (error) {
    return { id: message.id, malformed: errorMessage(error) };
  }
}
