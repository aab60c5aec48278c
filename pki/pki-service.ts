import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { contractLimits } from '../lib/contract/contract-limits.js';
import {
  rootActivationToProto,
  rootAnnouncementToProto,
  rootRevocationToProto,
  sha256Field,
} from '../lib/contract/root-rotation-codec.js';
import { InvalidArgumentError } from '../lib/errors/accord-error.js';
import { registerService, type CallContext, type RegisteredService } from '../lib/grpc/grpc-server.js';
import { PkiService, ZoneRootSchema, type ZoneRoot } from '../proto/gen/accord/pki/v1/pki_pb.js';
import type { Authenticator } from './authenticator.js';
import type { PkiAuthority } from './pki-authority.js';
import type { ZoneRootView } from '../lib/contract/root-rotation.js';
import type { ZoneRootRotation } from './zone-root-rotation.js';

/** Announcement targets one SignRootAnnouncements call may name: every contract of a large zone, in one call. */
const maxAnnouncementTargets = 10_000;

/**
 * The `accord.pki.v1.PkiService` adapter: decodes requests, authenticates the caller through the
 * `Authenticator`, calls the `PkiAuthority` (and its `ZoneRootRotation`) and encodes the result.
 * Errors are domain errors that lib/grpc maps to status codes.
 */
export function createPkiService(
  authority: PkiAuthority,
  rotation: ZoneRootRotation,
  authenticator: Authenticator,
): RegisteredService {
  const caller = (context: CallContext) =>
    authenticator.authenticate({ peer: context.peer, bearerToken: context.bearerToken });
  return registerService(PkiService, {
    getCA: () => {
      const ca = authority.getCa();
      return Promise.resolve({
        trustDomain: ca.trustDomain,
        rootCertificates: ca.rootCertificatePems,
        activeRootHash: ca.activeRootHash,
      });
    },
    getBundle: async () => {
      const bundle = await authority.getBundle();
      return {
        trustDomain: bundle.trustDomain,
        bundleJson: bundle.bundleJson,
        sequence: BigInt(bundle.sequence),
      };
    },
    signCSR: async (request, context) => {
      const issued = await authority.signCsr(await caller(context), request.csr, request.ttlSeconds);
      return {
        spiffeId: issued.spiffeId.uri,
        certificate: issued.certificatePem,
        rootCertificates: issued.rootCertificatePems,
        expiresAt: timestampFromDate(issued.notAfter),
      };
    },
    issueWIT: async (request, context) => {
      const wit = await authority.issueWit(context.peer, request.ttlSeconds);
      return { token: wit.token, expiresAt: timestampFromDate(wit.expiresAt) };
    },
    getRootRotation: () => {
      const view = rotation.view(authority.clock.now());
      return Promise.resolve({
        trustDomain: view.trustDomain,
        signing: zoneRootToProto(view.signing),
        ...(view.next === undefined ? {} : { next: zoneRootToProto(view.next) }),
        retiring: view.retiring.map(zoneRootToProto),
        ...(view.activation === undefined ? {} : { activation: rootActivationToProto(view.activation) }),
        revocations: view.revocations.map(rootRevocationToProto),
      });
    },
    prepareRootRotation: async (_request, context) => ({
      next: zoneRootToProto(await rotation.prepare(await caller(context))),
    }),
    signRootAnnouncements: async (request, context) => {
      const identity = await caller(context);
      if (request.targets.length > maxAnnouncementTargets) {
        throw new InvalidArgumentError(`targets: at most ${maxAnnouncementTargets} per call`);
      }
      const targets = request.targets.map((target, index) => ({
        contractId: target.contractId,
        contractTermsSha256: sha256Field(
          target.contractTermsSha256,
          `targets[${index}].contract_terms_sha256`,
        ),
        previousRootSha256: sha256Field(target.previousRootSha256, `targets[${index}].previous_root_sha256`),
      }));
      return {
        announcements: rotation.signAnnouncements(identity, targets).map((announcement) =>
          rootAnnouncementToProto({
            ...announcement,
            approverSignature: new Uint8Array(),
            approverCertificateChainDer: [],
          }),
        ),
      };
    },
    activateRootRotation: async (_request, context) => ({
      activation: rootActivationToProto(await rotation.activate(await caller(context))),
    }),
    cancelRootRotation: async (request, context) => ({
      revocation: rootRevocationToProto(await rotation.cancel(await caller(context), reasonOf(request))),
    }),
    emergencyRotateRoot: async (request, context) => {
      const result = await rotation.emergency(await caller(context), reasonOf(request));
      return {
        signing: zoneRootToProto(result.signing),
        revocations: result.revocations.map(rootRevocationToProto),
      };
    },
    timestampConsent: async (request, context) => {
      const timestamp = await authority.timestampConsent(context.peer, request.signatureSha256);
      return { time: timestampFromDate(timestamp.time), signature: timestamp.signature };
    },
  });
}

function reasonOf(request: { reason: string }): string {
  if (request.reason.length > contractLimits.maxRevocationReasonLength) {
    throw new InvalidArgumentError(
      `reason: longer than ${contractLimits.maxRevocationReasonLength} characters`,
    );
  }
  return request.reason;
}

function zoneRootToProto(root: ZoneRootView): ZoneRoot {
  return create(ZoneRootSchema, {
    certificate: root.certificatePem,
    sha256: root.sha256,
    sequence: BigInt(root.sequence),
    ...(root.preparedAt === undefined ? {} : { preparedAt: timestampFromDate(root.preparedAt) }),
    ...(root.activatableAt === undefined ? {} : { activatableAt: timestampFromDate(root.activatableAt) }),
    ...(root.retireAfter === undefined ? {} : { retireAfter: timestampFromDate(root.retireAfter) }),
  });
}
