import { webcrypto } from 'node:crypto';
import { signApproval } from '../../lib/contract/approval-signature.js';
import { signRevocation } from '../../lib/contract/revocation-signature.js';
import { canonicalApprovalBytes } from '../../lib/contract/canonical-consent.js';
import { consentSignatureSha256, type ConsentTimestamper } from '../../lib/contract/consent-timestamp.js';
import type { RootChainContract } from '../../lib/contract/participant-roots.js';
import type {
  ContractApproval,
  ContractParticipant,
  ContractTerms,
  ParticipantSignature,
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

/** How `forgeApproval` dates and timestamps its approval. */
export interface ForgeOptions {
  /** The self-declared signing time; now by default. */
  readonly signedAt?: Date;
  /**
   * Who timestamps the signature: by default the root that issued `svid`, at the current time (a
   * PKI asked now); `null` for no timestamp at all.
   */
  readonly timestamper?: ConsentTimestamper | null;
}

/**
 * An approval of `participant` signed with `svid`'s key over the genuine canonical bytes, as an
 * attacker's own tooling would make it: without `signApproval`'s self-check, so any key can sign.
 */
export async function forgeApproval(
  contract: ContractTerms,
  participant: string,
  svid: TestSvid,
  options: ForgeOptions = {},
): Promise<ContractApproval> {
  const signedAt = options.signedAt ?? new Date();
  const signature = new Uint8Array(
    await webcrypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      svid.privateKey,
      canonicalApprovalBytes(contract, participant, signedAt),
    ),
  );
  const timestamper = options.timestamper === undefined ? svid.signer.timestamp : options.timestamper;
  return {
    participant,
    signature,
    certificateChainDer: [svid.certificateDer],
    signedAt,
    timestamp: timestamper === null ? undefined : await timestamper(consentSignatureSha256(signature)),
  };
}

/** `zone`'s signed revocation of `contract`, by its operator (a designated approver), at `now()`. */
export function revocationBy(
  contract: RootChainContract,
  zone: TestZone,
  reason: string,
  now: () => Date = () => new Date(),
): Promise<ParticipantSignature> {
  return signRevocation(contract, zone.name, reason, zone.operator.signerAt(now), now());
}

/** `contract` as the repository shows it once `zone` revoked it with a genuine signature. */
export async function revokedContract(
  contract: TrustContract,
  zone: TestZone,
  reason = 'revoked in a test',
): Promise<TrustContract> {
  const signed = await revocationBy(contract, zone, reason);
  return {
    ...contract,
    state: 'revoked',
    revocation: { revokedBy: zone.operator.spiffeId, revokedAt: new Date(), reason, signed },
    revision: contract.revision + 1,
  };
}
