import { contractRootChains, type ChainRoot } from '../../lib/contract/participant-roots.js';
import type { ContractParticipant, TrustContract } from '../../lib/contract/trust-contract.js';
import type { ParticipantRootStatus, ParticipantRootsStatus } from './trust-contract-crd.js';

/** `status.participants` and the count `kubectl get` shows beside it. */
export interface ContractRootsStatus {
  readonly participants: ParticipantRootsStatus[];
  /** Participants with a next or a previous root: in a root rotation. */
  readonly rotatingParticipants: number;
}

/**
 * Every participant's roots in `contract` at `now`, as `status.participants` shows them
 * (docs/root-rotation.md, "In Kubernetes"). Computed from the chains this zone verifies itself
 * (`contractRootChains`), never from what the repository says about them: an announcement,
 * activation or revocation that does not verify is simply not there, exactly as the providers
 * ignore it. Only the acknowledgements are the repository's record (they are not signed): they
 * are shown for a verified announcement and only from the contract's other participants.
 *
 * The roles follow the chain: the current root is the newest one that signs (the pinned root, or
 * an activated successor); the next root is an announced one after it; the previous root is the
 * one it replaced while that is still trusted (until its `retireAfter`); the revoked root is where
 * a chain ends. Participants and acknowledgers keep the contract's order, so an unchanged contract
 * always maps to the same status and a steady state writes nothing.
 */
export function contractRootsStatus(contract: TrustContract, now: Date): ContractRootsStatus {
  const { chains } = contractRootChains(contract);
  const participants = contract.participants.map((participant) =>
    participantRoots(contract, participant, chains.get(participant.name)?.links ?? [], now),
  );
  const rotatingParticipants = participants.filter(
    ({ phase }) => phase === 'Announced' || phase === 'Overlap',
  ).length;
  return { participants, rotatingParticipants };
}

function participantRoots(
  contract: TrustContract,
  participant: ContractParticipant,
  links: readonly ChainRoot[],
  now: Date,
): ParticipantRootsStatus {
  const isTrusted = (link: ChainRoot) =>
    link.retireAfter === undefined || link.retireAfter.getTime() > now.getTime();
  const rootOf = (link: ChainRoot | undefined) =>
    link === undefined ? undefined : rootStatus(contract, participant, link);
  // A chain ends at its one revoked root, so every link before it is live.
  const live = links.filter((link) => !link.isRevoked);
  const signingIndex = live.findLastIndex((link, index) => index === 0 || link.activatedAt !== undefined);
  const signing = live[signingIndex];
  const current = signing !== undefined && isTrusted(signing) ? signing : undefined;
  const previous = current === undefined ? undefined : live[signingIndex - 1];
  const next = current === undefined ? undefined : live[signingIndex + 1];
  const currentRoot = rootOf(current);
  const nextRoot = rootOf(next);
  const previousRoot = rootOf(previous !== undefined && isTrusted(previous) ? previous : undefined);
  const revokedRoot = rootOf(links.find((link) => link.isRevoked));
  const phase =
    currentRoot === undefined
      ? 'Revoked'
      : nextRoot !== undefined
        ? 'Announced'
        : previousRoot !== undefined
          ? 'Overlap'
          : 'Stable';
  return {
    name: participant.name,
    trustDomain: participant.trustDomain,
    phase,
    ...(currentRoot === undefined ? {} : { currentRoot }),
    ...(nextRoot === undefined ? {} : { nextRoot }),
    ...(previousRoot === undefined ? {} : { previousRoot }),
    ...(revokedRoot === undefined ? {} : { revokedRoot }),
  };
}

function rootStatus(
  contract: TrustContract,
  participant: ContractParticipant,
  link: ChainRoot,
): ParticipantRootStatus {
  const announcement = link.rotation?.announcement;
  const acknowledgers = new Set(link.rotation?.acknowledgements.map(({ trustDomain }) => trustDomain));
  const acknowledgedBy = contract.participants
    .filter((partner) => partner.name !== participant.name && acknowledgers.has(partner.trustDomain))
    .map((partner) => partner.name);
  return {
    sha256: link.root.rootSha256,
    sequence: link.sequence,
    notBefore: new Date(link.root.root.validFrom).toISOString(),
    notAfter: new Date(link.root.root.validTo).toISOString(),
    ...(announcement === undefined
      ? {}
      : { announcedAt: announcement.announcedAt.toISOString(), acknowledgedBy }),
    ...(link.activatedAt === undefined ? {} : { activatedAt: link.activatedAt.toISOString() }),
    ...(link.retireAfter === undefined ? {} : { retireAfter: link.retireAfter.toISOString() }),
    ...(link.revocation === undefined ? {} : { revokedAt: link.revocation.revokedAt.toISOString() }),
  };
}
