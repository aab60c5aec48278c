import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { approvalReport, isTrustEstablished } from '../../lib/contract/contract-approvals.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { conditionSchema, type DesiredCondition, withTransitions } from '../../lib/kube/conditions.js';
import { contractRootsStatus } from './participant-roots-status.js';
import { trustContractStatusSchema } from './trust-contract-crd.js';

/**
 * Condition and event reasons: one vocabulary, so a reason in `kubectl describe` is the same word
 * as in the Events and the logs.
 */
export const reasons = {
  contractProposed: 'ContractProposed',
  approvedByThisZone: 'ApprovedByThisZone',
  approvalMissing: 'ApprovalMissing',
  approvedByAllParticipants: 'ApprovedByAllParticipants',
  waitingForApprovals: 'WaitingForApprovals',
  revokedByParticipant: 'RevokedByParticipant',
  participantRootRevoked: 'ParticipantRootRevoked',
  notRevoked: 'NotRevoked',
  invalidSpec: 'InvalidSpec',
  proposeDenied: 'ProposeDenied',
  specMismatch: 'SpecMismatch',
  repositoryUnavailable: 'RepositoryUnavailable',
} as const;

const conditionTypes = ['Proposed', 'Approved', 'Active', 'Revoked'] as const;
const trustContractConditionSchema = conditionSchema(conditionTypes);

/** The CRD's status schema, with what this operator always writes required. */
const statusSchema = trustContractStatusSchema
  .required({ observedGeneration: true })
  .extend({ conditions: z.array(trustContractConditionSchema) });

/** A metav1.Condition of a TrustContract. */
export type TrustContractCondition = z.infer<typeof trustContractConditionSchema>;

/** `status` of a TrustContract, exactly as the CRD's schema describes it. */
export type TrustContractStatus = z.infer<typeof statusSchema>;

/**
 * What the reconciler learned about the spec's contract in the repository. Only `contract`
 * carries repository data; the others say why there is none to mirror.
 */
export type ContractObservation =
  | { readonly kind: 'contract'; readonly contract: TrustContract; readonly localParticipant: string }
  | { readonly kind: 'invalidSpec'; readonly message: string }
  | { readonly kind: 'proposeDenied'; readonly message: string }
  | { readonly kind: 'specMismatch'; readonly message: string }
  | { readonly kind: 'repositoryUnavailable'; readonly message: string };

/** What a status is computed against besides the observation. */
export interface StatusContext {
  readonly contractId: string;
  readonly generation: number;
  readonly previous: TrustContractStatus | undefined;
  readonly now: Date;
}

type ConditionType = TrustContractCondition['type'];

/**
 * Reads the status the object carries; one this operator did not write (or an older shape) reads
 * as none, so it is simply rewritten.
 */
export function readTrustContractStatus(raw: unknown): TrustContractStatus | undefined {
  const parsed = statusSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The status that describes `observation`. Approvals are counted only when they verify here, never
 * because the repository says so. A repository outage keeps the last facts (state, approvals,
 * condition statuses) and only says why they are not fresh, the way providers keep the last good
 * bundle. `lastTransitionTime` moves only when a condition's status flips.
 */
export function desiredStatus(observation: ContractObservation, context: StatusContext): TrustContractStatus {
  const { previous } = context;
  const base = { observedGeneration: context.generation, contractId: context.contractId };
  switch (observation.kind) {
    case 'contract':
      return { ...base, ...contractFacts(observation.contract, observation.localParticipant, context) };
    case 'repositoryUnavailable': {
      const message = `the contract repository is unreachable (${observation.message}); showing what it last reported`;
      const conditions = conditionTypes.map((type): DesiredCondition<ConditionType> => ({
        type,
        status: previous?.conditions.find((condition) => condition.type === type)?.status ?? 'Unknown',
        reason: reasons.repositoryUnavailable,
        message,
      }));
      return { ...base, ...lastFacts(previous), conditions: completeConditions(conditions, context) };
    }
    case 'invalidSpec':
      return { ...base, conditions: allFalse(reasons.invalidSpec, observation.message, context) };
    case 'proposeDenied':
      return { ...base, conditions: allFalse(reasons.proposeDenied, observation.message, context) };
    case 'specMismatch':
      return { ...base, conditions: allFalse(reasons.specMismatch, observation.message, context) };
  }
}

/** Whether `next` differs from what the object carries: a steady state writes nothing. */
export function statusChanged(previous: TrustContractStatus | undefined, next: TrustContractStatus): boolean {
  return !isDeepStrictEqual(previous, next);
}

/** A Kubernetes Event to record about the TrustContract. */
export interface ContractEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

const errorReasons: ReadonlySet<string> = new Set([
  reasons.participantRootRevoked,
  reasons.invalidSpec,
  reasons.proposeDenied,
  reasons.specMismatch,
  reasons.repositoryUnavailable,
]);

/**
 * The Events a status change deserves: a condition turning True (proposed, approved, active,
 * revoked) or a newly reported problem. Derived from the diff, so a steady state records none.
 */
export function statusEvents(
  previous: TrustContractStatus | undefined,
  next: TrustContractStatus,
): ContractEvent[] {
  const events = new Map<string, ContractEvent>();
  for (const condition of next.conditions) {
    const before = previous?.conditions.find((candidate) => candidate.type === condition.type);
    const isError = errorReasons.has(condition.reason);
    const isNewError = isError && before?.reason !== condition.reason;
    const becameTrue = !isError && condition.status === 'True' && before?.status !== 'True';
    if (!isNewError && !becameTrue) continue;
    const type = isError || condition.type === 'Revoked' ? 'Warning' : 'Normal';
    events.set(condition.reason, { type, reason: condition.reason, message: condition.message });
  }
  return [...events.values()];
}

/** Revocation is terminal and wins over any approvals; the revocation record counts even without the state. */
export function isContractRevoked(contract: TrustContract): boolean {
  return contract.state === 'revoked' || contract.revocation !== undefined;
}

function contractFacts(
  contract: TrustContract,
  localParticipant: string,
  context: StatusContext,
): Pick<
  TrustContractStatus,
  'state' | 'approvedBy' | 'approvalSummary' | 'participants' | 'rotatingParticipants' | 'conditions'
> {
  const report = approvalReport(contract);
  const isRevoked = isContractRevoked(contract);
  const roots = contractRootsStatus(contract, context.now);
  // After an emergency rotation a participant has no trusted root left and every provider refuses
  // the contract (docs/root-rotation.md), even when its approvals still verify (timestamped by a
  // root the rotation had retired, not revoked): not Active, and for that reason.
  const rootless = roots.participants.filter(({ phase }) => phase === 'Revoked').map(({ name }) => name);
  const isApproved = isTrustEstablished(contract);
  const isActive = isApproved && rootless.length === 0;
  const hasLocalApproval = report.approved.includes(localParticipant);
  const rejected =
    report.invalid.length === 0
      ? ''
      : `; not counted: ${report.invalid.map(({ participant, reason }) => `${participant} (${reason})`).join(', ')}`;
  const conditions: DesiredCondition<ConditionType>[] = [
    {
      type: 'Proposed',
      status: 'True',
      reason: reasons.contractProposed,
      message: `contract ${contract.id} was proposed by ${contract.proposedBy} at ${contract.createdAt.toISOString()}`,
    },
    hasLocalApproval
      ? {
          type: 'Approved',
          status: 'True',
          reason: reasons.approvedByThisZone,
          message: `${localParticipant} approved contract ${contract.id}`,
        }
      : {
          type: 'Approved',
          status: 'False',
          reason: reasons.approvalMissing,
          message: `${localParticipant} has no verified approval of contract ${contract.id}${rejected}`,
        },
    isActive
      ? {
          type: 'Active',
          status: 'True',
          reason: reasons.approvedByAllParticipants,
          message: `all ${contract.participants.length} participants approved contract ${contract.id} (signatures verified by this zone)`,
        }
      : !isRevoked && rootless.length > 0
        ? {
            type: 'Active',
            status: 'False',
            reason: reasons.participantRootRevoked,
            message: `${rootless.join(', ')} revoked every root of theirs in contract ${contract.id} (emergency rotation): providers refuse it; trust comes back through a new contract pinning the fresh root, approved by every participant`,
          }
        : {
            type: 'Active',
            status: 'False',
            reason: isRevoked ? reasons.revokedByParticipant : reasons.waitingForApprovals,
            message: isRevoked
              ? `contract ${contract.id} is revoked`
              : `waiting for approvals of ${report.missing.join(', ')}${rejected}`,
          },
    !isRevoked
      ? {
          type: 'Revoked',
          status: 'False',
          reason: reasons.notRevoked,
          message: `contract ${contract.id} is not revoked`,
        }
      : {
          type: 'Revoked',
          status: 'True',
          reason: reasons.revokedByParticipant,
          message:
            contract.revocation === undefined
              ? `contract ${contract.id} is revoked`
              : `revoked by ${contract.revocation.revokedBy} at ${contract.revocation.revokedAt.toISOString()}: ${contract.revocation.reason}`,
        },
  ];
  return {
    state: isRevoked ? 'Revoked' : isApproved ? 'Active' : 'Proposed',
    approvedBy: [...report.approved],
    approvalSummary: `${report.approved.length}/${contract.participants.length}`,
    ...roots,
    conditions: completeConditions(conditions, context),
  };
}

/** The repository facts of `previous`, without the keys it does not have (no `undefined` values). */
function lastFacts(previous: TrustContractStatus | undefined): Partial<TrustContractStatus> {
  if (previous === undefined) return {};
  const { state, approvedBy, approvalSummary, participants, rotatingParticipants } = previous;
  return {
    ...(state === undefined ? {} : { state }),
    ...(approvedBy === undefined ? {} : { approvedBy }),
    ...(approvalSummary === undefined ? {} : { approvalSummary }),
    ...(participants === undefined ? {} : { participants }),
    ...(rotatingParticipants === undefined ? {} : { rotatingParticipants }),
  };
}

function allFalse(reason: string, message: string, context: StatusContext): TrustContractCondition[] {
  return completeConditions(
    conditionTypes.map((type) => ({ type, status: 'False', reason, message })),
    context,
  );
}

function completeConditions(
  conditions: readonly DesiredCondition<ConditionType>[],
  { previous, generation, now }: StatusContext,
): TrustContractCondition[] {
  return withTransitions(conditions, previous?.conditions, generation, now);
}
