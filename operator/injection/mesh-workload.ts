import { z } from 'zod';
import { InvalidArgumentError } from '../../lib/errors/accord-error.js';

/**
 * The parts of a MeshWorkload (crds/accord.dev_meshworkloads.yaml) that injection needs: its name,
 * which pods it selects and the application port. One parser, shared by the webhook and the
 * MeshWorkload reconcile, so both always agree on which pods belong to the mesh.
 */
export interface MeshWorkload {
  name: string;
  namespace: string;
  selector: LabelSelector;
  port: number;
}

/** A Kubernetes label selector, as in a Deployment's `spec.selector`. */
export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: readonly LabelSelectorRequirement[];
}

/** One set-based requirement of a label selector. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: readonly string[];
}

const requirementSchema = z.object({
  key: z.string().min(1),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).exactOptional(),
});

const meshWorkloadSchema = z.object({
  metadata: z.object({ name: z.string().min(1), namespace: z.string().min(1) }),
  spec: z.object({
    selector: z.object({
      matchLabels: z.record(z.string(), z.string()).exactOptional(),
      matchExpressions: z.array(requirementSchema).exactOptional(),
    }),
    port: z.number().int().min(1).max(65535),
  }),
});

/**
 * Reads a MeshWorkload object (plain JSON from the API server). The API server's structural schema
 * already validated it; this re-checks what injection relies on and refuses an empty selector,
 * which would otherwise select every pod of the namespace.
 */
export function parseMeshWorkload(object: unknown): MeshWorkload {
  const result = meshWorkloadSchema.safeParse(object);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new InvalidArgumentError(`not a MeshWorkload: ${problems.join('; ')}`);
  }
  const { metadata, spec } = result.data;
  const selector: LabelSelector = {
    ...(spec.selector.matchLabels === undefined ? {} : { matchLabels: spec.selector.matchLabels }),
    ...(spec.selector.matchExpressions === undefined
      ? {}
      : { matchExpressions: spec.selector.matchExpressions }),
  };
  if (
    Object.keys(selector.matchLabels ?? {}).length === 0 &&
    (selector.matchExpressions ?? []).length === 0
  ) {
    throw new InvalidArgumentError(
      `MeshWorkload ${metadata.namespace}/${metadata.name}: spec.selector selects nothing`,
    );
  }
  return { name: metadata.name, namespace: metadata.namespace, selector, port: spec.port };
}

/**
 * Whether `labels` satisfy `selector`, with Kubernetes' semantics: every matchLabels entry and every
 * requirement must hold; `NotIn` and `DoesNotExist` hold for a missing key. An empty selector
 * matches nothing here (Kubernetes would match everything; injection must never do that).
 */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (matchLabels.length === 0 && expressions.length === 0) return false;
  if (!matchLabels.every(([key, value]) => labels[key] === value)) return false;
  return expressions.every((requirement) => {
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
    }
  });
}
