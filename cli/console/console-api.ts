// The typed API between the console's browser code (cli/console/web/) and the console process:
// one module both sides import. It holds types and constants only and imports nothing, so the
// browser's bundle stays small and its type check (cli/console/web/tsconfig.json) can read it; the
// process validates every request body against these types with the zod schemas of
// console-requests.ts.

/** The header that carries the session's CSRF token on every API request (docs/console.md, "Security"). */
export const csrfHeaderName = 'x-accord-csrf';

/** Who the console acts as: the SVID of the accordctl configuration it was started with. */
export interface ConsoleIdentity {
  /** SPIFFE ID of the SVID that authenticates to the repository and signs consent. */
  readonly spiffeId: string;
  readonly trustDomain: string;
  /** The zone's participant name in contracts the console proposes. */
  readonly zoneName: string;
  /** Whether the SVID is one of the zone's designated approvers (only those may approve or revoke). */
  readonly isApprover: boolean;
  /** When the SVID expires (RFC 3339). */
  readonly certificateNotAfter: string;
  /** The contract repository, host:port. */
  readonly repository: string;
  /** The zone root the console proposes with, or null when it has none (see `--zone-root`). */
  readonly zoneRootSha256: string | null;
}

/** A participant in a contract summary. */
export interface ParticipantSummary {
  readonly name: string;
  readonly trustDomain: string;
  readonly rootSha256: string;
  /** Its approval verified in the console process (never the repository's word). */
  readonly hasVerifiedApproval: boolean;
}

/** A contract as lists show it, approvals verified in the console process (accordctl's `ContractView`). */
export interface ContractSummary {
  readonly id: string;
  readonly state: string;
  readonly revision: number;
  readonly proposedBy: string;
  readonly createdAt: string;
  readonly participants: readonly ParticipantSummary[];
  readonly verifiedApprovals: number;
  readonly invalidApprovals: readonly { readonly participant: string; readonly reason: string }[];
  readonly isTrustEstablished: boolean;
  readonly revocation: {
    readonly revokedBy: string;
    readonly revokedAt: string;
    readonly reason: string;
  } | null;
  /** Proposed, this zone a participant, and no verified approval of it yet (`contracts list --pending`). */
  readonly awaitsYourApproval: boolean;
}

/** One zone of the trust graph, placed by the console process. */
export interface TrustGraphNode {
  readonly trustDomain: string;
  readonly name: string;
  readonly isSelf: boolean;
  readonly x: number;
  readonly y: number;
}

/** Two zones that trust each other now (`active`), or will once every participant approved (`proposed`). */
export interface TrustGraphEdge {
  readonly from: string;
  readonly to: string;
  readonly state: 'active' | 'proposed';
  readonly contracts: readonly string[];
}

/** Which zone trusts which, from the contracts the console sees, laid out on a circle. */
export interface TrustGraph {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly TrustGraphNode[];
  readonly edges: readonly TrustGraphEdge[];
}

/** One root a provider installed for a trusted zone. */
export interface InstalledRoot {
  readonly trustDomain: string;
  readonly sha256: string;
  readonly subject: string;
  readonly notAfter: string;
}

/** The zone's installed bundles: what its provider wrote, where, or why they cannot be read. */
export interface InstalledBundles {
  /** The bundle directory (local mode) or the namespaces of the bundle Secrets (cluster mode); null when not configured. */
  readonly source: string | null;
  readonly roots: readonly InstalledRoot[];
  readonly error: string | null;
}

/** The repository connection as the console process sees it. */
export interface RepositoryStatus {
  readonly state: 'connecting' | 'connected' | 'unavailable';
  /** Why it is not connected, in words. */
  readonly message: string | null;
}

/** The server-sent events of `GET /api/events`: a snapshot first, then every change. */
export type ConsoleEvent =
  | { readonly type: 'identity'; readonly identity: ConsoleIdentity }
  | { readonly type: 'repository'; readonly status: RepositoryStatus }
  | { readonly type: 'snapshot'; readonly contracts: readonly ContractSummary[] }
  | { readonly type: 'contract'; readonly contract: ContractSummary }
  | { readonly type: 'deleted'; readonly id: string }
  | { readonly type: 'malformed'; readonly id: string; readonly reason: string }
  | { readonly type: 'graph'; readonly graph: TrustGraph }
  | { readonly type: 'bundles'; readonly bundles: InstalledBundles };

/** A participant's root as the contract pins it, parsed in the console process. */
export interface ParticipantDetail extends ParticipantSummary {
  readonly rootSubject: string;
  readonly rootNotBefore: string;
  readonly rootNotAfter: string;
  readonly isRootValidNow: boolean;
}

/** An approval as stored, with the result of verifying it in the console process. */
export interface ApprovalDetail {
  readonly participant: string;
  /** The signer's SPIFFE ID, or null when its certificate does not parse. */
  readonly signer: string | null;
  readonly signedAt: string;
  readonly isVerified: boolean;
  readonly reason: string | null;
}

/**
 * Exactly what an approval by this console would sign: the canonical approval bytes (UTF-8 JSON,
 * lib/contract/canonical-consent.ts) for the console's participant at `signedAt`. The approval
 * request sends them back; the process signs only if the contract still yields the same bytes.
 */
export interface ConsentPreview {
  readonly participant: string;
  readonly signedAt: string;
  readonly canonicalBytes: string;
}

/** `GET /api/contracts/:id`. */
export interface ContractDetail {
  readonly contract: ContractSummary;
  readonly participants: readonly ParticipantDetail[];
  readonly approvals: readonly ApprovalDetail[];
  /** The participant this console speaks for, or null when its zone is not one. */
  readonly yourParticipant: string | null;
  /** What approving would sign; null when this zone cannot approve (not a participant, approved already, revoked). */
  readonly approvalPreview: ConsentPreview | null;
}

/** One audit entry for the timeline, verified in the console process. */
export interface AuditEntryView {
  readonly sequence: number;
  readonly time: string;
  readonly actor: string;
  readonly action: string;
  readonly contractId: string;
  /** The record's details in one line (canonical JSON), untrusted text. */
  readonly details: string;
  readonly hash: string;
}

/** `GET /api/audit`: the timeline, newest first, and what verifying the chain found. */
export interface AuditView {
  readonly entries: readonly AuditEntryView[];
  readonly entryCount: number;
  readonly head: { readonly sequence: number; readonly hash: string };
  readonly verification: { readonly isVerified: boolean; readonly message: string };
  /** The checkpoint `accordctl audit verify` saved for this repository, if any. */
  readonly checkpoint: {
    readonly path: string;
    readonly saved: { readonly sequence: number; readonly hash: string; readonly verifiedAt: string } | null;
  };
}

/** A root read from pasted or uploaded text, for the propose form. */
export interface InspectedRoot {
  readonly rootPem: string;
  readonly sha256: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

/** The answer of every action: what happened, in words, and the contract as it now stands. */
export interface ActionResult {
  readonly message: string;
  readonly contract: ContractSummary | null;
}

/** Every refusal: the gRPC status name (or HTTP reason) and the message, in words. */
export interface ApiError {
  readonly code: string;
  readonly message: string;
}

/** Largest request body the console reads. */
export const maxRequestBytes = 256 * 1024;

/** `POST /api/session`: exchange the one-time login token for a session. */
export interface LoginRequest {
  readonly token: string;
}

/** The answer to a login: the CSRF token to send in `x-accord-csrf`. */
export interface LoginResponse {
  readonly csrfToken: string;
}

/** `POST /api/roots/inspect`: PEM text or a SPIFFE bundle (JSON). */
export interface InspectRootRequest {
  readonly format: 'pem' | 'spiffe-bundle';
  readonly text: string;
}

/** `POST /api/contracts`: a contract between this zone and one partner. */
export interface ProposeRequest {
  /** A DNS label, or empty to let the repository assign one. */
  readonly id: string;
  readonly partner: { readonly name: string; readonly trustDomain: string; readonly rootPem: string };
  /** Approve as this zone right after proposing. */
  readonly approve: boolean;
}

/** `POST /api/contracts/:id/approve`: the preview the user confirmed. */
export interface ApproveRequest {
  readonly reviewed: { readonly signedAt: string; readonly canonicalBytes: string };
}

/** `POST /api/contracts/:id/revoke`: why (required, recorded in the contract and the audit log). */
export interface RevokeRequest {
  readonly reason: string;
}
