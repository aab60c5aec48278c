import { contractTermsSha256 } from '../lib/contract/canonical-consent.js';
import { approvalReport } from '../lib/contract/contract-approvals.js';
import {
  contractRootChains,
  trustedRootsAt,
  type ContractRootChains,
  type RootStatementProblem,
} from '../lib/contract/participant-roots.js';
import { verifyRevocation } from '../lib/contract/revocation-signature.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { participantOfTrustDomain, type TrustContract } from '../lib/contract/trust-contract.js';
import { isValidTrustDomain } from '../lib/spiffe/spiffe-id.js';
import { derToPem } from '../lib/x509/pem.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import type { DesiredBundles, ZoneBundle } from './bundle-writer.js';
import { withdrawnContract, type WithdrawnContract, type WithdrawnContracts } from './withdrawn-contracts.js';

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
  | 'ApprovalMissing'
  /**
   * This provider saw the contract revoked or deleted before: the repository serves it again, and
   * it stays withdrawn (trust comes back only through a new contract with fresh approvals).
   */
  | 'WithdrawnEarlier'
  /** The repository shows the contract revoked with a revocation that does not verify; it is withdrawn all the same. */
  | 'RevocationInvalid';

export interface ContractRejection {
  readonly contractId: string;
  readonly revision: number;
  readonly reason: RejectionReason;
  /** Human-readable specifics for the log line (never PEM). */
  readonly detail: string;
}

/** A partner's announced root this zone trusts in a contract and has not acknowledged there yet. */
export interface RootToAcknowledge {
  readonly contractId: string;
  /** The announcing partner zone. */
  readonly trustDomain: string;
  readonly rootSha256: string;
}

/** A root statement carried by a trusted contract that its own verification refused. */
export interface RefusedRootStatement extends RootStatementProblem {
  readonly contractId: string;
  readonly revision: number;
}

export interface DesiredBundlesResult {
  /** Partner trust domain → the roots trusted for that trust domain only. */
  readonly bundles: DesiredBundles;
  /** Contracts the repository calls active that failed our own verification. */
  readonly rejections: readonly ContractRejection[];
  /**
   * Announced partner roots in `bundles` whose installation this zone has not acknowledged in
   * their contract: the provider acknowledges them once the bundles are written.
   */
  readonly toAcknowledge: readonly RootToAcknowledge[];
  /** Root statements (announcements, activations, revocations) that did not verify and were not followed. */
  readonly refusedRootStatements: readonly RefusedRootStatement[];
  /** When a trusted root retires next (the bundles change then without any new contract event). */
  readonly nextRetirementAt: Date | undefined;
  /** Contracts seen revoked for the first time: to be remembered before the bundles are written. */
  readonly withdrawals: readonly WithdrawnContract[];
}

/**
 * The trust a zone should hold, computed from the contracts alone and checked by the zone itself:
 * the repository is not trusted to declare anything active, nor to take back a withdrawal. A
 * revoked contract (state `revoked` or carrying a revocation) is never trusted, and is remembered
 * (`withdrawals`) whether or not its revocation verifies: the repository may always *narrow* trust,
 * and a narrowing it could undo later would be none. A contract counts only when it was never
 * withdrawn (`withdrawn`), is active, names our trust domain with one of our real roots, every
 * participant still has a root trusted and unexpired at `now`, and it carries a verifying approval
 * from every participant; then each other participant's roots trusted at `now` are trusted for that
 * participant's trust domain only: the pinned root and the roots its key continuity announced
 * (`contractRootChains`, verified here), until a verified activation retires a replaced root or a
 * verified revocation ends the chain (docs/root-rotation.md). Invalid contracts are reported and
 * contribute nothing, so they can never widen trust nor remove trust that other valid contracts
 * establish.
 */
export function desiredBundles(
  contracts: Iterable<TrustContract>,
  ownZone: OwnZone,
  withdrawn: WithdrawnContracts,
  now: Date,
): DesiredBundlesResult {
  const roots = new Map<string, Map<string, string>>();
  const contractIds = new Map<string, Set<string>>();
  const rejections: ContractRejection[] = [];
  const toAcknowledge: RootToAcknowledge[] = [];
  const refusedRootStatements: RefusedRootStatement[] = [];
  let nextRetirementAt: Date | undefined;
  const withdrawals: WithdrawnContract[] = [];
  for (const contract of contracts) {
    const isRevoked = contract.state === 'revoked' || contract.revocation !== undefined;
    // A proposal counts for nothing until it is active, so its terms are not even hashed: this runs
    // over every contract at every change, and hashing 1,000 proposals of a burst each time was a
    // third of the CPU of the process running both zones' providers in bench kube-propagation.
    if (!isRevoked && contract.state !== 'active') continue;
    const termsSha256 = contractTermsSha256(contract);
    if (isRevoked) {
      if (withdrawn.has(termsSha256)) continue;
      withdrawals.push(withdrawnContract(contract, 'revoked', now));
      const problem = revocationProblem(contract);
      if (problem !== undefined)
        rejections.push({
          contractId: contract.id,
          revision: contract.revision,
          reason: 'RevocationInvalid',
          detail: problem,
        });
      continue;
    }
    if (withdrawn.has(termsSha256)) {
      rejections.push({
        contractId: contract.id,
        revision: contract.revision,
        reason: 'WithdrawnEarlier',
        detail: `contract ${contract.id} with terms ${termsSha256} was revoked or deleted before; propose a new contract`,
      });
      continue;
    }
    const chains = contractRootChains(contract);
    const problem = verificationProblem(contract, ownZone, chains, now);
    if (problem !== undefined) {
      rejections.push({ contractId: contract.id, revision: contract.revision, ...problem });
      continue;
    }
    for (const refused of chains.problems) {
      refusedRootStatements.push({ contractId: contract.id, revision: contract.revision, ...refused });
    }
    for (const participant of contract.participants) {
      if (participant.trustDomain === ownZone.trustDomain) continue;
      const chain = chains.chains.get(participant.name);
      const trusted = chain === undefined ? [] : trustedRootsAt(chain, now);
      if (trusted.length === 0) continue;
      const zoneRoots = roots.get(participant.trustDomain) ?? new Map<string, string>();
      for (const root of trusted) zoneRoots.set(root.rootSha256, derToPem(root.root.raw));
      roots.set(participant.trustDomain, zoneRoots);
      for (const link of chain?.links ?? []) {
        const retireAfter = link.retireAfter;
        if (
          retireAfter !== undefined &&
          retireAfter.getTime() > now.getTime() &&
          (nextRetirementAt === undefined || retireAfter.getTime() < nextRetirementAt.getTime())
        ) {
          nextRetirementAt = retireAfter;
        }
        const rotation = link.rotation;
        if (rotation === undefined || !trusted.includes(link.root)) continue;
        if (rotation.acknowledgements.some((ack) => ack.trustDomain === ownZone.trustDomain)) continue;
        toAcknowledge.push({
          contractId: contract.id,
          trustDomain: participant.trustDomain,
          rootSha256: link.root.rootSha256,
        });
      }
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
  return { bundles, rejections, toAcknowledge, refusedRootStatements, nextRetirementAt, withdrawals };
}

/** Why a contract's revocation does not prove a participant's word, or undefined when it does. */
function revocationProblem(contract: TrustContract): string | undefined {
  if (contract.revocation === undefined) return 'the contract is revoked without a revocation';
  try {
    verifyRevocation(contract, contract.revocation);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

function verificationProblem(
  contract: TrustContract,
  ownZone: OwnZone,
  chains: ContractRootChains,
  now: Date,
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
    // After a rotation the pinned root may expire: a root of the verified chain still trusted and
    // unexpired at `now` keeps the participant.
    const chain = chains.chains.get(participant.name);
    const trustedRoots = chain === undefined ? [participant] : trustedRootsAt(chain, now);
    if (trustedRoots.length === 0) {
      // The participant's own key revoked its chain (emergency rotation): the contract needs a
      // successor pinning its fresh root, approved by every participant (docs/root-rotation.md).
      return {
        reason: 'ParticipantRootInvalid',
        detail: `participant ${participant.name} has no trusted root left: its own key revoked every root of its chain`,
      };
    }
    if (!trustedRoots.some((trusted) => Date.parse(trusted.root.validTo) >= now.getTime())) {
      return {
        reason: 'ParticipantRootInvalid',
        detail: `the root of participant ${participant.name} expired at ${new Date(participant.root.validTo).toISOString()}`,
      };
    }
  }
  // After our own rotation the contract still pins our first root: any root of our verified chain
  // that our PKI holds names us.
  const ownChain = chains.chains.get(own.name);
  const ownRoots = ownChain === undefined ? [own] : trustedRootsAt(ownChain, now);
  if (!ownRoots.some((root) => ownZone.rootSha256s.has(root.rootSha256))) {
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
