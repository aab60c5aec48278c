import { fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  RootActivationSchema,
  RootAnnouncementSchema,
  RootRevocationSchema,
  RootRotationSchema,
  type RootActivation as ProtoRootActivation,
  type RootAnnouncement as ProtoRootAnnouncement,
  type RootRevocation as ProtoRootRevocation,
  type RootRotation as ProtoRootRotation,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { proposedContract } from '../../test/support/test-contracts.js';
import { activateRoot, announceRoot, revokeRoot } from '../../test/support/test-root-rotation.js';
import {
  createTestRoot,
  createTestZone,
  type TestRoot,
  type TestZone,
} from '../../test/support/test-zone.js';
import { toWireStatus } from '../grpc/grpc-status.js';
import { contractLimits } from './contract-limits.js';
import type {
  ContractRootRotation,
  RootActivation,
  RootAnnouncement,
  RootRevocation,
} from './root-rotation.js';
import {
  pkiSignedAnnouncementFromProto,
  rootActivationFromProto,
  rootActivationToProto,
  rootAnnouncementFromProto,
  rootAnnouncementToProto,
  rootRevocationFromProto,
  rootRevocationToProto,
  rootRotationFromProto,
  rootRotationToProto,
  sha256Field,
} from './root-rotation-codec.js';

// The wire decoding of root statements (docs/root-rotation.md): what the repository's
// AnnounceRoot, ActivateRoot and RevokeRoot accept, what a contract carries, and what a zone PKI
// answers. Shape only: the signatures are verified elsewhere (root-statement-signature.ts), so
// each refusal here is a malformed field named with its path, as INVALID_ARGUMENT.

const hourMs = 60 * 60 * 1000;
const hexA = 'a'.repeat(64);

let a: TestZone;
let b: TestZone;
let a1: TestRoot;
let announcement: RootAnnouncement;
let activation: RootActivation;
let revocation: RootRevocation;

beforeAll(async () => {
  [a, b, a1] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestRoot('zone-a.example'),
  ]);
  announcement = await announceRoot(proposedContract('ab', [a, b]), a, a1, a.admin);
  activation = activateRoot(a, a1, 1, new Date(Math.floor(Date.now())), hourMs);
  revocation = revokeRoot(a1, 'the key left the HSM');
});

/** `message` as a receiver decodes it: through protobuf binary, so nothing unencoded survives. */
function overTheWire<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): MessageShape<Desc> {
  return fromBinary(schema, toBinary(schema, message));
}

/** The status a server would answer with for what `decode` throws (it must throw). */
function refusal(decode: () => unknown): ReturnType<typeof toWireStatus> {
  try {
    decode();
  } catch (error) {
    return toWireStatus(error);
  }
  throw new Error('decoded without a refusal');
}

/** INVALID_ARGUMENT with exactly `details`. */
function invalid(details: string): ReturnType<typeof toWireStatus> {
  return { code: GrpcStatus.INVALID_ARGUMENT, details, isInternal: false };
}

/** A decoded announcement with its parsed root replaced by its DER, which `toEqual` can compare. */
function comparable<T extends { root: { raw: Buffer } }>(decoded: T): Omit<T, 'root'> & { rootDer: Buffer } {
  const { root, ...rest } = decoded;
  return { ...rest, rootDer: root.raw };
}

const announcementProto = (): ProtoRootAnnouncement => rootAnnouncementToProto(announcement);
const activationProto = (): ProtoRootActivation => rootActivationToProto(activation);
const revocationProto = (): ProtoRootRevocation => rootRevocationToProto(revocation);

describe('root announcements', () => {
  it('round-trips a signed announcement through protobuf binary, every field kept', () => {
    const decoded = rootAnnouncementFromProto(
      overTheWire(RootAnnouncementSchema, announcementProto()),
      'ab',
      'announcement',
    );
    expect(comparable(decoded)).toEqual(comparable(announcement));
    expect(decoded.contractId).toBe('ab');
    expect(decoded.approverCertificateChainDer).toEqual([a.admin.certificateDer]);
  });

  it('names the contract it is decoded for, not one the message could claim', () => {
    expect(rootAnnouncementFromProto(announcementProto(), 'cd', 'announcement').contractId).toBe('cd');
  });

  it("decodes the PKI's answer without approver fields, and refuses it as an AnnounceRoot input", () => {
    const pkiSigned = overTheWire(RootAnnouncementSchema, {
      ...announcementProto(),
      approverSignature: new Uint8Array(),
      approverCertificateChain: [],
    });
    const { approverSignature, approverCertificateChainDer, ...terms } = announcement;
    expect(approverSignature.byteLength).toBe(64);
    expect(approverCertificateChainDer).toHaveLength(1);
    expect(comparable(pkiSignedAnnouncementFromProto(pkiSigned, 'ab', 'announcements[0]'))).toEqual(
      comparable(terms),
    );
    expect(refusal(() => rootAnnouncementFromProto(pkiSigned, 'ab', 'announcement'))).toEqual(
      invalid('announcement.approver_certificate_chain: required'),
    );
  });

  it('accepts fingerprints in upper case and keeps them in lower case', () => {
    const proto = announcementProto();
    const decoded = rootAnnouncementFromProto(
      {
        ...proto,
        rootSha256: proto.rootSha256.toUpperCase(),
        previousRootSha256: proto.previousRootSha256.toUpperCase(),
        contractTermsSha256: proto.contractTermsSha256.toUpperCase(),
      },
      'ab',
      'announcement',
    );
    expect([decoded.rootSha256, decoded.previousRootSha256, decoded.contractTermsSha256]).toEqual([
      a1.rootSha256,
      a.rootSha256,
      announcement.contractTermsSha256,
    ]);
  });

  it.each([
    { sequence: 1n, expected: 1 },
    { sequence: BigInt(Number.MAX_SAFE_INTEGER), expected: Number.MAX_SAFE_INTEGER },
  ])(
    'accepts sequence $sequence, the first and last that a number holds exactly',
    ({ sequence, expected }) => {
      expect(
        rootAnnouncementFromProto({ ...announcementProto(), sequence }, 'ab', 'announcement').sequence,
      ).toBe(expected);
    },
  );

  it.each<{ name: string; change: () => Partial<ProtoRootAnnouncement>; details: string }>([
    {
      name: 'no root',
      change: () => ({ root: '' }),
      details: 'announcement.root: required (the root CA certificate as PEM)',
    },
    {
      name: 'a root that is not PEM',
      change: () => ({ root: 'not a certificate' }),
      details: 'announcement.root: not a PEM certificate',
    },
    {
      name: 'a root fingerprint that is not hex',
      change: () => ({ rootSha256: 'z'.repeat(64) }),
      details: `announcement.root_sha256: must be 64 hex digits (a SHA-256), got "${'z'.repeat(64)}"`,
    },
    {
      name: "another root's fingerprint",
      change: () => ({ rootSha256: a.rootSha256 }),
      details: "announcement.root_sha256: does not match the SHA-256 of root's DER",
    },
    {
      name: 'a contract terms fingerprint of 63 digits',
      change: () => ({ contractTermsSha256: 'a'.repeat(63) }),
      details: `announcement.contract_terms_sha256: must be 64 hex digits (a SHA-256), got "${'a'.repeat(63)}"`,
    },
    {
      name: 'a trust domain with upper case',
      change: () => ({ trustDomain: 'Zone-A.example' }),
      details: 'announcement.trust_domain: "Zone-A.example" is not a valid SPIFFE trust domain',
    },
    {
      name: 'no trust domain',
      change: () => ({ trustDomain: '' }),
      details: 'announcement.trust_domain: "" is not a valid SPIFFE trust domain',
    },
    {
      name: 'sequence 0',
      change: () => ({ sequence: 0n }),
      details: 'announcement.sequence: must be a positive integer',
    },
    {
      name: 'a sequence a number cannot hold exactly',
      change: () => ({ sequence: BigInt(Number.MAX_SAFE_INTEGER) + 1n }),
      details: 'announcement.sequence: must be a positive integer',
    },
    {
      name: 'a previous root fingerprint with a letter beyond f',
      change: () => ({ previousRootSha256: `x${'a'.repeat(63)}` }),
      details: `announcement.previous_root_sha256: must be 64 hex digits (a SHA-256), got "x${'a'.repeat(63)}"`,
    },
    {
      name: 'no announcement time',
      change: () => ({ announcedAt: undefined }),
      details: 'announcement.announced_at: required',
    },
    {
      name: 'a 63-byte continuity signature',
      change: () => ({ previousRootSignature: new Uint8Array(63) }),
      details:
        'announcement.previous_root_signature: must be a 64-byte IEEE P1363 ECDSA P-256 signature, got 63 bytes',
    },
    {
      name: 'a 65-byte approver signature',
      change: () => ({ approverSignature: new Uint8Array(65) }),
      details:
        'announcement.approver_signature: must be a 64-byte IEEE P1363 ECDSA P-256 signature, got 65 bytes',
    },
    {
      name: 'a DER (ASN.1) approver signature',
      change: () => ({ approverSignature: new Uint8Array(70) }),
      details:
        'announcement.approver_signature: must be a 64-byte IEEE P1363 ECDSA P-256 signature, got 70 bytes',
    },
  ])('refuses $name as INVALID_ARGUMENT naming the field', ({ change, details }) => {
    expect(
      refusal(() => rootAnnouncementFromProto({ ...announcementProto(), ...change() }, 'ab', 'announcement')),
    ).toEqual(invalid(details));
  });

  it('refuses a missing announcement in both decoders', () => {
    expect(refusal(() => rootAnnouncementFromProto(undefined, 'ab', 'announcement'))).toEqual(
      invalid('announcement: required'),
    );
    expect(refusal(() => pkiSignedAnnouncementFromProto(undefined, 'ab', 'announcements[2]'))).toEqual(
      invalid('announcements[2]: required'),
    );
  });

  it("refuses a PKI answer's malformed continuity signature under the caller's field name", () => {
    expect(
      refusal(() =>
        pkiSignedAnnouncementFromProto(
          { ...announcementProto(), previousRootSignature: new Uint8Array() },
          'ab',
          'announcements[1]',
        ),
      ),
    ).toEqual(
      invalid(
        'announcements[1].previous_root_signature: must be a 64-byte IEEE P1363 ECDSA P-256 signature, got 0 bytes',
      ),
    );
  });
});

describe('sha256Field', () => {
  it('returns the fingerprint in lower case', () => {
    expect(sha256Field('0123456789ABCDEF'.repeat(4), 'f')).toBe('0123456789abcdef'.repeat(4));
    expect(sha256Field(hexA, 'f')).toBe(hexA);
  });

  // Values up to 64 characters are quoted whole, longer ones cut after 64 with their length.
  const cut65 = (head: string) => `"${head}…" (65 characters)`;
  it.each([
    ['63 digits', 'a'.repeat(63), `"${'a'.repeat(63)}"`],
    ['65 digits', 'a'.repeat(65), cut65(hexA)],
    ['a trailing character', `${hexA}x`, cut65(hexA)],
    ['a leading character', `x${hexA}`, cut65(`x${'a'.repeat(63)}`)],
    ['a non-hex digit', `${'a'.repeat(63)}g`, `"${'a'.repeat(63)}g"`],
    ['a trailing new line', `${hexA}\n`, cut65(hexA)],
    ['nothing', '', '""'],
  ])('refuses %s, quoting the value', (_name, value, shown) => {
    expect(refusal(() => sha256Field(value, 'root_sha256'))).toEqual(
      invalid(`root_sha256: must be 64 hex digits (a SHA-256), got ${shown}`),
    );
  });

  it('quotes a huge value bounded, with its length', () => {
    const huge = 'f'.repeat(900_000);
    expect(refusal(() => sha256Field(huge, 'root_sha256'))).toEqual(
      invalid(`root_sha256: must be 64 hex digits (a SHA-256), got "${'f'.repeat(64)}…" (900000 characters)`),
    );
  });
});

describe('root activations', () => {
  it('round-trips an activation through protobuf binary, every field kept', () => {
    const decoded = rootActivationFromProto(
      overTheWire(RootActivationSchema, activationProto()),
      'activation',
    );
    expect(decoded).toEqual(activation);
    expect(decoded.previousRootRetireAfter.getTime() - decoded.activatedAt.getTime()).toBe(hourMs);
  });

  it.each<{ name: string; change: Partial<ProtoRootActivation>; details: string }>([
    {
      name: 'an invalid trust domain',
      change: { trustDomain: 'zone a' },
      details: 'activation.trust_domain: "zone a" is not a valid SPIFFE trust domain',
    },
    {
      name: 'sequence 0',
      change: { sequence: 0n },
      details: 'activation.sequence: must be a positive integer',
    },
    {
      name: 'a malformed previous root fingerprint',
      change: { previousRootSha256: 'abc' },
      details: 'activation.previous_root_sha256: must be 64 hex digits (a SHA-256), got "abc"',
    },
    {
      name: 'a malformed root fingerprint',
      change: { rootSha256: '' },
      details: 'activation.root_sha256: must be 64 hex digits (a SHA-256), got ""',
    },
    {
      name: 'no activation time',
      change: { activatedAt: undefined },
      details: 'activation.activated_at: required',
    },
    {
      name: 'no retirement time of the previous root',
      change: { previousRootRetireAfter: undefined },
      details: 'activation.previous_root_retire_after: required',
    },
    {
      name: 'a retirement time with nanoseconds',
      change: { previousRootRetireAfter: { ...timestampFromDate(new Date(0)), nanos: 1 } },
      details: 'activation.previous_root_retire_after: must be a whole number of milliseconds',
    },
    {
      name: 'a 32-byte signature',
      change: { signature: new Uint8Array(32) },
      details: 'activation.signature: must be a 64-byte IEEE P1363 ECDSA P-256 signature, got 32 bytes',
    },
  ])('refuses $name as INVALID_ARGUMENT naming the field', ({ change, details }) => {
    expect(refusal(() => rootActivationFromProto({ ...activationProto(), ...change }, 'activation'))).toEqual(
      invalid(details),
    );
  });

  it('refuses a missing activation', () => {
    expect(refusal(() => rootActivationFromProto(undefined, 'activation'))).toEqual(
      invalid('activation: required'),
    );
  });
});

describe('root revocations', () => {
  it('round-trips a revocation through protobuf binary, every field kept', () => {
    expect(
      rootRevocationFromProto(overTheWire(RootRevocationSchema, revocationProto()), 'revocation'),
    ).toEqual(revocation);
  });

  it(`accepts a reason of ${contractLimits.maxRevocationReasonLength} characters and an empty one`, () => {
    const longest = 'r'.repeat(contractLimits.maxRevocationReasonLength);
    expect(rootRevocationFromProto({ ...revocationProto(), reason: longest }, 'revocation').reason).toBe(
      longest,
    );
    expect(rootRevocationFromProto({ ...revocationProto(), reason: '' }, 'revocation').reason).toBe('');
  });

  it.each<{ name: string; change: Partial<ProtoRootRevocation>; details: string }>([
    {
      name: 'a reason one character too long',
      change: { reason: 'r'.repeat(contractLimits.maxRevocationReasonLength + 1) },
      details: `revocation.reason: longer than ${contractLimits.maxRevocationReasonLength} characters`,
    },
    {
      name: 'an invalid trust domain',
      change: { trustDomain: 'zone-a.example/' },
      details: 'revocation.trust_domain: "zone-a.example/" is not a valid SPIFFE trust domain',
    },
    {
      name: 'a malformed root fingerprint',
      change: { rootSha256: 'sha256:abc' },
      details: 'revocation.root_sha256: must be 64 hex digits (a SHA-256), got "sha256:abc"',
    },
    {
      name: 'no revocation time',
      change: { revokedAt: undefined },
      details: 'revocation.revoked_at: required',
    },
    {
      name: 'no signature',
      change: { signature: new Uint8Array() },
      details: 'revocation.signature: must be a 64-byte IEEE P1363 ECDSA P-256 signature, got 0 bytes',
    },
  ])('refuses $name as INVALID_ARGUMENT naming the field', ({ change, details }) => {
    expect(refusal(() => rootRevocationFromProto({ ...revocationProto(), ...change }, 'revocation'))).toEqual(
      invalid(details),
    );
  });

  it('refuses a missing revocation', () => {
    expect(refusal(() => rootRevocationFromProto(undefined, 'revocations[3]'))).toEqual(
      invalid('revocations[3]: required'),
    );
  });
});

describe('root rotations carried by a contract', () => {
  const field = 'contract.root_rotations[0]';
  const acknowledgedAt = new Date(Math.floor(Date.now()));

  const rotation = (): ContractRootRotation => ({
    announcement,
    activation,
    acknowledgements: [
      {
        trustDomain: 'zone-b.example',
        acknowledgedBy: 'spiffe://zone-b.example/accord/contract-provider',
        acknowledgedAt,
      },
      {
        trustDomain: 'zone-c.example',
        acknowledgedBy: 'spiffe://zone-c.example/accord/contract-provider',
        acknowledgedAt: new Date(acknowledgedAt.getTime() + 1),
      },
    ],
  });

  /** A decoded rotation with the announcement's parsed root replaced by its DER. */
  const comparableRotation = (decoded: ContractRootRotation) => ({
    ...decoded,
    announcement: comparable(decoded.announcement),
  });

  it('round-trips an activated, acknowledged rotation through protobuf binary', () => {
    const decoded = rootRotationFromProto(
      overTheWire(RootRotationSchema, rootRotationToProto(rotation())),
      'ab',
      field,
    );
    expect(comparableRotation(decoded)).toEqual(comparableRotation(rotation()));
  });

  it('round-trips a rotation announced only: no activation on the wire, none decoded', () => {
    const announced: ContractRootRotation = { announcement, activation: undefined, acknowledgements: [] };
    const proto = rootRotationToProto(announced);
    expect(proto.activation).toBeUndefined();
    const decoded = rootRotationFromProto(overTheWire(RootRotationSchema, proto), 'ab', field);
    expect(comparableRotation(decoded)).toEqual(comparableRotation(announced));
    expect(decoded.activation).toBeUndefined();
  });

  it('decodes the announcement for the contract it is carried by', () => {
    expect(rootRotationFromProto(rootRotationToProto(rotation()), 'cd', field).announcement.contractId).toBe(
      'cd',
    );
  });

  it.each<{ name: string; change: (proto: ProtoRootRotation) => ProtoRootRotation; details: string }>([
    {
      name: 'no announcement',
      change: (proto) => ({ ...proto, announcement: undefined }),
      details: `${field}.announcement: required`,
    },
    {
      name: 'an announcement without approver chain',
      change: (proto) => ({
        ...proto,
        announcement: proto.announcement && { ...proto.announcement, approverCertificateChain: [] },
      }),
      details: `${field}.announcement.approver_certificate_chain: required`,
    },
    {
      name: 'a malformed activation',
      change: (proto) => ({
        ...proto,
        activation: proto.activation && { ...proto.activation, sequence: 0n },
      }),
      details: `${field}.activation.sequence: must be a positive integer`,
    },
    {
      name: "a second acknowledgement's invalid trust domain",
      change: (proto) => ({
        ...proto,
        acknowledgements: proto.acknowledgements.map((acknowledgement, index) =>
          index === 1 ? { ...acknowledgement, trustDomain: 'ZONE-C' } : acknowledgement,
        ),
      }),
      details: `${field}.acknowledgements[1].trust_domain: "ZONE-C" is not a valid SPIFFE trust domain`,
    },
    {
      name: "a second acknowledgement's missing time",
      change: (proto) => ({
        ...proto,
        acknowledgements: proto.acknowledgements.map((acknowledgement, index) =>
          index === 1 ? { ...acknowledgement, acknowledgedAt: undefined } : acknowledgement,
        ),
      }),
      details: `${field}.acknowledgements[1].acknowledged_at: required`,
    },
  ])('refuses $name, naming the carried field', ({ change, details }) => {
    expect(
      refusal(() => rootRotationFromProto(change(rootRotationToProto(rotation())), 'ab', field)),
    ).toEqual(invalid(details));
  });
});
