import { signApproval } from '../lib/contract/approval-signature.js';
import { signRevocation } from '../lib/contract/revocation-signature.js';
import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import type { Clock } from '../lib/time/clock.js';
import { callerParticipant, type CallerConsentSigner } from './consent-signer.js';

/** What an approval or revocation did: the contract as the repository returned it, and as whom. */
export interface ConsentOutcome {
  contract: TrustContract;
  participant: string;
  trustDomain: string;
}

/**
 * Approves `contract` as the zone of the caller's certificate: the participant is the one whose
 * trust domain the SVID belongs to, and the approval is signed with its key over the canonical
 * bytes (the participants and their root fingerprints), timestamped by the zone PKI, then sent
 * with the certificate chain.
 */
export async function approveContract(
  repository: ContractRepositoryClient,
  signer: CallerConsentSigner,
  contract: TrustContract,
  clock: Clock,
): Promise<ConsentOutcome> {
  const participant = callerParticipant(contract, signer);
  const approval = await signApproval(contract, participant.name, signer, clock.now());
  return {
    contract: await repository.approve(contract.id, approval),
    participant: participant.name,
    trustDomain: participant.trustDomain,
  };
}

/**
 * Revokes `contract` as the zone of the caller's certificate, with that participant's signed
 * revocation over the canonical revocation bytes (reason included), timestamped by the zone PKI.
 */
export async function revokeContract(
  repository: ContractRepositoryClient,
  signer: CallerConsentSigner,
  contract: TrustContract,
  reason: string,
  clock: Clock,
): Promise<ConsentOutcome> {
  const participant = callerParticipant(contract, signer);
  const signed = await signRevocation(contract, participant.name, reason, signer, clock.now());
  return {
    contract: await repository.revoke(contract.id, reason, signed),
    participant: participant.name,
    trustDomain: participant.trustDomain,
  };
}
