import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { RootActivation, RootRevocation } from '../lib/contract/root-rotation.js';
import { signRootActivation, signRootRevocation } from '../lib/contract/root-statement-signature.js';
import { FailedPreconditionError } from '../lib/errors/accord-error.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import type { CaState, StoredRoot, StoredRootActivation, StoredRootRevocation } from './ca-state.js';
import {
  bundleSequence,
  nextRotationSequence,
  retainedRoots,
  retireSigningRoot,
  rootsInBundle,
} from './root-retention.js';

/** The timings of an announced rotation, derived from the PKI's config (docs/root-rotation.md). */
export interface RotationPolicy {
  /**
   * How long a replaced root stays in the bundle: the longest SVID it may have signed
   * (`svidMaxTtl`) plus the store reload interval (other replicas sign with it until they reload).
   */
  readonly retainSeconds: number;
  /**
   * How long a prepared root must be in the bundle before it may sign: every replica has reloaded
   * the store (`storeReloadInterval`) and every in-zone client has renewed its SVID, and with it
   * learnt the new root, since clients renew at 2/3 of a lifetime of at most `svidMaxTtl`.
   */
  readonly inZoneDistributionSeconds: number;
}

/** The rotation policy of a PKI configured with these durations. */
export function rotationPolicy(config: {
  svidMaxTtlSeconds: number;
  storeReloadIntervalSeconds: number;
}): RotationPolicy {
  return {
    retainSeconds: config.svidMaxTtlSeconds + config.storeReloadIntervalSeconds,
    inZoneDistributionSeconds:
      config.storeReloadIntervalSeconds + Math.ceil((config.svidMaxTtlSeconds * 2) / 3),
  };
}

/** The lower-case hex SHA-256 of a stored root's certificate. */
export function storedRootSha256(root: StoredRoot): string {
  return sha256Hex(new X509Certificate(root.certificatePem).raw);
}

/**
 * The state with `newRoot` prepared at `now`: in the bundle (the key set changes, so the sequence
 * grows), signing nothing. Refused while another rotation is prepared.
 */
export function planPrepareRotation(state: CaState, newRoot: StoredRoot, now: Date): CaState {
  if (state.nextRoot !== undefined) {
    throw new FailedPreconditionError('a root rotation is already prepared: activate or cancel it first');
  }
  const sequence = nextRotationSequence(state);
  return {
    ...withoutRemovedRoots(state, now),
    version: state.version + 1,
    sequence: bundleSequence(state, now) + 1,
    rotationSequence: sequence,
    nextRoot: { ...newRoot, rotationSequence: sequence, preparedAt: now.toISOString() },
  };
}

/** From when the prepared root may sign (undefined when none is prepared). */
export function activatableAt(state: CaState, policy: RotationPolicy): Date | undefined {
  const next = state.nextRoot;
  if (next === undefined) return undefined;
  return new Date(Date.parse(next.preparedAt) + policy.inZoneDistributionSeconds * 1000);
}

/**
 * The state after activating the prepared root at `now`, and the activation statement its key
 * signs: it becomes the signing root; the previous signing root retires after `retainSeconds`
 * (the key set does not change, so neither does the sequence). Refused when nothing is prepared
 * or before `activatableAt`, when in-zone clients may not know the new root yet.
 */
export function planActivateRotation(
  state: CaState,
  trustDomain: string,
  now: Date,
  policy: RotationPolicy,
): { state: CaState; activation: RootActivation } {
  const next = state.nextRoot;
  const readyAt = activatableAt(state, policy);
  if (next === undefined || readyAt === undefined) {
    throw new FailedPreconditionError('no root rotation is prepared (PrepareRootRotation first)');
  }
  if (now.getTime() < readyAt.getTime()) {
    throw new FailedPreconditionError(
      `the prepared root may sign from ${readyAt.toISOString()}: until then in-zone clients may not have learnt it (they renew their SVIDs within 2/3 of svidMaxTtl)`,
    );
  }
  const [signing] = state.roots;
  if (signing === undefined) throw new FailedPreconditionError('the CA state has no signing root');
  const newSigningRoot: StoredRoot = {
    certificatePem: next.certificatePem,
    privateKeyPem: next.privateKeyPem,
    ...(next.rotationSequence === undefined ? {} : { rotationSequence: next.rotationSequence }),
  };
  const retained = retireSigningRoot(state, now, policy.retainSeconds);
  const activation = signRootActivation(
    {
      trustDomain,
      sequence: next.rotationSequence ?? nextRotationSequence(state),
      previousRootSha256: storedRootSha256(signing),
      rootSha256: storedRootSha256(next),
      activatedAt: now,
      previousRootRetireAfter: new Date(now.getTime() + policy.retainSeconds * 1000),
    },
    createPrivateKey(next.privateKeyPem),
  );
  return {
    state: {
      ...state,
      nextRoot: undefined,
      version: state.version + 1,
      sequence: bundleSequence(state, now),
      roots: [newSigningRoot, ...retained],
      lastActivation: storedActivation(activation),
    },
    activation,
  };
}

/**
 * The state without the prepared root, and that root's revocation signed by its own key, so that
 * partners who installed it from its announcements drop it. Refused when nothing is prepared.
 */
export function planCancelRotation(
  state: CaState,
  trustDomain: string,
  now: Date,
  reason: string,
): { state: CaState; revocation: RootRevocation } {
  const next = state.nextRoot;
  if (next === undefined) throw new FailedPreconditionError('no root rotation is prepared');
  const revocation = revokeRoot(next, trustDomain, now, reason);
  return {
    state: {
      ...withoutRemovedRoots({ ...state, nextRoot: undefined }, now),
      version: state.version + 1,
      sequence: bundleSequence(state, now) + 1,
      rootRevocations: [...keptRevocations(state, now), storedRevocation(revocation, next)],
    },
    revocation,
  };
}

/**
 * An emergency rotation at `now`: every root the zone holds (signing, retiring, prepared) is
 * revoked, each by its own key, since they are stored together and one leaked key means the store
 * leaked; `newRoot` signs at once. Partners drop the revoked roots as soon as they see the
 * revocations and trust `newRoot` only through a new contract every participant approves.
 */
export function planEmergencyRotation(
  state: CaState,
  trustDomain: string,
  newRoot: StoredRoot,
  now: Date,
  reason: string,
): { state: CaState; revocations: RootRevocation[] } {
  const held = rootsInBundle(state, now);
  const revocations = held.map((root) => ({ root, revocation: revokeRoot(root, trustDomain, now, reason) }));
  const sequence = nextRotationSequence(state);
  return {
    state: {
      ...state,
      nextRoot: undefined,
      lastActivation: undefined,
      version: state.version + 1,
      sequence: bundleSequence(state, now) + 1,
      rotationSequence: sequence,
      roots: [{ ...newRoot, rotationSequence: sequence }],
      rootRevocations: [
        ...keptRevocations(state, now),
        ...revocations.map(({ root, revocation }) => storedRevocation(revocation, root)),
      ],
    },
    revocations: revocations.map(({ revocation }) => revocation),
  };
}

/** The stored activation as the signed statement. */
export function activationFromStored(stored: StoredRootActivation): RootActivation {
  return {
    ...stored,
    activatedAt: new Date(stored.activatedAt),
    previousRootRetireAfter: new Date(stored.previousRootRetireAfter),
    signature: new Uint8Array(Buffer.from(stored.signature, 'base64')),
  };
}

/** The stored revocation as the signed statement. */
export function revocationFromStored(stored: StoredRootRevocation): RootRevocation {
  return {
    trustDomain: stored.trustDomain,
    rootSha256: stored.rootSha256,
    revokedAt: new Date(stored.revokedAt),
    reason: stored.reason,
    signature: new Uint8Array(Buffer.from(stored.signature, 'base64')),
  };
}

function revokeRoot(root: StoredRoot, trustDomain: string, now: Date, reason: string): RootRevocation {
  return signRootRevocation(
    { trustDomain, rootSha256: storedRootSha256(root), revokedAt: now, reason },
    createPrivateKey(root.privateKeyPem),
  );
}

function storedActivation(activation: RootActivation): StoredRootActivation {
  return {
    ...activation,
    activatedAt: activation.activatedAt.toISOString(),
    previousRootRetireAfter: activation.previousRootRetireAfter.toISOString(),
    signature: Buffer.from(activation.signature).toString('base64'),
  };
}

function storedRevocation(revocation: RootRevocation, root: StoredRoot): StoredRootRevocation {
  return {
    trustDomain: revocation.trustDomain,
    rootSha256: revocation.rootSha256,
    revokedAt: revocation.revokedAt.toISOString(),
    reason: revocation.reason,
    signature: Buffer.from(revocation.signature).toString('base64'),
    forgetAfter: new Date(new X509Certificate(root.certificatePem).validTo).toISOString(),
  };
}

/** The stored revocations still worth serving: their roots have not expired. */
function keptRevocations(state: CaState, now: Date): StoredRootRevocation[] {
  return (state.rootRevocations ?? []).filter(
    (revocation) => Date.parse(revocation.forgetAfter) > now.getTime(),
  );
}

function withoutRemovedRoots<T extends CaState>(state: T, now: Date): T {
  return { ...state, roots: retainedRoots(state, now) };
}
