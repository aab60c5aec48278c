import { signApproval } from '../lib/contract/approval-signature.js';
import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';
import { participantOfTrustDomain, type TrustContract } from '../lib/contract/trust-contract.js';
import { FailedPreconditionError } from '../lib/errors/accord-error.js';
import type { Clock } from '../lib/time/clock.js';
import type { CallerSigner } from './caller-identity.js';

/** What an approval did: the contract as the repository returned it, and as whom it was approved. */
export interface ApprovalOutcome {
  contract: TrustContract;
  participant: string;
  trustDomain: string;
}

/**
 * Approves `contract` as the zone of the caller's certificate: the participant is the one whose
 * trust domain the SVID belongs to, and the approval is signed with its key over the canonical
 * bytes (the participants and their root fingerprints), then sent with the certificate chain.
 */
export async function approveContract(
  repository: ContractRepositoryClient,
  signer: CallerSigner,
  contract: TrustContract,
  clock: Clock,
): Promise<ApprovalOutcome> {
  const { trustDomain } = signer.spiffeId;
  const participant = participantOfTrustDomain(contract, trustDomain);
  if (participant === undefined) {
    throw new FailedPreconditionError(
      `your certificate belongs to ${trustDomain}, which is not a participant of contract ${contract.id}`,
    );
  }
  const approval = await signApproval(
    contract,
    participant.name,
    { privateKey: signer.privateKey, certificateChainDer: signer.chainDer },
    clock.now(),
  );
  return {
    contract: await repository.approve(contract.id, approval),
    participant: participant.name,
    trustDomain,
  };
}
