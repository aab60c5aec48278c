import { X509Certificate, createPrivateKey } from 'node:crypto';
import type {
  AnnouncementTarget,
  PkiSignedAnnouncement,
  RootActivation,
  RootAnnouncementTerms,
  RootRevocation,
  ZoneRootRotationView,
  ZoneRootView,
} from '../lib/contract/root-rotation.js';
import { signRootAnnouncementTerms } from '../lib/contract/root-statement-signature.js';
import { isZoneApprover, zoneApproverIds } from '../lib/contract/zone-approvers.js';
import { FailedPreconditionError, PermissionDeniedError } from '../lib/errors/accord-error.js';
import type { SpiffeId } from '../lib/spiffe/spiffe-id.js';
import type { CaState, StoredRoot } from './ca-state.js';
import { createRoot, type RootPolicy } from './create-ca-state.js';
import type { PkiAuthority } from './pki-authority.js';
import { retainedRoots } from './root-retention.js';
import {
  activatableAt,
  activationFromStored,
  planActivateRotation,
  planCancelRotation,
  planEmergencyRotation,
  planPrepareRotation,
  revocationFromStored,
  storedRootSha256,
  type RotationPolicy,
} from './root-rotation-plan.js';

/**
 * The zone PKI's side of an announced root rotation (docs/root-rotation.md): prepare a next root,
 * sign its announcements with the key of the root each replaces, activate it once in-zone clients
 * can know it, cancel it, or rotate in an emergency. Every operation but `view` is reserved to the
 * zone's designated approvers, the identities whose word is the zone's consent; each one is a
 * compare-and-swap write of the CA state, so several replicas (a Secret store) never interleave.
 */
export class ZoneRootRotation {
  readonly #authority: PkiAuthority;
  readonly #rootPolicy: RootPolicy;
  readonly #policy: RotationPolicy;

  constructor(authority: PkiAuthority, rootPolicy: RootPolicy, policy: RotationPolicy) {
    this.#authority = authority;
    this.#rootPolicy = rootPolicy;
    this.#policy = policy;
  }

  /** The zone's rotation state: GetRootRotation, unauthenticated. */
  view(now: Date): ZoneRootRotationView {
    const state = this.#authority.state;
    const [signing] = state.roots;
    if (signing === undefined) throw new FailedPreconditionError('the CA state has no signing root');
    const next = state.nextRoot;
    const readyAt = activatableAt(state, this.#policy);
    return {
      trustDomain: this.#authority.trustDomain,
      signing: rootView(signing),
      next:
        next === undefined
          ? undefined
          : {
              ...rootView(next),
              preparedAt: new Date(next.preparedAt),
              ...(readyAt === undefined ? {} : { activatableAt: readyAt }),
            },
      retiring: retainedRoots(state, now)
        .slice(1)
        .map((root) => ({
          ...rootView(root),
          ...(root.removeFromBundleAfter === undefined
            ? {}
            : { retireAfter: new Date(root.removeFromBundleAfter) }),
        })),
      activation: state.lastActivation === undefined ? undefined : activationFromStored(state.lastActivation),
      revocations: (state.rootRevocations ?? []).map(revocationFromStored),
    };
  }

  /** Prepares the next root; while one is prepared, returns it unchanged (retrying is harmless). */
  async prepare(caller: SpiffeId): Promise<ZoneRootView> {
    this.#requireApprover(caller, 'prepare a root rotation');
    if (this.#authority.state.nextRoot === undefined) {
      const newRoot = await createRoot(
        this.#authority.trustDomain,
        this.#authority.clock.now(),
        this.#rootPolicy,
      );
      await this.#authority.changeState((current, now) =>
        current.nextRoot === undefined
          ? { state: planPrepareRotation(current, newRoot, now), result: undefined }
          : { state: current, result: undefined },
      );
    }
    const next = this.view(this.#authority.clock.now()).next;
    if (next === undefined) throw new FailedPreconditionError('the prepared root vanished; retry');
    return next;
  }

  /**
   * Signs, for each target contract, the announcement of the prepared root with the key of the
   * root it replaces there (the signing root, or a retiring one the PKI still holds).
   */
  signAnnouncements(caller: SpiffeId, targets: readonly AnnouncementTarget[]): PkiSignedAnnouncement[] {
    this.#requireApprover(caller, 'announce a root rotation');
    const state = this.#authority.state;
    const next = state.nextRoot;
    if (next === undefined) {
      throw new FailedPreconditionError('no root rotation is prepared (PrepareRootRotation first)');
    }
    const now = this.#authority.clock.now();
    const held = new Map(retainedRoots(state, now).map((root) => [storedRootSha256(root), root]));
    const root = new X509Certificate(next.certificatePem);
    return targets.map((target) => {
      const previous = held.get(target.previousRootSha256);
      if (previous === undefined) {
        throw new FailedPreconditionError(
          `contract ${target.contractId}: root ${target.previousRootSha256} is not a root this PKI holds, so it cannot vouch for the next one (a new contract is needed there)`,
        );
      }
      const terms: RootAnnouncementTerms = {
        contractId: target.contractId,
        contractTermsSha256: target.contractTermsSha256,
        trustDomain: this.#authority.trustDomain,
        sequence: next.rotationSequence ?? 0,
        previousRootSha256: target.previousRootSha256,
        rootSha256: storedRootSha256(next),
        announcedAt: new Date(Math.floor(now.getTime())),
      };
      return {
        ...terms,
        rootPem: next.certificatePem,
        root,
        previousRootSignature: signRootAnnouncementTerms(terms, createPrivateKey(previous.privateKeyPem)),
      };
    });
  }

  /** Makes the prepared root the signing root (refused before it is activatable); returns the activation. */
  activate(caller: SpiffeId): Promise<RootActivation> {
    this.#requireApprover(caller, 'activate a root rotation');
    return this.#authority.changeState((current, now) => {
      const { state, activation } = planActivateRotation(
        current,
        this.#authority.trustDomain,
        now,
        this.#policy,
      );
      return { state, result: activation };
    });
  }

  /** Drops the prepared root; returns its revocation, signed by its own key. */
  cancel(caller: SpiffeId, reason: string): Promise<RootRevocation> {
    this.#requireApprover(caller, 'cancel a root rotation');
    return this.#authority.changeState((current, now) => {
      const { state, revocation } = planCancelRotation(current, this.#authority.trustDomain, now, reason);
      return { state, result: revocation };
    });
  }

  /** Revokes every root the zone holds and signs with a fresh one at once. */
  async emergency(
    caller: SpiffeId,
    reason: string,
  ): Promise<{ signing: ZoneRootView; revocations: RootRevocation[] }> {
    this.#requireApprover(caller, 'rotate the root in an emergency');
    const newRoot = await createRoot(
      this.#authority.trustDomain,
      this.#authority.clock.now(),
      this.#rootPolicy,
    );
    const revocations = await this.#authority.changeState((current: CaState, now) => {
      const planned = planEmergencyRotation(current, this.#authority.trustDomain, newRoot, now, reason);
      return { state: planned.state, result: planned.revocations };
    });
    return { signing: this.view(this.#authority.clock.now()).signing, revocations };
  }

  #requireApprover(caller: SpiffeId, operation: string): void {
    const trustDomain = this.#authority.trustDomain;
    if (!isZoneApprover(caller.uri, trustDomain)) {
      throw new PermissionDeniedError(
        `${caller.uri} may not ${operation}: only the zone's designated approvers (${zoneApproverIds(trustDomain).join(', ')}) may`,
      );
    }
  }
}

function rootView(root: StoredRoot): ZoneRootView {
  return {
    certificatePem: root.certificatePem,
    sha256: storedRootSha256(root),
    sequence: root.rotationSequence ?? 0,
  };
}
