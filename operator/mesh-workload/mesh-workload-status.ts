import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

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

const conditionSchema = z.object({
  type: z.literal('Ready'),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number(),
  lastTransitionTime: z.string(),
  reason: z.string(),
  message: z.string(),
});

const statusSchema = z.object({
  observedGeneration: z.number(),
  injectedPods: z.number(),
  conditions: z.array(conditionSchema),
});

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
  const status = observation.ready ? 'True' : 'False';
  const before = previous?.conditions[0];
  const lastTransitionTime =
    before?.status === status ? before.lastTransitionTime : `${now.toISOString().slice(0, 19)}Z`;
  return {
    observedGeneration: observation.generation,
    injectedPods: observation.injectedPods,
    conditions: [
      {
        type: 'Ready',
        status,
        observedGeneration: observation.generation,
        lastTransitionTime,
        reason: observation.reason,
        message: observation.message,
      },
    ],
  };
}

/** Whether `next` differs from what the object carries. */
export function meshWorkloadStatusChanged(
  previous: MeshWorkloadStatus | undefined,
  next: MeshWorkloadStatus,
): boolean {
  return !isDeepStrictEqual(previous, next);
}
