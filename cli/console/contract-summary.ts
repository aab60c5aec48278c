import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { contractView, isAwaitingApprovalOf } from '../contract-view.js';
import type { ContractSummary } from './console-api.js';

/**
 * A contract as the console sends it to browsers: accordctl's `contractView` (approvals verified
 * here) and whether it waits for this zone's approval, as `contracts list --pending` decides.
 */
export function contractSummary(contract: TrustContract, selfTrustDomain: string): ContractSummary {
  const view = contractView(contract);
  return { ...view, awaitsYourApproval: isAwaitingApprovalOf(view, selfTrustDomain) };
}
