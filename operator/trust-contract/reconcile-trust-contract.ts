import { signApproval } from '../../lib/contract/approval-signature.js';
import { signRevocation } from '../../lib/contract/revocation-signature.js';
import type { ConsentSigner } from '../../lib/contract/zone-approvers.js';
import { approvalReport } from '../../lib/contract/contract-approvals.js';
import type { ContractRepositoryClient } from '../../lib/contract/contract-repository-client.js';
import { participantOfTrustDomain, type TrustContract } from '../../lib/contract/trust-contract.js';
import type { ParticipantProposal } from '../../lib/contract/validate-proposal.js';
import { PermissionDeniedError, errorMessage, isErrorOfKind } from '../../lib/errors/accord-error.js';
import type { Logger } from '../../lib/log/logger.js';
import { backoffDelayMs, type BackoffPolicy } from '../../lib/time/backoff.js';
import type { Clock } from '../../lib/time/clock.js';
import {
  InvalidSpecError,
  parseTrustContractSpec,
  readTrustContractObject,
  revokeOnDeleteFinalizer,
  type ReadRoot,
  type TrustContractObject,
} from './trust-contract-spec.js';
import {
  desiredStatus,
  isContractRevoked,
  readTrustContractStatus,
  statusChanged,
  statusEvents,
  type ContractEvent,
  type ContractObservation,
  type TrustContractStatus,
} from './trust-contract-status.js';

/** The zone this operator acts for: who it is in a contract and the key it approves with. */
export interface LocalZone {
  /** The zone's participant name; when set, a spec naming this trust domain differently is refused. */
  readonly name?: string;
  readonly trustDomain: string;
  readonly signer: ConsentSigner;
}

/** The ports the reconciler works through; the runtime loop builds them once. */
export interface TrustContractReconcilerDeps {
  readonly repository: ContractRepositoryClient;
  readonly localZone: LocalZone;
  readonly readRoot: ReadRoot;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Delays between reconciles while the repository is unreachable. */
  readonly unavailableBackoff: BackoffPolicy;
}

/** What the runtime applies after a reconcile; nothing in it has been written to Kubernetes yet. */
export interface ReconcileResult {
  /** The status the object should carry. */
  readonly status: TrustContractStatus;
  /** Whether `status` differs from the object's: a steady state writes nothing. */
  readonly isStatusChanged: boolean;
  readonly finalizer: 'add' | 'remove' | 'keep';
  /** Events to record; empty in a steady state. */
  readonly events: readonly ContractEvent[];
  /** Reconcile again after this delay (before the periodic resync), e.g. while the repository is down. */
  readonly requeueAfterMs?: number;
}

interface Outcome {
  readonly finalizer: ReconcileResult['finalizer'];
  /** `undefined` when the object is going away and there is nothing to report. */
  readonly observation: ContractObservation | undefined;
}

/**
 * Reconciles one TrustContract (plain JSON as the API server returns it) against the repository,
 * level-triggered: every call looks at the whole state and does only what is missing, so the
 * periodic resync repairs anything a lost event left undone. `failedAttempts` counts the
 * consecutive reconciles of this object that found the repository unreachable (the work queue
 * keeps it) and sets the backoff.
 *
 * Order: deletion first (revoke this zone's consent, then release the finalizer); otherwise parse
 * the spec, find this zone in it, propose the contract if the repository does not have it,
 * refuse a stored contract that is not the spec's, and approve it if this zone has not. The
 * status mirrors the repository as verified here.
 */
export async function reconcileTrustContract(
  raw: unknown,
  deps: TrustContractReconcilerDeps,
  failedAttempts = 0,
): Promise<ReconcileResult> {
  const object = readTrustContractObject(raw);
  const previous = readTrustContractStatus(object.status);
  const logger = deps.logger.child({ contractId: object.name });
  const hasFinalizer = object.finalizers.includes(revokeOnDeleteFinalizer);
  let outcome: Outcome;
  try {
    outcome = object.isDeleting
      ? await finalize(object, hasFinalizer, deps, logger)
      : await converge(object, deps, logger);
  } catch (error) {
    if (!isErrorOfKind(error, 'Unavailable')) throw error;
    logger.warn('contract repository unavailable', { error: errorMessage(error) });
    outcome = {
      finalizer: hasFinalizer || object.isDeleting ? 'keep' : 'add',
      observation: { kind: 'repositoryUnavailable', message: errorMessage(error) },
    };
  }
  const { observation, finalizer } = outcome;
  if (observation === undefined) {
    const status = previous ?? { observedGeneration: object.generation, conditions: [] };
    return { status, isStatusChanged: false, finalizer, events: [] };
  }
  const status = desiredStatus(observation, {
    contractId: object.name,
    generation: object.generation,
    previous,
    now: deps.clock.now(),
  });
  return {
    status,
    isStatusChanged: statusChanged(previous, status),
    finalizer,
    events: statusEvents(previous, status),
    ...(observation.kind === 'repositoryUnavailable'
      ? { requeueAfterMs: backoffDelayMs(failedAttempts, deps.unavailableBackoff) }
      : {}),
  };
}

async function converge(
  object: TrustContractObject,
  deps: TrustContractReconcilerDeps,
  logger: Logger,
): Promise<Outcome> {
  const finalizer = object.finalizers.includes(revokeOnDeleteFinalizer) ? 'keep' : 'add';
  const id = object.name;
  let participants: ParticipantProposal[];
  let local: ParticipantProposal;
  try {
    participants = await parseTrustContractSpec(id, object.spec, deps.readRoot);
    local = localParticipant(participants, deps.localZone);
  } catch (error) {
    if (!(error instanceof InvalidSpecError)) throw error;
    logger.debug('invalid TrustContract spec', { error: error.message });
    return { finalizer, observation: { kind: 'invalidSpec', message: error.message } };
  }

  let contract = await getContract(deps.repository, id);
  if (contract === undefined) {
    try {
      contract = await deps.repository.create({ id, participants });
    } catch (error) {
      if (!isErrorOfKind(error, 'PermissionDenied')) throw error;
      logger.debug('contract proposal denied', { error: errorMessage(error) });
      const message = `contract ${id} is not in the repository and this zone may not propose it (${errorMessage(error)}); waiting for an admin or another zone to propose it`;
      return { finalizer, observation: { kind: 'proposeDenied', message } };
    }
    logger.info('contract proposed', { participants: participants.map((participant) => participant.name) });
  }

  const mismatch = specMismatch(contract, participants);
  if (mismatch !== undefined) return { finalizer, observation: { kind: 'specMismatch', message: mismatch } };

  if (!isContractRevoked(contract) && !approvalReport(contract).approved.includes(local.name)) {
    let approval;
    try {
      approval = await signApproval(contract, local.name, deps.localZone.signer, deps.clock.now());
    } catch (error) {
      if (!(error instanceof PermissionDeniedError)) throw error;
      const message = `this zone's signing certificate does not verify against the root of ${local.name} in the spec: ${error.message}`;
      return { finalizer, observation: { kind: 'invalidSpec', message } };
    }
    contract = await deps.repository.approve(id, approval);
    logger.info('contract approved', { participant: local.name });
  }
  return { finalizer, observation: { kind: 'contract', contract, localParticipant: local.name } };
}

/**
 * Deleting the TrustContract withdraws this zone's consent: if the repository holds a verified
 * approval of this zone, the contract is revoked with this zone's signed revocation (revocation is
 * the only way to withdraw consent, and it only narrows trust). This reads the stored contract, not the spec, so
 * it still works when a referenced root Secret is already gone.
 */
async function finalize(
  object: TrustContractObject,
  hasFinalizer: boolean,
  deps: TrustContractReconcilerDeps,
  logger: Logger,
): Promise<Outcome> {
  if (!hasFinalizer) return { finalizer: 'keep', observation: undefined };
  const id = object.name;
  let contract = await getContract(deps.repository, id);
  if (contract === undefined) return { finalizer: 'remove', observation: undefined };
  const local = participantOfTrustDomain(contract, deps.localZone.trustDomain);
  if (local === undefined) return { finalizer: 'remove', observation: undefined };
  const hasConsented = approvalReport(contract).approved.includes(local.name);
  if (hasConsented && !isContractRevoked(contract)) {
    const reason = `TrustContract ${id} was deleted in zone ${local.name}`;
    const signed = await signRevocation(
      contract,
      local.name,
      reason,
      deps.localZone.signer,
      deps.clock.now(),
    );
    contract = await deps.repository.revoke(id, reason, signed);
    logger.info('contract revoked', { participant: local.name });
  }
  return { finalizer: 'remove', observation: { kind: 'contract', contract, localParticipant: local.name } };
}

async function getContract(
  repository: ContractRepositoryClient,
  id: string,
): Promise<TrustContract | undefined> {
  try {
    return await repository.get(id);
  } catch (error) {
    if (isErrorOfKind(error, 'NotFound')) return undefined;
    throw error;
  }
}

/** This zone's entry in the spec: the one of its trust domain, since trust domains are what roots certify. */
function localParticipant(
  participants: readonly ParticipantProposal[],
  zone: LocalZone,
): ParticipantProposal {
  const local = participants.find((participant) => participant.trustDomain === zone.trustDomain);
  if (local === undefined) {
    throw new InvalidSpecError(`spec.participants: this zone (${zone.trustDomain}) is not a participant`);
  }
  if (zone.name !== undefined && local.name !== zone.name) {
    throw new InvalidSpecError(
      `spec.participants: the participant of ${zone.trustDomain} is named ${local.name}, but this zone is ${zone.name}`,
    );
  }
  return local;
}

/**
 * Why the stored contract is not the spec's, or `undefined` when it is. Participants compare as a
 * set of (name, trust domain, root fingerprint), exactly what approvals sign, so this zone never
 * approves anything other than what its spec says.
 */
function specMismatch(
  contract: TrustContract,
  participants: readonly ParticipantProposal[],
): string | undefined {
  const describe = (name: string, trustDomain: string, sha256: string) =>
    `${name} (${trustDomain}, root sha256 ${sha256.toLowerCase()})`;
  const stored = contract.participants.map((p) => describe(p.name, p.trustDomain, p.rootSha256));
  const wanted = participants.map((p) => describe(p.name, p.trustDomain, p.hash));
  const onlyInSpec = wanted.filter((entry) => !stored.includes(entry));
  const onlyStored = stored.filter((entry) => !wanted.includes(entry));
  if (onlyInSpec.length === 0 && onlyStored.length === 0) return undefined;
  return `the repository's contract ${contract.id} is not this spec; only in the spec: ${list(onlyInSpec)}; only in the repository: ${list(onlyStored)}. Nothing is approved; delete this TrustContract or the repository's contract`;
}

function list(entries: readonly string[]): string {
  return entries.length === 0 ? 'none' : entries.join(', ');
}
