import { webcrypto } from 'node:crypto';
import { signApproval } from '../../lib/contract/approval-signature.js';
import { canonicalApprovalBytes } from '../../lib/contract/canonical-approval.js';
import type {
  ContractApproval,
  ContractParticipant,
  ContractTerms,
  TrustContract,
} from '../../lib/contract/trust-contract.js';
import type { TestSvid, TestZone } from './test-zone.js';

/** The zone as a contract participant. */
export function participantOf(zone: TestZone): ContractParticipant {
  return {
    name: zone.name,
    trustDomain: zone.trustDomain,
    rootPem: zone.rootPem,
    rootSha256: zone.rootSha256,
    root: zone.root,
  };
}

/** A proposed contract between `zones`, revision 1. */
export function proposedContract(
  id: string,
  zones: readonly TestZone[],
  createdAt = new Date(),
): TrustContract {
  return {
    id,
    participants: zones.map(participantOf),
    state: 'proposed',
    approvals: [],
    proposedBy: 'spiffe://hub.example/accord/admin',
    createdAt: new Date(Math.floor(createdAt.getTime())),
    revocation: undefined,
    revision: 1,
    rootRotations: [],
    rootRevocations: [],
  };
}

/** The contract approved with genuine signatures by `approvers` and marked active (as the repository would). */
export async function approvedContract(
  id: string,
  zones: readonly TestZone[],
  approvers: readonly TestZone[] = zones,
): Promise<TrustContract> {
  const proposed = proposedContract(id, zones);
  const approvals = await Promise.all(
    approvers.map((zone) => signApproval(proposed, zone.name, zone.admin.signer, new Date())),
  );
  return { ...proposed, state: 'active', approvals, revision: 1 + approvals.length };
}

/**
 * An approval of `participant` signed with `svid`'s key over the genuine canonical bytes, as an
 * attacker's own tooling would make it: without `signApproval`'s self-check, so any key can sign.
 */
export async function forgeApproval(
  contract: ContractTerms,
  participant: string,
  svid: TestSvid,
  signedAt = new Date(),
): Promise<ContractApproval> {
  const signature = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    svid.privateKey,
    canonicalApprovalBytes(contract, participant, signedAt),
  );
  return {
    participant,
    signature: new Uint8Array(signature),
    certificateChainDer: [svid.certificateDer],
    signedAt,
  };
}
