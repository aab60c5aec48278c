import { timestampDate } from '@bufbuild/protobuf/wkt';
import type {
  AnnouncementTarget,
  PkiSignedAnnouncement,
  RootActivation,
  RootRevocation,
  ZoneRootRotationView,
  ZoneRootView,
} from '../contract/root-rotation.js';
import {
  pkiSignedAnnouncementFromProto,
  rootActivationFromProto,
  rootRevocationFromProto,
} from '../contract/root-rotation-codec.js';
import { InvalidArgumentError } from '../errors/accord-error.js';
import type { GrpcClient } from '../grpc/grpc-client.js';
import type { PkiService, ZoneRoot } from '../../proto/gen/accord/pki/v1/pki_pb.js';

/**
 * A zone PKI's root rotation calls, in domain types (docs/root-rotation.md). accordctl and the
 * tests drive a rotation through this; the gRPC adapter below is its only protobuf code. Every
 * call but `view` must be made as one of the zone's designated approvers (mTLS).
 */
export interface PkiRootRotationClient {
  view(): Promise<ZoneRootRotationView>;
  prepare(): Promise<ZoneRootView>;
  signAnnouncements(targets: readonly AnnouncementTarget[]): Promise<PkiSignedAnnouncement[]>;
  activate(): Promise<RootActivation>;
  cancel(reason: string): Promise<RootRevocation>;
  emergency(reason: string): Promise<{ signing: ZoneRootView; revocations: RootRevocation[] }>;
}

/** The rotation calls of `pki` (opened as the approver) as a `PkiRootRotationClient`. */
export function pkiRootRotationOverGrpc(pki: GrpcClient<typeof PkiService>): PkiRootRotationClient {
  return {
    view: async () => {
      const response = await pki.getRootRotation({});
      return {
        trustDomain: response.trustDomain,
        signing: zoneRootFromProto(response.signing, 'signing'),
        next: response.next === undefined ? undefined : zoneRootFromProto(response.next, 'next'),
        retiring: response.retiring.map((root, index) => zoneRootFromProto(root, `retiring[${index}]`)),
        activation:
          response.activation === undefined
            ? undefined
            : rootActivationFromProto(response.activation, 'activation'),
        revocations: response.revocations.map((revocation, index) =>
          rootRevocationFromProto(revocation, `revocations[${index}]`),
        ),
      };
    },
    prepare: async () => zoneRootFromProto((await pki.prepareRootRotation({})).next, 'next'),
    signAnnouncements: async (targets) => {
      const response = await pki.signRootAnnouncements({ targets: [...targets] });
      if (response.announcements.length !== targets.length) {
        throw new InvalidArgumentError(
          `SignRootAnnouncements answered ${response.announcements.length} announcements for ${targets.length} targets`,
        );
      }
      return targets.map((target, index) =>
        pkiSignedAnnouncementFromProto(
          response.announcements[index],
          target.contractId,
          `announcements[${index}]`,
        ),
      );
    },
    activate: async () =>
      rootActivationFromProto((await pki.activateRootRotation({})).activation, 'activation'),
    cancel: async (reason) =>
      rootRevocationFromProto((await pki.cancelRootRotation({ reason })).revocation, 'revocation'),
    emergency: async (reason) => {
      const response = await pki.emergencyRotateRoot({ reason });
      return {
        signing: zoneRootFromProto(response.signing, 'signing'),
        revocations: response.revocations.map((revocation, index) =>
          rootRevocationFromProto(revocation, `revocations[${index}]`),
        ),
      };
    },
  };
}

function zoneRootFromProto(message: ZoneRoot | undefined, field: string): ZoneRootView {
  if (message === undefined) throw new InvalidArgumentError(`${field}: required`);
  return {
    certificatePem: message.certificate,
    sha256: message.sha256,
    sequence: Number(message.sequence),
    ...(message.preparedAt === undefined ? {} : { preparedAt: timestampDate(message.preparedAt) }),
    ...(message.activatableAt === undefined ? {} : { activatableAt: timestampDate(message.activatableAt) }),
    ...(message.retireAfter === undefined ? {} : { retireAfter: timestampDate(message.retireAfter) }),
  };
}
