import { errorMessage } from '../errors/accord-error.js';
import type { ContractRootRotation, RootActivation, RootRevocation } from './root-rotation.js';
import {
  verifyRootActivation,
  verifyRootAnnouncement,
  verifyRootRevocation,
} from './root-statement-signature.js';
import type { ContractParticipant, ContractTerms, TrustContract } from './trust-contract.js';
import { validateParticipant } from './validate-proposal.js';

/**
 * One root in a participant's chain: the root its contract pins, then each root a verified
 * announcement of the previous one introduced. `root` is participant-shaped (the participant's
 * name and trust domain with this root), so every check written for a pinned root applies.
 */
export interface ChainRoot {
  readonly root: ContractParticipant;
  /** The zone's rotation sequence of this root; 0 for the pinned root (whatever it was in the zone). */
  readonly sequence: number;
  /** The record that introduced it; undefined for the pinned root. */
  readonly rotation: ContractRootRotation | undefined;
  /** When it started to sign, from its own verified activation. */
  readonly activatedAt: Date | undefined;
  /** When it leaves every bundle, from its successor's verified activation. */
  readonly retireAfter: Date | undefined;
  /**
   * Whether it is revoked (a carried revocation its key signed, or the provider's memory of one):
   * it and every root after it are never trusted.
   */
  readonly isRevoked: boolean;
  /** The carried revocation, when there is one (the memory keeps no statement). */
  readonly revocation: RootRevocation | undefined;
}

/** Why a root statement carried by a contract was not used. One vocabulary for logs and metrics. */
export type RootStatementProblemReason =
  /** An announcement that does not verify (signatures, contract, trust domain, sequence, new root). */
  | 'RootAnnouncementInvalid'
  /** An announcement that continues no root of its participant in this contract. */
  | 'RootAnnouncementUnlinked'
  /** Two verified announcements replace the same root by different roots: neither is followed. */
  | 'RootAnnouncementConflict'
  /** An activation that does not verify with the root it activates: the old root does not retire. */
  | 'RootActivationInvalid'
  /** A revocation of a root of the chain that its key did not sign. */
  | 'RootRevocationInvalid';

export interface RootStatementProblem {
  readonly participant: string;
  readonly reason: RootStatementProblemReason;
  /** Human-readable specifics (never PEM). */
  readonly detail: string;
}

/** A participant's roots in one contract, and what was refused on the way. */
export interface ParticipantRootChain {
  readonly participant: ContractParticipant;
  /** The pinned root first, then every root announced after it, in order; ends at a revoked root. */
  readonly links: readonly ChainRoot[];
}

/**
 * What a participant's roots are computed from: the signed terms and the root statements carried.
 * Consent verification (`verifyConsent`) needs no more of a contract than this.
 */
export type RootChainContract = ContractTerms & Pick<TrustContract, 'rootRotations' | 'rootRevocations'>;

/** Every participant's chain (by participant name) and the statements not used. */
export interface ContractRootChains {
  readonly chains: ReadonlyMap<string, ParticipantRootChain>;
  readonly problems: readonly RootStatementProblem[];
}

/**
 * Follows, for every participant, the roots its key continuity vouches for (docs/root-rotation.md):
 * from the pinned root, the one verified announcement that replaces it, then the one that
 * replaces that root, and so on. The repository is not trusted for any of it: every announcement,
 * activation and revocation is verified here, by each reader.
 * - An announcement counts only if `verifyRootAnnouncement` accepts it against the root it
 *   replaces and the roots trusted at its time, and its sequence grows along the chain.
 * - A root whose verified revocation is carried (or in `revokedRootSha256s`, a provider's memory)
 *   ends the chain: it is not trusted, and nothing it vouched for is followed.
 * - Announcements of a revoked new root are ignored (a cancelled rotation); two verified ones
 *   replacing one root by different roots are a conflict, and the chain ends before either.
 * - A verified activation sets when the replaced root retires.
 */
export function contractRootChains(
  contract: RootChainContract,
  revokedRootSha256s: ReadonlySet<string> = new Set(),
): ContractRootChains {
  const chains = new Map<string, ParticipantRootChain>();
  const problems: RootStatementProblem[] = [];
  const used = new Set<ContractRootRotation>();
  for (const participant of contract.participants) {
    const chain = participantChain(contract, participant, revokedRootSha256s, used, problems);
    chains.set(participant.name, chain);
  }
  for (const rotation of contract.rootRotations) {
    if (used.has(rotation)) continue;
    const announcement = rotation.announcement;
    const owner = contract.participants.find(
      (participant) => participant.trustDomain === announcement.trustDomain,
    );
    problems.push({
      participant: owner?.name ?? announcement.trustDomain,
      reason: 'RootAnnouncementUnlinked',
      detail:
        owner === undefined
          ? `announcement of root (${announcement.rootSha256}) names trust domain ${announcement.trustDomain}, which is not a participant`
          : `announcement of root (${announcement.rootSha256}) replaces ${announcement.previousRootSha256}, which is not a trusted root of ${owner.name} in this contract`,
    });
  }
  return { chains, problems };
}

/**
 * One participant's chain, built exactly as `contractRootChains` builds it (same verification),
 * without the other participants' chains or the problems met: what a consent verifier needs to
 * know which roots may timestamp and certify that participant's consent.
 */
export function participantRootChain(
  contract: RootChainContract,
  participant: ContractParticipant,
): ParticipantRootChain {
  return participantChain(contract, participant, new Set(), new Set(), []);
}

/**
 * The roots of `chain` trusted at `at`: every root up to (not including) a revoked one, except
 * those retired by then. Empty when the pinned root itself is revoked.
 */
export function trustedRootsAt(chain: ParticipantRootChain, at: Date): ContractParticipant[] {
  const trusted: ContractParticipant[] = [];
  for (const link of chain.links) {
    if (link.isRevoked) break;
    if (link.retireAfter !== undefined && link.retireAfter.getTime() <= at.getTime()) continue;
    trusted.push(link.root);
  }
  return trusted;
}

function participantChain(
  contract: RootChainContract,
  participant: ContractParticipant,
  revokedRootSha256s: ReadonlySet<string>,
  used: Set<ContractRootRotation>,
  problems: RootStatementProblem[],
): ParticipantRootChain {
  const problem = (reason: RootStatementProblemReason, detail: string) =>
    problems.push({ participant: participant.name, reason, detail });
  const revocationOf = (root: ContractParticipant): Revocation =>
    revocationFor(contract, root, revokedRootSha256s, (detail) => problem('RootRevocationInvalid', detail));
  const links: MutableChainRoot[] = [
    {
      root: participant,
      sequence: 0,
      rotation: undefined,
      activatedAt: undefined,
      retireAfter: undefined,
      ...revocationOf(participant),
    },
  ];
  const seen = new Set([participant.rootSha256]);
  for (;;) {
    const tip = links.at(-1);
    if (tip === undefined || tip.isRevoked) break;
    const rootsSoFar = { participant, links };
    const followers: { rotation: ContractRootRotation; root: ContractParticipant }[] = [];
    for (const rotation of contract.rootRotations) {
      const announcement = rotation.announcement;
      if (
        announcement.trustDomain !== participant.trustDomain ||
        announcement.previousRootSha256 !== tip.root.rootSha256
      ) {
        continue;
      }
      used.add(rotation);
      try {
        if (announcement.sequence <= tip.sequence || seen.has(announcement.rootSha256)) {
          throw new Error(
            `its sequence ${announcement.sequence} does not follow ${tip.sequence}, or its root is already in the chain`,
          );
        }
        const root = validateParticipant(
          {
            name: participant.name,
            trustDomain: participant.trustDomain,
            publicKey: announcement.rootPem,
            hash: announcement.rootSha256,
          },
          'root_announcement.root',
        );
        verifyRootAnnouncement(
          contract,
          participant,
          announcement,
          tip.root,
          trustedRootsAt(rootsSoFar, announcement.announcedAt),
        );
        followers.push({ rotation, root });
      } catch (error) {
        problem(
          'RootAnnouncementInvalid',
          `announcement of root (${announcement.rootSha256}): ${errorMessage(error)}`,
        );
      }
    }
    const live = followers.filter(({ root }) => !revocationOf(root).isRevoked);
    const distinct = new Set(live.map(({ root }) => root.rootSha256));
    if (distinct.size > 1) {
      problem(
        'RootAnnouncementConflict',
        `root ${tip.root.rootSha256} is replaced by ${[...distinct].join(' and ')}; neither is followed`,
      );
      break;
    }
    const [next] = live;
    const cancelled = followers.find(({ root }) => revocationOf(root).isRevoked);
    if (next === undefined) {
      // A cancelled rotation, or an activated root revoked later (an emergency): its revoked root
      // ends the chain. A root it replaced and retired stays retired: the revocation narrows trust.
      if (cancelled !== undefined) {
        const activation = verifiedActivation(cancelled.rotation, (detail) =>
          problem('RootActivationInvalid', detail),
        );
        if (activation !== undefined) tip.retireAfter = activation.previousRootRetireAfter;
        links.push(linkOf(cancelled, revocationOf(cancelled.root), activation));
      }
      break;
    }
    const activation = verifiedActivation(next.rotation, (detail) =>
      problem('RootActivationInvalid', detail),
    );
    if (activation !== undefined) tip.retireAfter = activation.previousRootRetireAfter;
    links.push(linkOf(next, { isRevoked: false, revocation: undefined }, activation));
    seen.add(next.root.rootSha256);
  }
  return { participant, links };
}

type MutableChainRoot = { -readonly [K in keyof ChainRoot]: ChainRoot[K] };

function linkOf(
  follower: { rotation: ContractRootRotation; root: ContractParticipant },
  revocation: Revocation,
  activation: RootActivation | undefined,
): MutableChainRoot {
  return {
    root: follower.root,
    sequence: follower.rotation.announcement.sequence,
    rotation: follower.rotation,
    activatedAt: activation?.activatedAt,
    retireAfter: undefined,
    ...revocation,
  };
}

type Revocation = Pick<ChainRoot, 'isRevoked' | 'revocation'>;

/** Whether `root` is revoked: by a carried revocation its key signed, or in the provider's memory. */
function revocationFor(
  contract: RootChainContract,
  root: ContractParticipant,
  revokedRootSha256s: ReadonlySet<string>,
  onInvalid: (detail: string) => void,
): Revocation {
  for (const revocation of contract.rootRevocations) {
    if (revocation.rootSha256 !== root.rootSha256 || revocation.trustDomain !== root.trustDomain) continue;
    try {
      verifyRootRevocation(revocation, root.root);
      return { isRevoked: true, revocation };
    } catch (error) {
      onInvalid(`revocation of root (${root.rootSha256}): ${errorMessage(error)}`);
    }
  }
  return { isRevoked: revokedRootSha256s.has(root.rootSha256), revocation: undefined };
}

/** The rotation's activation if it is about this rotation and signed by the new root's key. */
function verifiedActivation(
  rotation: ContractRootRotation,
  onInvalid: (detail: string) => void,
): RootActivation | undefined {
  const activation = rotation.activation;
  if (activation === undefined) return undefined;
  const announcement = rotation.announcement;
  try {
    if (
      activation.trustDomain !== announcement.trustDomain ||
      activation.sequence !== announcement.sequence ||
      activation.rootSha256 !== announcement.rootSha256 ||
      activation.previousRootSha256 !== announcement.previousRootSha256
    ) {
      throw new Error('it activates another rotation');
    }
    verifyRootActivation(activation, announcement.root);
    return activation;
  } catch (error) {
    onInvalid(`activation of root (${announcement.rootSha256}): ${errorMessage(error)}`);
    return undefined;
  }
}
