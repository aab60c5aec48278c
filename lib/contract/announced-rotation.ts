import { FailedPreconditionError } from '../errors/accord-error.js';
import type { PkiRootRotationClient } from '../identity/pki-root-rotation-client.js';
import type { ConsentSigner } from './zone-approvers.js';
import { contractTermsSha256 } from './canonical-consent.js';
import type { ContractRepositoryClient } from './contract-repository-client.js';
import { participantRootChain } from './participant-roots.js';
import type { AnnouncementTarget, ContractRootRotation, RootActivation } from './root-rotation.js';
import { signRootAnnouncementAsApprover } from './root-statement-signature.js';
import { participantOfTrustDomain, type TrustContract } from './trust-contract.js';

/** Where a zone's prepared root stands in one contract it is in (`rotationStatus`). */
export interface ContractRotationStatus {
  readonly contractId: string;
  /** The zone's current root in the contract: the tip of its verified chain. */
  readonly currentRootSha256: string;
  /** Whether the contract carries the announcement of the prepared root. */
  readonly isAnnounced: boolean;
  /** Partner trust domains whose providers acknowledged installing the prepared root. */
  readonly acknowledgedBy: readonly string[];
  /** Partner trust domains that have not (yet). */
  readonly pendingPartners: readonly string[];
}

/**
 * Per active contract of `trustDomain`, where its prepared root `nextRootSha256` stands: pure, from
 * the contracts as the repository serves them, the zone's chain of roots in each verified here
 * (`participantRootChain`: the repository is not trusted for it).
 */
export function rotationStatus(
  contracts: Iterable<TrustContract>,
  trustDomain: string,
  nextRootSha256: string,
): ContractRotationStatus[] {
  const statuses: ContractRotationStatus[] = [];
  for (const contract of contracts) {
    if (contract.state !== 'active') continue;
    const own = participantOfTrustDomain(contract, trustDomain);
    if (own === undefined) continue;
    const live = participantRootChain(contract, own).links.filter((link) => !link.isRevoked);
    const announced = live.find((link) => link.root.rootSha256 === nextRootSha256);
    const current = live.filter((link) => link !== announced).at(-1);
    const partners = contract.participants
      .filter((participant) => participant.trustDomain !== trustDomain)
      .map((participant) => participant.trustDomain);
    // None when nothing is announced, or when the contract pins the prepared root itself.
    const acknowledgedBy = new Set(
      announced?.rotation?.acknowledgements.map((acknowledgement) => acknowledgement.trustDomain),
    );
    statuses.push({
      contractId: contract.id,
      currentRootSha256: current?.root.rootSha256 ?? own.rootSha256,
      isAnnounced: announced !== undefined,
      acknowledgedBy: partners.filter((partner) => acknowledgedBy.has(partner)),
      pendingPartners: partners.filter((partner) => !acknowledgedBy.has(partner)),
    });
  }
  return statuses;
}

/**
 * The repository calls a zone's rotation steps make (`watch`: `accordctl root activate --wait`),
 * and no more, so that a test can drive them with a small double.
 */
export type RotationRepository = Pick<
  ContractRepositoryClient,
  'list' | 'watch' | 'announceRoot' | 'activateRoot' | 'revokeRoot'
>;

/** What a zone's rotation steps need: its PKI and the repository, both opened as an approver. */
export interface RotationParties {
  readonly trustDomain: string;
  readonly pki: PkiRootRotationClient;
  readonly repository: RotationRepository;
}

/**
 * Announces the zone's prepared root in every active contract it is in and has not announced it
 * in yet: the PKI signs each announcement with the key of the root it replaces there, the
 * approver signs it too (the zone's consent), and the repository verifies and stores it. Returns
 * the ids of the contracts announced to.
 */
export async function announcePreparedRoot(
  parties: RotationParties,
  signer: Pick<ConsentSigner, 'privateKey' | 'certificateChainDer'>,
): Promise<string[]> {
  const view = await parties.pki.view();
  const next = view.next;
  if (next === undefined) {
    throw new FailedPreconditionError('no root rotation is prepared (PrepareRootRotation first)');
  }
  const contracts = await parties.repository.list('active');
  const statuses = new Map(
    rotationStatus(contracts, parties.trustDomain, next.sha256).map((status) => [status.contractId, status]),
  );
  const targets: AnnouncementTarget[] = contracts.flatMap((contract) => {
    const status = statuses.get(contract.id);
    if (status === undefined || status.isAnnounced) return [];
    return [
      {
        contractId: contract.id,
        contractTermsSha256: contractTermsSha256(contract),
        previousRootSha256: status.currentRootSha256,
      },
    ];
  });
  if (targets.length === 0) return [];
  const signed = await parties.pki.signAnnouncements(targets);
  for (const announcement of signed) {
    const approval = await signRootAnnouncementAsApprover(announcement, signer);
    await parties.repository.announceRoot(announcement.contractId, {
      ...announcement,
      approverSignature: approval.signature,
      approverCertificateChainDer: approval.certificateChainDer,
    });
  }
  return targets.map((target) => target.contractId);
}

/**
 * Activates the prepared root once it is safe: announced in every active contract of the zone and
 * acknowledged there by every partner's provider (so every partner trusts it before anything is
 * signed with it); `isForced` skips only the acknowledgement check. Then posts the activation (the
 * replaced root's retirement time) to every contract that carries the announcement.
 */
export async function activatePreparedRoot(
  parties: RotationParties,
  isForced: boolean,
): Promise<RootActivation> {
  const view = await parties.pki.view();
  const next = view.next;
  if (next === undefined) {
    throw new FailedPreconditionError('no root rotation is prepared (PrepareRootRotation first)');
  }
  const statuses = rotationStatus(await parties.repository.list('active'), parties.trustDomain, next.sha256);
  const unannounced = statuses.filter((status) => !status.isAnnounced).map((status) => status.contractId);
  if (unannounced.length > 0) {
    throw new FailedPreconditionError(
      `the prepared root is not announced in contract(s) ${unannounced.join(', ')} (announce it first)`,
    );
  }
  const pending = statuses.filter((status) => status.pendingPartners.length > 0);
  if (pending.length > 0 && !isForced) {
    throw new FailedPreconditionError(
      `partners have not installed the prepared root yet: ${pending
        .map((status) => `${status.contractId} (${status.pendingPartners.join(', ')})`)
        .join('; ')}; calls signed by it would fail there (retry, or --force)`,
    );
  }
  const activation = await parties.pki.activate();
  await postActivation(parties, activation);
  return activation;
}

/**
 * Posts `activation` to every active contract that carries its announcement (again after a
 * partial failure: a repeated activation changes nothing).
 */
export async function postActivation(parties: RotationParties, activation: RootActivation): Promise<void> {
  for (const contract of await parties.repository.list('active')) {
    const carries = contract.rootRotations.some(
      (rotation: ContractRootRotation) =>
        rotation.announcement.trustDomain === activation.trustDomain &&
        rotation.announcement.rootSha256 === activation.rootSha256,
    );
    if (carries) await parties.repository.activateRoot(contract.id, activation);
  }
}

/**
 * The emergency path (docs/root-rotation.md): the PKI revokes every root it holds (each revocation
 * signed by that root's own key) and signs with a fresh root at once; the revocations go to every
 * active contract of the zone, where every partner drops the revoked roots and everything they
 * vouched for. The contracts are listed before the switch and the revocations posted right after:
 * from then on the zone's own identities chain to the fresh root, which the repository learns only
 * when it re-reads the zone's roots. Trust in the fresh root needs new contracts approved by every
 * participant. Returns the fresh root's fingerprint and the ids of the contracts revoked in.
 */
export async function emergencyRotateRoot(
  parties: RotationParties,
  reason: string,
): Promise<{ rootSha256: string; contractIds: string[] }> {
  const contracts = (await parties.repository.list('active')).flatMap((contract) => {
    const own = participantOfTrustDomain(contract, parties.trustDomain);
    if (own === undefined) return [];
    const { links } = participantRootChain(contract, own);
    return [{ id: contract.id, roots: new Set(links.map((link) => link.root.rootSha256)) }];
  });
  const { signing, revocations } = await parties.pki.emergency(reason);
  const contractIds: string[] = [];
  for (const contract of contracts) {
    const inContract = revocations.filter((revocation) => contract.roots.has(revocation.rootSha256));
    for (const revocation of inContract) await parties.repository.revokeRoot(contract.id, revocation);
    if (inContract.length > 0) contractIds.push(contract.id);
  }
  return { rootSha256: signing.sha256, contractIds };
}

/**
 * Cancels the zone's prepared root before it signs anything: the PKI drops it and returns its
 * revocation (signed by the cancelled root's own key), which goes to every active contract that
 * carries its announcement, so partners drop it from their bundles at once instead of keeping it
 * until it expires. Returns the cancelled root's fingerprint and the ids of the contracts revoked in.
 */
export async function cancelPreparedRoot(
  parties: RotationParties,
  reason: string,
): Promise<{ rootSha256: string; contractIds: string[] }> {
  const next = (await parties.pki.view()).next;
  if (next === undefined) {
    throw new FailedPreconditionError('no root rotation is prepared: there is nothing to cancel');
  }
  const announcedIn = rotationStatus(
    await parties.repository.list('active'),
    parties.trustDomain,
    next.sha256,
  )
    .filter((status) => status.isAnnounced)
    .map((status) => status.contractId);
  const revocation = await parties.pki.cancel(reason);
  for (const contractId of announcedIn) await parties.repository.revokeRoot(contractId, revocation);
  return { rootSha256: revocation.rootSha256, contractIds: announcedIn };
}
