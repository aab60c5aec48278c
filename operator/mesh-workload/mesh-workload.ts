import { z } from 'zod';
import { InvalidArgumentError } from '../../lib/errors/accord-error.js';
import { schemaIssueMessages } from '../../lib/kube/crd-schema.js';
import { meshWorkloadSpecSchema } from './mesh-workload-crd.js';

/**
 * A MeshWorkload (`mesh-workload-crd.ts`): its name, which pods it selects, the
 * application port and how credentials are translated. One parser, shared by the webhook and the
 * MeshWorkload reconcile, so both always agree on which pods belong to the mesh and which Secrets
 * the translator reads.
 */
export interface MeshWorkload {
  name: string;
  namespace: string;
  selector: LabelSelector;
  port: number;
  inbound: InboundCredentials;
  outbound: OutboundCredentials;
}

/** What the application gets for a verified call from another zone (`spec.inbound`). */
export type InboundCredentials =
  | { type: 'none' }
  /** `usersSecretName`: Secret with the translator's mapping file (key `credentials.yaml`). */
  | { type: 'basic'; usersSecretName: string }
  | {
      type: 'oidc';
      issuer: string;
      audience: string;
      /** Secret with the local issuer's PKCS#8 signing key (key `signing-key.pem`). */
      signingKeySecretName: string;
      keyId: string;
      ttlSeconds?: number;
      /** Secret with the translator's mapping file naming subjects (key `credentials.yaml`). */
      mappingsSecretName: string;
    };

/** How the application's own calls are authenticated before they leave (`spec.outbound`). */
export type OutboundCredentials =
  | { type: 'none' }
  /** `usersSecretName`: Secret with the translator's scrypt user file (key `users.yaml`). */
  | { type: 'basic'; usersSecretName: string }
  /** `jwksUri` absent: the translator discovers it from the issuer. */
  | { type: 'oidc'; issuer: string; audience: string; jwksUri?: string; userClaim?: string };

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

const meshWorkloadSchema = z.object({
  metadata: z.object({ name: z.string().min(1), namespace: z.string().min(1) }),
  spec: meshWorkloadSpecSchema,
});

/**
 * Reads a MeshWorkload object (plain JSON from the API server) with the schema its CRD is generated
 * from, so the parser refuses what the API server refuses, in the same words: an empty selector
 * (it would select every pod of the namespace), settings that do not match the chosen type, an
 * http issuer. It ignores unknown fields, as Kubernetes clients do.
 */
export function parseMeshWorkload(object: unknown): MeshWorkload {
  const result = meshWorkloadSchema.safeParse(object, { reportInput: true });
  if (!result.success) {
    throw new InvalidArgumentError(`${objectLabel(object)}: ${schemaIssueMessages(result.error).join('; ')}`);
  }
  const { metadata, spec } = result.data;
  const { matchLabels, matchExpressions } = spec.selector;
  return {
    name: metadata.name,
    namespace: metadata.namespace,
    selector: {
      ...(matchLabels === undefined ? {} : { matchLabels }),
      ...(matchExpressions === undefined ? {} : { matchExpressions }),
    },
    port: spec.port,
    inbound: chosenSettings(spec.inbound),
    outbound: chosenSettings(spec.outbound),
  };
}

/** `MeshWorkload <namespace>/<name>` when the metadata says so, for the log and the status. */
function objectLabel(object: unknown): string {
  const metadata = meshWorkloadSchema.shape.metadata.safeParse(
    (object as { metadata?: unknown } | null)?.metadata,
  );
  return metadata.success
    ? `MeshWorkload ${metadata.data.namespace}/${metadata.data.name}`
    : 'not a MeshWorkload';
}

/**
 * The settings block `type` chose, as one value of the union. The schema's rule guarantees that the
 * chosen block is present; an absent block (no `inbound` at all) means `none`.
 */
function chosenSettings<Basic extends object, Oidc extends object>(
  settings: { type: 'none' | 'basic' | 'oidc'; basic?: Basic; oidc?: Oidc } | undefined,
): { type: 'none' } | ({ type: 'basic' } & Basic) | ({ type: 'oidc' } & Oidc) {
  if (settings?.type === 'basic' && settings.basic !== undefined) return { type: 'basic', ...settings.basic };
  if (settings?.type === 'oidc' && settings.oidc !== undefined) return { type: 'oidc', ...settings.oidc };
  return { type: 'none' };
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
