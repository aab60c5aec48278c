import { contractFromProto } from '../lib/contract/contract-codec.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import type { GrpcClient } from '../lib/grpc/grpc-client.js';
import type { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import type { TestZone } from '../test/support/test-zone.js';

/** Proposes a contract among the given test zones, as the benchmarks' administrators do before timing anything. */
export async function proposeContract(
  client: GrpcClient<typeof ContractService>,
  id: string,
  participants: readonly TestZone[],
): Promise<TrustContract> {
  const response = await client.create({
    contract: { id, participants: participants.map((zone) => ({ ...zone.participant })) },
  });
  if (response.contract === undefined) throw new Error(`Create ${id} returned no contract`);
  return contractFromProto(response.contract);
}
