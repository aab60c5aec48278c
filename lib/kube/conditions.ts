// metav1.Condition as Accord's controllers write it: one schema and one transition rule, so every
// resource's conditions read the same in `kubectl describe` and a steady state writes nothing.
import { z } from 'zod';

/** The schema of a metav1.Condition whose `type` is one of `types`. */
export function conditionSchema<const Type extends string>(types: readonly [Type, ...Type[]]) {
  return z.object({
    type: z.enum(types),
    status: z.enum(['True', 'False', 'Unknown']),
    observedGeneration: z.number(),
    lastTransitionTime: z.string(),
    reason: z.string(),
    message: z.string(),
  });
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
