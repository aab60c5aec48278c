// metav1.Condition as Accord's controllers write it: one schema and one transition rule, so every
// resource's conditions read the same in `kubectl describe` and a steady state writes nothing.
import { z } from 'zod';
import { asListMap, int64 } from './crd-schema.js';

/**
 * metav1.Condition as a CRD declares it, with apimachinery's own limits and patterns, so the API
 * server holds every controller's conditions to the shape `kubectl describe` and other tools expect.
 */
export const kubeConditionSchema = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      // A qualified name (an optional DNS-subdomain prefix and "/", then a name), apimachinery's own.
      .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
      )
      .describe('The condition type, e.g. Ready or Active.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
    observedGeneration: int64()
      .min(0)
      .optional()
      .describe('The metadata.generation the condition was set for.'),
    lastTransitionTime: z
      .string()
      .meta({ format: 'date-time', description: 'When the status last changed.' }),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('A CamelCase reason, e.g. WaitingForApprovals.'),
    message: z.string().max(32768).describe('A human-readable explanation.'),
  })
  .describe('A metav1.Condition.');

/** `status.conditions` of a CRD: at most one condition per type, merged by type on apply. */
export function conditionList(description: string) {
  return asListMap(z.array(kubeConditionSchema).max(8), ['type']).describe(description);
}

/**
 * A metav1.Condition whose `type` is one of `types`, every field present: how a controller reads
 * back the conditions it wrote (anything else reads as no status and is rewritten).
 */
export function conditionSchema<const Type extends string>(types: readonly [Type, ...Type[]]) {
  return kubeConditionSchema.required().extend({ type: z.enum(types) });
}

/** A metav1.Condition of type `Type`. */
export interface Condition<Type extends string = string> {
  type: Type;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** What a reconcile decides about a condition; the rest follows from the previous status. */
export type DesiredCondition<Type extends string = string> = Pick<
  Condition<Type>,
  'type' | 'status' | 'reason' | 'message'
>;

/**
 * Completes conditions: `observedGeneration` is always the current one; a previous
 * `lastTransitionTime` is kept unless the condition's status flipped, so an unchanged observation
 * gives an equal status and the controller writes nothing.
 */
export function withTransitions<Type extends string>(
  conditions: readonly DesiredCondition<Type>[],
  previous: readonly Condition<Type>[] | undefined,
  generation: number,
  now: Date,
): Condition<Type>[] {
  const nowTime = conditionTime(now);
  return conditions.map((condition) => {
    const before = previous?.find((candidate) => candidate.type === condition.type);
    const lastTransitionTime = before?.status === condition.status ? before.lastTransitionTime : nowTime;
    return { ...condition, observedGeneration: generation, lastTransitionTime };
  });
}

/** metav1.Time has whole seconds; writing milliseconds would differ from what is read back. */
function conditionTime(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}
