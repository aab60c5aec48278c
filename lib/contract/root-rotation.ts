import type { X509Certificate } from 'node:crypto';
import { reservedComponentPath } from './zone-approvers.js';

/**
 * The terms a zone signs when it announces, in one contract, the root that will replace the root
 * it holds there (docs/root-rotation.md). Binding the contract (id and terms hash) keeps an
 * announcement from being replayed into another contract, in particular into one that was revoked;
 * binding the trust domain, the replaced root and the zone's rotation sequence keeps it from being
 * replayed for another zone or from an earlier rotation.
 */
export interface RootAnnouncementTerms {
  readonly contractId: string;
  /** `contractTermsSha256` of the contract: id, creation time, participants and pinned roots. */
  readonly contractTermsSha256: string;
  /** The announcing zone. */
  readonly trustDomain: string;
  /** The zone's rotation counter: 1 for its first rotation; grows along every chain of roots. */
  readonly sequence: number;
  /** Lower-case hex SHA-256 of the root being replaced: the pinned one or an earlier announced one. */
  readonly previousRootSha256: string;
  /** Lower-case hex SHA-256 of the new root's DER: binds the whole certificate, validity included. */
  readonly rootSha256: string;
  /** When the zone's PKI signed it (whole milliseconds); the approver is checked at this time. */
  readonly announcedAt: Date;
}

/**
 * A zone's announced next root in one contract, signed twice over the canonical announcement
 * bytes: by the key of the root it replaces (key continuity: what the partners trusted vouches for
 * what replaces it) and by one of the zone's designated approvers (the zone's consent).
 */
export interface RootAnnouncement extends RootAnnouncementTerms {
  /** The new root, one PEM block. */
  readonly rootPem: string;
  /** The parsed new root: a self-signed P-256 CA naming the zone's trust domain. */
  readonly root: X509Certificate;
  /** ECDSA P-256 / SHA-256 (IEEE P1363) by the replaced root's key. */
  readonly previousRootSignature: Uint8Array;
  /** ECDSA P-256 / SHA-256 (IEEE P1363) by the approver's key. */
  readonly approverSignature: Uint8Array;
  /** DER certificates, the approver's SVID first, optionally followed by the root that issued it. */
  readonly approverCertificateChainDer: readonly Uint8Array[];
}

/**
 * A zone's statement that its announced root signs from `activatedAt`, and that the root it
 * replaced leaves every bundle after `previousRootRetireAfter` (when the last certificate it signed
 * has expired). Signed by the new root's key. It only narrows trust (it ends the old root's
 * overlap), so it needs no approver; it names no contract, so the same statement serves them all.
 */
export interface RootActivation {
  readonly trustDomain: string;
  readonly sequence: number;
  readonly previousRootSha256: string;
  readonly rootSha256: string;
  readonly activatedAt: Date;
  readonly previousRootRetireAfter: Date;
  /** ECDSA P-256 / SHA-256 (IEEE P1363) by the new root's key. */
  readonly signature: Uint8Array;
}

/**
 * A zone's statement that one of its roots must never be trusted again (an emergency rotation, or a
 * cancelled one). Signed by the revoked root's own key: whoever holds it may end its trust (which
 * only narrows trust), and it is the one key every partner can check even when the zone's new root
 * is not trusted yet. Every root reached only through the revoked root's continuity is dropped too.
 */
export interface RootRevocation {
  readonly trustDomain: string;
  readonly rootSha256: string;
  readonly revokedAt: Date;
  /** Free text, bound by its SHA-256. */
  readonly reason: string;
  /** ECDSA P-256 / SHA-256 (IEEE P1363) by the revoked root's key. */
  readonly signature: Uint8Array;
}

/**
 * A partner zone's provider reporting that it installed an announced root (repository state, not
 * a signature: the repository records who said so, authenticated by mTLS, in the audit log).
 */
export interface RootAcknowledgement {
  /** The acknowledging zone. */
  readonly trustDomain: string;
  /** SPIFFE ID of the provider that acknowledged. */
  readonly acknowledgedBy: string;
  readonly acknowledgedAt: Date;
}

/** Everything a contract carries about one announced root: the announcement, its activation, who installed it. */
export interface ContractRootRotation {
  readonly announcement: RootAnnouncement;
  readonly activation: RootActivation | undefined;
  readonly acknowledgements: readonly RootAcknowledgement[];
}

/**
 * The SPIFFE ID path of a zone's contract provider (in the reserved `/accord` namespace, so no
 * workload holds it): the one identity whose acknowledgement of an installed root counts.
 */
export const contractProviderSpiffePath = `${reservedComponentPath}/contract-provider`;

/** One root of the zone as GetRootRotation shows it. */
export interface ZoneRootView {
  readonly certificatePem: string;
  readonly sha256: string;
  /** The rotation that made it (0: the zone's first root). */
  readonly sequence: number;
  readonly preparedAt?: Date;
  readonly activatableAt?: Date;
  readonly retireAfter?: Date;
}

/** The zone's roots by role, its latest activation and its root revocations (all public). */
export interface ZoneRootRotationView {
  readonly trustDomain: string;
  readonly signing: ZoneRootView;
  readonly next: ZoneRootView | undefined;
  readonly retiring: readonly ZoneRootView[];
  readonly activation: RootActivation | undefined;
  readonly revocations: readonly RootRevocation[];
}

/** One contract to announce the prepared root to, as the approver names it. */
export interface AnnouncementTarget {
  readonly contractId: string;
  readonly contractTermsSha256: string;
  /** The root the announcement replaces in that contract. */
  readonly previousRootSha256: string;
}

/** An announcement the PKI signed with the replaced root's key, waiting for the approver's signature. */
export type PkiSignedAnnouncement = Omit<
  RootAnnouncement,
  'approverSignature' | 'approverCertificateChainDer'
>;
