import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  RootAcknowledgementSchema,
  RootActivationSchema,
  RootAnnouncementSchema,
  RootRevocationSchema,
  RootRotationSchema,
  type RootActivation as ProtoRootActivation,
  type RootAnnouncement as ProtoRootAnnouncement,
  type RootRevocation as ProtoRootRevocation,
  type RootRotation as ProtoRootRotation,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { quoteUntrusted } from '../errors/quote-untrusted.js';
import { isValidTrustDomain } from '../spiffe/spiffe-id.js';
import { sha256Hex } from '../x509/fingerprint.js';
import { dateFromProto } from './contract-codec.js';
import { contractLimits } from './contract-limits.js';
import type {
  ContractRootRotation,
  PkiSignedAnnouncement,
  RootActivation,
  RootAnnouncement,
  RootRevocation,
} from './root-rotation.js';
import { parseRoot } from './validate-proposal.js';

/** Bounds on root statements, enforced on the wire by the repository and when decoding contracts. */
export const rootRotationLimits = {
  /** Announced roots one contract carries: a root rotation a year for decades, for 32 participants. */
  maxRotationsPerContract: 256,
  /** Root revocations one contract carries. */
  maxRevocationsPerContract: 256,
} as const;

const p1363SignatureBytes = 64;

/**
 * Decodes an announcement (AnnounceRoot's input, or one carried by a contract) of contract
 * `contractId`: shape only, the new root parsed and matched to its fingerprint.
 * `verifyRootAnnouncement` (through `contractRootChains`) decides whether it counts.
 */
export function rootAnnouncementFromProto(
  message: ProtoRootAnnouncement | undefined,
  contractId: string,
  field: string,
): RootAnnouncement {
  const signed = pkiSignedAnnouncementFromProto(message, contractId, field);
  if (message === undefined || message.approverCertificateChain.length === 0)
    throw new InvalidArgumentError(`${field}.approver_certificate_chain: required`);
  return {
    ...signed,
    approverSignature: signatureField(message.approverSignature, `${field}.approver_signature`),
    approverCertificateChainDer: message.approverCertificateChain,
  };
}

/**
 * Decodes an announcement as the zone PKI returns it (SignRootAnnouncements): signed by the
 * replaced root's key, still without the approver's signature. Shape only, as above.
 */
export function pkiSignedAnnouncementFromProto(
  message: ProtoRootAnnouncement | undefined,
  contractId: string,
  field: string,
): PkiSignedAnnouncement {
  if (message === undefined) throw new InvalidArgumentError(`${field}: required`);
  const root = parseRoot(message.root, `${field}.root`);
  const rootSha256 = sha256Field(message.rootSha256, `${field}.root_sha256`);
  if (sha256Hex(new Uint8Array(root.raw)) !== rootSha256) {
    throw new InvalidArgumentError(`${field}.root_sha256: does not match the SHA-256 of root's DER`);
  }
  return {
    contractId,
    contractTermsSha256: sha256Field(message.contractTermsSha256, `${field}.contract_terms_sha256`),
    trustDomain: trustDomainField(message.trustDomain, `${field}.trust_domain`),
    sequence: sequenceField(message.sequence, `${field}.sequence`),
    previousRootSha256: sha256Field(message.previousRootSha256, `${field}.previous_root_sha256`),
    rootSha256,
    announcedAt: dateFromProto(message.announcedAt, `${field}.announced_at`),
    rootPem: root.toString(),
    root,
    previousRootSignature: signatureField(message.previousRootSignature, `${field}.previous_root_signature`),
  };
}

/** Encodes an announcement for the wire. */
export function rootAnnouncementToProto(announcement: RootAnnouncement): ProtoRootAnnouncement {
  return create(RootAnnouncementSchema, {
    trustDomain: announcement.trustDomain,
    sequence: BigInt(announcement.sequence),
    previousRootSha256: announcement.previousRootSha256,
    root: announcement.rootPem,
    rootSha256: announcement.rootSha256,
    announcedAt: timestampFromDate(announcement.announcedAt),
    contractTermsSha256: announcement.contractTermsSha256,
    previousRootSignature: announcement.previousRootSignature,
    approverSignature: announcement.approverSignature,
    approverCertificateChain: [...announcement.approverCertificateChainDer],
  });
}

/** Decodes an activation (ActivateRoot's input, a carried one, or the PKI's answer): shape only. */
export function rootActivationFromProto(
  message: ProtoRootActivation | undefined,
  field: string,
): RootActivation {
  if (message === undefined) throw new InvalidArgumentError(`${field}: required`);
  return {
    trustDomain: trustDomainField(message.trustDomain, `${field}.trust_domain`),
    sequence: sequenceField(message.sequence, `${field}.sequence`),
    previousRootSha256: sha256Field(message.previousRootSha256, `${field}.previous_root_sha256`),
    rootSha256: sha256Field(message.rootSha256, `${field}.root_sha256`),
    activatedAt: dateFromProto(message.activatedAt, `${field}.activated_at`),
    previousRootRetireAfter: dateFromProto(
      message.previousRootRetireAfter,
      `${field}.previous_root_retire_after`,
    ),
    signature: signatureField(message.signature, `${field}.signature`),
  };
}

/** Encodes an activation for the wire. */
export function rootActivationToProto(activation: RootActivation): ProtoRootActivation {
  return create(RootActivationSchema, {
    trustDomain: activation.trustDomain,
    sequence: BigInt(activation.sequence),
    previousRootSha256: activation.previousRootSha256,
    rootSha256: activation.rootSha256,
    activatedAt: timestampFromDate(activation.activatedAt),
    previousRootRetireAfter: timestampFromDate(activation.previousRootRetireAfter),
    signature: activation.signature,
  });
}

/** Decodes a root revocation (RevokeRoot's input, a carried one, or the PKI's answer): shape only. */
export function rootRevocationFromProto(
  message: ProtoRootRevocation | undefined,
  field: string,
): RootRevocation {
  if (message === undefined) throw new InvalidArgumentError(`${field}: required`);
  if (message.reason.length > contractLimits.maxRevocationReasonLength) {
    throw new InvalidArgumentError(
      `${field}.reason: longer than ${contractLimits.maxRevocationReasonLength} characters`,
    );
  }
  return {
    trustDomain: trustDomainField(message.trustDomain, `${field}.trust_domain`),
    rootSha256: sha256Field(message.rootSha256, `${field}.root_sha256`),
    revokedAt: dateFromProto(message.revokedAt, `${field}.revoked_at`),
    reason: message.reason,
    signature: signatureField(message.signature, `${field}.signature`),
  };
}

/** Encodes a root revocation for the wire. */
export function rootRevocationToProto(revocation: RootRevocation): ProtoRootRevocation {
  return create(RootRevocationSchema, {
    trustDomain: revocation.trustDomain,
    rootSha256: revocation.rootSha256,
    revokedAt: timestampFromDate(revocation.revokedAt),
    reason: revocation.reason,
    signature: revocation.signature,
  });
}

/** Decodes what a contract carries about one announced root. */
export function rootRotationFromProto(
  message: ProtoRootRotation,
  contractId: string,
  field: string,
): ContractRootRotation {
  return {
    announcement: rootAnnouncementFromProto(message.announcement, contractId, `${field}.announcement`),
    activation:
      message.activation === undefined
        ? undefined
        : rootActivationFromProto(message.activation, `${field}.activation`),
    acknowledgements: message.acknowledgements.map((acknowledgement, index) => ({
      trustDomain: trustDomainField(
        acknowledgement.trustDomain,
        `${field}.acknowledgements[${index}].trust_domain`,
      ),
      acknowledgedBy: acknowledgement.acknowledgedBy,
      acknowledgedAt: dateFromProto(
        acknowledgement.acknowledgedAt,
        `${field}.acknowledgements[${index}].acknowledged_at`,
      ),
    })),
  };
}

/** Encodes what a contract carries about one announced root. */
export function rootRotationToProto(rotation: ContractRootRotation): ProtoRootRotation {
  return create(RootRotationSchema, {
    announcement: rootAnnouncementToProto(rotation.announcement),
    ...(rotation.activation === undefined ? {} : { activation: rootActivationToProto(rotation.activation) }),
    acknowledgements: rotation.acknowledgements.map((acknowledgement) =>
      create(RootAcknowledgementSchema, {
        trustDomain: acknowledgement.trustDomain,
        acknowledgedBy: acknowledgement.acknowledgedBy,
        acknowledgedAt: timestampFromDate(acknowledgement.acknowledgedAt),
      }),
    ),
  });
}

/** A lower-case hex SHA-256 as the wire carries fingerprints (compared case-insensitively). */
export function sha256Field(value: string, field: string): string {
  const hex = value.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new InvalidArgumentError(
      `${field}: must be 64 hex digits (a SHA-256), got ${quoteUntrusted(value)}`,
    );
  }
  return hex;
}

function trustDomainField(value: string, field: string): string {
  if (!isValidTrustDomain(value)) {
    throw new InvalidArgumentError(`${field}: ${quoteUntrusted(value)} is not a valid SPIFFE trust domain`);
  }
  return value;
}

function sequenceField(value: bigint, field: string): number {
  if (value < 1n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${field}: must be a positive integer`);
  }
  return Number(value);
}

function signatureField(value: Uint8Array, field: string): Uint8Array {
  if (value.byteLength !== p1363SignatureBytes) {
    throw new InvalidArgumentError(
      `${field}: must be a ${p1363SignatureBytes}-byte IEEE P1363 ECDSA P-256 signature, got ${value.byteLength} bytes`,
    );
  }
  return value;
}
