import type { X509Certificate } from 'node:crypto';
import type { ContractRootRotation, RootRevocation } from './root-rotation.js';
import type { ConsentTimestamp } from './consent-timestamp.js';

/**
 * Where a contract is in its life. `proposed` until every participant has approved it, then
 * `active`; `revoked` is terminal (trust comes back only through a new contract).
 */
export type ContractState = 'proposed' | 'active' | 'revoked';

/**
 * A trust zone as it appears in a contract. `root` is the parsed `rootPem`, kept beside the PEM so
 * that approval verification never parses the same input twice (and never differently).
 */
export interface ContractParticipant {
  /** Zone name, a DNS label such as `zone-a`. */
  readonly name: string;
  /** SPIFFE trust domain of the zone, e.g. `zone-a.example`. */
  readonly trustDomain: string;
  /** The zone's root CA certificate as one PEM block. */
  readonly rootPem: string;
  /** Lower-case hex SHA-256 of the root's DER: what signers commit to in the canonical bytes. */
  readonly rootSha256: string;
  /** The parsed root, a self-signed CA. */
  readonly root: X509Certificate;
}

/**
 * A participant's signed statement about a contract, made by one of its designated approvers:
 * an approval (over the canonical approval bytes) or a revocation (over the canonical revocation
 * bytes), see canonical-consent.ts. Both are signed, timestamped and verified alike
 * (consent-signature.ts).
 */
export interface ParticipantSignature {
  /** Name of the signing participant. */
  readonly participant: string;
  /** ECDSA P-256 / SHA-256 signature in IEEE P1363 (r || s) form. */
  readonly signature: Uint8Array;
  /** DER certificates, signer first; the last is the participant's root or is issued by it. */
  readonly certificateChainDer: readonly Uint8Array[];
  /** When the signer says it signed (whole milliseconds); part of the signed bytes. */
  readonly signedAt: Date;
  /**
   * The signer's zone PKI's countersignature of `signature`: the time the signer's certificate is
   * checked at. Absent only in statements stored before timestamps existed, which never verify.
   */
  readonly timestamp: ConsentTimestamp | undefined;
}

/** One participant's consent to a contract. */
export type ContractApproval = ParticipantSignature;

/**
 * Who revoked a contract, when and why. `revokedBy` and `revokedAt` are the repository's record of
 * the call; `signed` is the revoking participant's own signature over the canonical revocation
 * bytes (reason included), which anyone can verify (`verifyRevocation`).
 */
export interface ContractRevocation {
  /** SPIFFE ID (URI) of the caller that revoked the contract. */
  readonly revokedBy: string;
  readonly revokedAt: Date;
  readonly reason: string;
  /** The revoking participant's signature; absent only in revocations stored before they were signed. */
  readonly signed: ParticipantSignature | undefined;
}

/**
 * A set of zones that agree to trust each other's roots, with the consent collected so far. It is
 * the one domain shape shared by the repository, the provider and accordctl; only the codec in
 * contract-codec.ts converts it to and from protobuf.
 */
export interface TrustContract {
  /** A DNS label chosen by the proposer, or a UUID assigned by the repository. */
  readonly id: string;
  /** Two or more participants, distinct by name and trust domain, in proposal order. */
  readonly participants: readonly ContractParticipant[];
  readonly state: ContractState;
  /** At most one approval per participant. */
  readonly approvals: readonly ContractApproval[];
  /** SPIFFE ID (URI) of the proposer. */
  readonly proposedBy: string;
  /** When the repository accepted the proposal (whole milliseconds); part of the signed bytes. */
  readonly createdAt: Date;
  readonly revocation: ContractRevocation | undefined;
  /** Audit sequence number of the contract's latest change. */
  readonly revision: number;
  /**
   * Participants' announced next roots, in the order the repository accepted them, each with its
   * activation and the partners that installed it (docs/root-rotation.md). Verified by every
   * reader (`contractRootChains`), never taken on the repository's word.
   */
  readonly rootRotations: readonly ContractRootRotation[];
  /** Participants' revocations of their own roots (emergency or cancelled rotations). */
  readonly rootRevocations: readonly RootRevocation[];
}

/** The part of a contract that approvals sign: who participates, in which contract, proposed when. */
export type ContractTerms = Pick<TrustContract, 'id' | 'participants' | 'createdAt'>;

/** Finds a participant by name, so callers do not each write the same lookup. */
export function participantNamed(
  contract: Pick<TrustContract, 'participants'>,
  name: string,
): ContractParticipant | undefined {
  return contract.participants.find((participant) => participant.name === name);
}

/** Finds the participant a trust domain belongs to: how a zone caller is matched to its place in a contract. */
export function participantOfTrustDomain(
  contract: Pick<TrustContract, 'participants'>,
  trustDomain: string,
): ContractParticipant | undefined {
  return contract.participants.find((participant) => participant.trustDomain === trustDomain);
}
