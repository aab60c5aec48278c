import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { conditionSchema, type DesiredCondition, withTransitions } from '../../lib/kube/conditions.js';
import { meshWorkloadStatusSchema } from './mesh-workload-crd.js';

/** Reasons of the `Ready` condition: one vocabulary for `kubectl describe`, logs and tests. */
export const meshWorkloadReasons = {
  /** The sidecar ConfigMap is rendered and at least one partner zone is reachable. */
  configRendered: 'ConfigRendered',
  /** The spec does not parse (e.g. an empty selector): nothing is rendered or injected. */
  invalidSpec: 'InvalidSpec',
  /** A Secret (or its key) the spec names is missing: nothing is rendered. */
  secretMissing: 'SecretMissing',
  /** Rendered, but this zone has no Active TrustContract whose zone it can reach. */
  noActiveContracts: 'NoActiveContracts',
} as const;

export type MeshWorkloadReason = (typeof meshWorkloadReasons)[keyof typeof meshWorkloadReasons];

/** The CRD's status schema, with what this operator always writes required. */
const statusSchema = meshWorkloadStatusSchema
  .required({ observedGeneration: true, injectedPods: true })
  .extend({ conditions: z.array(conditionSchema(['Ready'])) });

/** `status` of a MeshWorkload, as the CRD describes it. */
export type MeshWorkloadStatus = z.infer<typeof statusSchema>;

/** What the reconcile found, for the status. */
export interface MeshWorkloadObservation {
  generation: number;
  injectedPods: number;
  ready: boolean;
  reason: MeshWorkloadReason;
  message: string;
}

/** The status the object carries; one of another shape reads as none and is rewritten. */
export function readMeshWorkloadStatus(raw: unknown): MeshWorkloadStatus | undefined {
  const parsed = statusSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The desired status: `lastTransitionTime` (whole seconds) moves only when `Ready` flips, so an
 * unchanged observation gives an equal status and the controller writes nothing.
 */
export function desiredMeshWorkloadStatus(
  observation: MeshWorkloadObservation,
  previous: MeshWorkloadStatus | undefined,
  now: Date,
): MeshWorkloadStatus {
  const ready: DesiredCondition<'Ready'> = {
    type: 'Ready',
    status: observation.ready ? 'True' : 'False',
    reason: observation.reason,
    message: observation.message,
  };
  return {
    observedGeneration: observation.generation,
    injectedPods: observation.injectedPods,
    conditions: withTransitions([ready], previous?.conditions, observation.generation, now),
  };
}

/** Whether `next` differs from what the object carries. */
export function meshWorkloadStatusChanged(
  previous: MeshWorkloadStatus | undefined,
  next: MeshWorkloadStatus,
): boolean {
  return !isDeepStrictEqual(previous, next);
}
