import { approvalReport } from '../lib/contract/contract-approvals.js';
import { participantOfTrustDomain, type TrustContract } from '../lib/contract/trust-contract.js';
import { isValidTrustDomain } from '../lib/spiffe/spiffe-id.js';
import { derToPem } from '../lib/x509/pem.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import type { DesiredBundles, ZoneBundle } from './bundle-writer.js';

/** Who "we" are: the provider's trust domain and the fingerprints of its zone's actual roots (from the PKI). */
export interface OwnZone {
  readonly trustDomain: string;
  /** Lower-case hex SHA-256 of each root's DER, as the PKI's GetCA reports them. */
  readonly rootSha256s: ReadonlySet<string>;
}

/**
 * Why an active-looking contract was not trusted. One vocabulary for logs and the
 * `accord_provider_rejected_contracts_total{reason}` metric.
 */
export type RejectionReason =
  /** Our trust domain is not among the participants: the contract is not about us. */
  | 'NotAParticipant'
  /** Our trust domain is, but with a root our PKI does not have: someone else's idea of us. */
  | 'OwnRootMismatch'
  /** A participant's root does not match its fingerprint, is not a CA, or its trust domain is invalid. */
  | 'ParticipantRootInvalid'
  /** Two participants claim the same trust domain. */
  | 'TrustDomainConflict'
  /** An approval is present but does not verify (forged, wrong key, terms changed after signing). */
  | 'ApprovalInvalid'
  /** A participant has not approved, whatever the repository's `state` says. */
  | 'ApprovalMissing';

export interface ContractRejection {
  readonly contractId: string;
  readonly revision: number;
  readonly reason: RejectionReason;
  /** Human-readable specifics for the log line (never PEM). */
  readonly detail: string;
}

export interface DesiredBundlesResult {
  /** Partner trust domain → the roots trusted for that trust domain only. */
  readonly bundles: DesiredBundles;
  /** Contracts the repository calls active that failed our own verification. */
  readonly rejections: readonly ContractRejection[];
}

/**
 * The trust a zone should hold, computed from the contracts alone and checked by the zone itself:
 * the repository is not trusted to declare anything active. A contract counts only when it is
 * neither revoked nor proposed (the repository may always *narrow* trust), names our trust domain
 * with one of our real roots, and carries a verifying approval from every participant; then each
 * other participant's root is trusted for that participant's trust domain only. Invalid
 * contracts are reported and contribute nothing, so they can never widen trust nor remove trust
 * that other valid contracts establish.
 */
export function desiredBundles(contracts: Iterable<TrustContract>, ownZone: OwnZone): DesiredBundlesResult {
  const roots = new Map<string, Map<string, string>>();
  const contractIds = new Map<string, Set<string>>();
  const rejections: ContractRejection[] = [];
  for (const contract of contracts) {
    if (contract.state !== 'active' || contract.revocation !== undefined) continue;
    const problem = verificationProblem(contract, ownZone);
    if (problem !== undefined) {
      rejections.push({ contractId: contract.id, revision: contract.revision, ...problem });
      continue;
    }
    for (const participant of contract.participants) {
      if (participant.trustDomain === ownZone.trustDomain) continue;
      const zoneRoots = roots.get(participant.trustDomain) ?? new Map<string, string>();
      zoneRoots.set(participant.rootSha256, derToPem(participant.root.raw));
      roots.set(participant.trustDomain, zoneRoots);
      const ids = contractIds.get(participant.trustDomain) ?? new Set<string>();
      ids.add(contract.id);
      contractIds.set(participant.trustDomain, ids);
    }
  }
  const bundles = new Map<string, ZoneBundle>();
  for (const trustDomain of [...roots.keys()].sort()) {
    const zoneRoots = roots.get(trustDomain) ?? new Map<string, string>();
    bundles.set(trustDomain, {
      rootsPem: [...zoneRoots.keys()].sort().map((sha256) => zoneRoots.get(sha256) ?? ''),
      contractIds: [...(contractIds.get(trustDomain) ?? [])].sort(),
    });
  }
  return { bundles, rejections };
}

function verificationProblem(
  contract: TrustContract,
  ownZone: OwnZone,
): { reason: RejectionReason; detail: string } | undefined {
  const own = participantOfTrustDomain(contract, ownZone.trustDomain);
  if (own === undefined) {
    return { reason: 'NotAParticipant', detail: `${ownZone.trustDomain} is not a participant` };
  }
  const trustDomains = new Set<string>();
  for (const participant of contract.participants) {
    if (trustDomains.has(participant.trustDomain)) {
      return {
        reason: 'TrustDomainConflict',
        detail: `trust domain ${participant.trustDomain} appears twice`,
      };
    }
    trustDomains.add(participant.trustDomain);
    const isRootValid =
      isValidTrustDomain(participant.trustDomain) &&
      participant.root.ca &&
      sha256Hex(participant.root.raw) === participant.rootSha256;
    if (!isRootValid) {
      return {
        reason: 'ParticipantRootInvalid',
        detail: `participant ${participant.name} has an invalid root or trust domain`,
      };
    }
  }
  if (!ownZone.rootSha256s.has(own.rootSha256)) {
    return {
      reason: 'OwnRootMismatch',
      detail: `root ${own.rootSha256} of ${own.name} is not one of our roots`,
    };
  }
  const report = approvalReport(contract);
  const firstInvalid = report.invalid[0];
  if (firstInvalid !== undefined) {
    return {
      reason: 'ApprovalInvalid',
      detail: `approval of ${firstInvalid.participant}: ${firstInvalid.reason}`,
    };
  }
  if (report.missing.length > 0) {
    return { reason: 'ApprovalMissing', detail: `no valid approval from ${report.missing.join(', ')}` };
  }
  return undefined;
}
