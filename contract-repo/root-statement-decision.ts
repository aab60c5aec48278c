import { spiffeIdOf } from '../lib/spiffe/spiffe-id.js';
import {
  contractRootChains,
  trustedRootsAt,
  type ChainRoot,
  type ParticipantRootChain,
} from '../lib/contract/participant-roots.js';
import {
  contractProviderSpiffePath,
  type RootActivation,
  type RootAnnouncement,
  type RootRevocation,
} from '../lib/contract/root-rotation.js';
import {
  verifyRootActivation,
  verifyRootAnnouncement,
  verifyRootRevocation,
} from '../lib/contract/root-statement-signature.js';
import {
  participantOfTrustDomain,
  type ContractParticipant,
  type TrustContract,
} from '../lib/contract/trust-contract.js';
import { isZoneApprover, zoneApproverIds } from '../lib/contract/zone-approvers.js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
} from '../lib/errors/accord-error.js';
import type { Caller } from './contract-authorization.js';
import type { RootStatementEvent } from './root-statement-event.js';
import { findRotation } from './root-statement-transition.js';

/**
 * What the repository decided about a root statement: the event to append, or `unchanged` when the
 * contract already carries exactly this statement (a retry), so nothing is appended.
 */
export type RootStatementDecision = RootStatementEvent | 'unchanged';

/**
 * Decides an announcement: only a designated approver of the announcing zone may add it, and it
 * must verify against the zone's current root in this contract (the tip of its verified chain),
 * the roots trusted at its time and the contract's terms, be signed within `maxSkewMs` of `now`,
 * and replace that root with a root not seen before. The repository checks everything every
 * provider will check again, so what it stores is what they accept.
 */
export function decideRootAnnouncement(
  caller: Caller,
  contract: TrustContract,
  announcement: RootAnnouncement,
  now: Date,
  maxSkewMs: number,
): RootStatementDecision {
  const participant = approverParticipant(caller, contract, announcement.trustDomain, 'announce a root');
  const existing = findRotation(contract, announcement.trustDomain, announcement.rootSha256);
  if (existing !== undefined && sameAnnouncement(existing.announcement, announcement)) return 'unchanged';
  const skewMs = Math.abs(announcement.announcedAt.getTime() - now.getTime());
  if (skewMs > maxSkewMs) {
    throw new InvalidArgumentError(
      `announcement.announced_at: ${announcement.announcedAt.toISOString()} is more than ${maxSkewMs / 1000} s away from the repository's clock`,
    );
  }
  const chain = chainOf(contract, participant);
  const tip = replaceableRoot(chain);
  if (tip === undefined || tip.isRevoked) {
    throw new FailedPreconditionError(
      `the current root of ${participant.name} in contract ${contract.id} is revoked: a revoked root vouches for nothing (propose a new contract)`,
    );
  }
  if (announcement.previousRootSha256 !== tip.root.rootSha256) {
    const replaced = chain.links.some((link) => link.root.rootSha256 === announcement.previousRootSha256);
    throw new FailedPreconditionError(
      replaced
        ? `root ${announcement.previousRootSha256} of ${participant.name} was already replaced in contract ${contract.id}; its current root is ${tip.root.rootSha256}`
        : `root ${announcement.previousRootSha256} is not a root of ${participant.name} in contract ${contract.id}; its current root is ${tip.root.rootSha256}`,
    );
  }
  if (announcement.sequence <= tip.sequence) {
    throw new FailedPreconditionError(
      `announcement.sequence: ${announcement.sequence} does not follow the current root's rotation ${tip.sequence}`,
    );
  }
  if (chain.links.some((link) => link.root.rootSha256 === announcement.rootSha256)) {
    throw new FailedPreconditionError(
      `root ${announcement.rootSha256} is already a root of ${participant.name}`,
    );
  }
  if (isRevokedRoot(contract, announcement.trustDomain, announcement.rootSha256)) {
    throw new FailedPreconditionError(
      `root ${announcement.rootSha256} is revoked in contract ${contract.id}`,
    );
  }
  verifyRootAnnouncement(
    contract,
    participant,
    announcement,
    tip.root,
    trustedRootsAt(chain, announcement.announcedAt),
  );
  return { action: 'announce-root', announcement };
}

/**
 * Decides an activation: a designated approver of the zone adds it to the record of the root it
 * activates, which must be in the zone's verified chain; it must be signed by that root's key.
 */
export function decideRootActivation(
  caller: Caller,
  contract: TrustContract,
  activation: RootActivation,
): RootStatementDecision {
  const participant = approverParticipant(caller, contract, activation.trustDomain, 'activate a root');
  const rotation = findRotation(contract, activation.trustDomain, activation.rootSha256);
  const link = chainOf(contract, participant).links.find((each) => each.rotation === rotation);
  if (rotation === undefined || link === undefined) {
    throw new FailedPreconditionError(
      `contract ${contract.id} carries no verified announcement of root ${activation.rootSha256} of ${participant.name}`,
    );
  }
  const existing = rotation.activation;
  if (existing !== undefined && Buffer.from(existing.signature).equals(Buffer.from(activation.signature))) {
    return 'unchanged';
  }
  const announcement = rotation.announcement;
  if (
    activation.sequence !== announcement.sequence ||
    activation.previousRootSha256 !== announcement.previousRootSha256
  ) {
    throw new PermissionDeniedError(
      `root activation rejected: it activates rotation ${activation.sequence} from ${activation.previousRootSha256}, the contract announced rotation ${announcement.sequence} from ${announcement.previousRootSha256}`,
    );
  }
  verifyRootActivation(activation, announcement.root);
  return { action: 'activate-root', activation };
}

/**
 * Decides an acknowledgement: only the contract provider (`/accord/contract-provider`) of another
 * participant may say that its zone installed a root the contract announced and verifies.
 */
export function decideRootAcknowledgement(
  caller: Caller,
  contract: TrustContract,
  trustDomain: string,
  rootSha256: string,
): RootStatementDecision {
  const acknowledging = participantOfTrustDomain(contract, caller.trustDomain);
  const providerId = spiffeIdOf(caller.trustDomain, contractProviderSpiffePath).uri;
  if (acknowledging === undefined || caller.spiffeId !== providerId) {
    throw new PermissionDeniedError(
      `${caller.spiffeId} may not acknowledge roots: only a participant's contract provider (${providerId}) may`,
    );
  }
  if (acknowledging.trustDomain === trustDomain) {
    throw new PermissionDeniedError(`${caller.spiffeId} may not acknowledge its own zone's root`);
  }
  const announcing = participantOfTrustDomain(contract, trustDomain);
  const rotation = findRotation(contract, trustDomain, rootSha256);
  const isVerified =
    announcing !== undefined &&
    rotation !== undefined &&
    chainOf(contract, announcing).links.some((link) => link.rotation === rotation);
  if (rotation === undefined || !isVerified) {
    throw new FailedPreconditionError(
      `contract ${contract.id} carries no verified announcement of root ${rootSha256} of ${trustDomain}`,
    );
  }
  if (rotation.acknowledgements.some((each) => each.trustDomain === acknowledging.trustDomain)) {
    return 'unchanged';
  }
  return {
    action: 'acknowledge-root',
    trustDomain,
    rootSha256,
    acknowledgingTrustDomain: acknowledging.trustDomain,
  };
}

/**
 * Decides a root revocation: a designated approver of any participant (or an admin) may relay it,
 * since it is signed by the revoked root's own key and only narrows trust; the root must be one of
 * its zone's roots in this contract (pinned or announced), so it can be checked at all.
 */
export function decideRootRevocation(
  caller: Caller,
  contract: TrustContract,
  revocation: RootRevocation,
): RootStatementDecision {
  const own = participantOfTrustDomain(contract, caller.trustDomain);
  if (!caller.isAdmin && (own === undefined || !isZoneApprover(caller.spiffeId, own.trustDomain))) {
    throw new PermissionDeniedError(
      `${caller.spiffeId} may not revoke roots in contract ${contract.id}: only a participant's designated approvers (${zoneApproverIds(caller.trustDomain).join(', ')}) or an admin may`,
    );
  }
  const participant = participantOfTrustDomain(contract, revocation.trustDomain);
  const known =
    participant === undefined
      ? undefined
      : [participant, ...contract.rootRotations.map((rotation) => rotation.announcement)].find(
          (candidate) =>
            candidate.trustDomain === revocation.trustDomain &&
            candidate.rootSha256 === revocation.rootSha256,
        );
  if (participant === undefined || known === undefined) {
    throw new FailedPreconditionError(
      `root ${revocation.rootSha256} of ${revocation.trustDomain} is not a root of any participant of contract ${contract.id}`,
    );
  }
  if (isRevokedRoot(contract, revocation.trustDomain, revocation.rootSha256)) return 'unchanged';
  verifyRootRevocation(revocation, known.root);
  return { action: 'revoke-root', revocation };
}

/** The participant of `trustDomain`, if `caller` is one of its designated approvers; else PERMISSION_DENIED. */
function approverParticipant(
  caller: Caller,
  contract: TrustContract,
  trustDomain: string,
  operation: string,
): ContractParticipant {
  const participant = participantOfTrustDomain(contract, trustDomain);
  if (
    participant === undefined ||
    caller.trustDomain !== trustDomain ||
    !isZoneApprover(caller.spiffeId, trustDomain)
  ) {
    throw new PermissionDeniedError(
      `${caller.spiffeId} may not ${operation} for ${trustDomain} in contract ${contract.id}: only that participant's designated approvers (${zoneApproverIds(trustDomain).join(', ')}) may`,
    );
  }
  return participant;
}

/**
 * The root a new announcement replaces: the tip of the chain, or the root before it when the tip
 * is a cancelled rotation (announced, revoked before it was ever activated), which the chain stops
 * at but which the next announcement of the same root supersedes (`contractRootChains` follows the
 * live one of two announcements replacing one root). An activated root that is revoked (an
 * emergency) stays the tip: a revoked root vouches for nothing, and neither does the chain before it.
 */
function replaceableRoot(chain: ParticipantRootChain): ChainRoot | undefined {
  const tip = chain.links.at(-1);
  const before = chain.links.at(-2);
  const isCancelled = tip?.isRevoked === true && tip.rotation !== undefined && tip.activatedAt === undefined;
  return isCancelled && before !== undefined && !before.isRevoked ? before : tip;
}

function chainOf(contract: TrustContract, participant: ContractParticipant): ParticipantRootChain {
  const chain = contractRootChains(contract).chains.get(participant.name);
  if (chain === undefined) throw new Error(`no chain for participant ${participant.name}`);
  return chain;
}

function isRevokedRoot(contract: TrustContract, trustDomain: string, rootSha256: string): boolean {
  return contract.rootRevocations.some(
    (revocation) => revocation.trustDomain === trustDomain && revocation.rootSha256 === rootSha256,
  );
}

function sameAnnouncement(left: RootAnnouncement, right: RootAnnouncement): boolean {
  return (
    left.previousRootSha256 === right.previousRootSha256 &&
    left.sequence === right.sequence &&
    Buffer.from(left.previousRootSignature).equals(Buffer.from(right.previousRootSignature)) &&
    Buffer.from(left.approverSignature).equals(Buffer.from(right.approverSignature))
  );
}
