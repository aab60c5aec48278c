import { z } from 'zod';
import { InvalidArgumentError } from '../../lib/errors/accord-error.js';

/**
 * A MeshWorkload (crds/accord.dev_meshworkloads.yaml): its name, which pods it selects, the
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

const requirementSchema = z.object({
  key: z.string().min(1),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).exactOptional(),
});

const secretName = z.string().min(1).max(253);
const httpsUrl = z.url({ protocol: /^https$/ });

/** The `none` and `basic` settings have the same shape on both sides (the Secrets hold different files). */
const noCredentialSchema = z.object({ type: z.literal('none') });
const basicCredentialSchema = z.object({
  type: z.literal('basic'),
  basic: z.object({ usersSecretName: secretName }),
});

const inboundSchema = z.discriminatedUnion('type', [
  noCredentialSchema,
  basicCredentialSchema,
  z.object({
    type: z.literal('oidc'),
    oidc: z.object({
      issuer: httpsUrl,
      audience: z.string().min(1),
      signingKeySecretName: secretName,
      keyId: z.string().min(1),
      ttlSeconds: z.number().int().min(1).max(3600).exactOptional(),
      mappingsSecretName: secretName,
    }),
  }),
]);

const outboundSchema = z.discriminatedUnion('type', [
  noCredentialSchema,
  basicCredentialSchema,
  z.object({
    type: z.literal('oidc'),
    oidc: z.object({
      issuer: httpsUrl,
      audience: z.string().min(1),
      jwksUri: httpsUrl.exactOptional(),
      userClaim: z.string().min(1).exactOptional(),
    }),
  }),
]);

const meshWorkloadSchema = z.object({
  metadata: z.object({ name: z.string().min(1), namespace: z.string().min(1) }),
  spec: z.object({
    selector: z.object({
      matchLabels: z.record(z.string(), z.string()).exactOptional(),
      matchExpressions: z.array(requirementSchema).exactOptional(),
    }),
    port: z.number().int().min(1).max(65535),
    inbound: inboundSchema.default({ type: 'none' }),
    outbound: outboundSchema.default({ type: 'none' }),
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
  return {
    name: metadata.name,
    namespace: metadata.namespace,
    selector,
    port: spec.port,
    inbound:
      spec.inbound.type === 'basic'
        ? { type: 'basic', ...spec.inbound.basic }
        : spec.inbound.type === 'oidc'
          ? { type: 'oidc', ...spec.inbound.oidc }
          : { type: 'none' },
    outbound:
      spec.outbound.type === 'basic'
        ? { type: 'basic', ...spec.outbound.basic }
        : spec.outbound.type === 'oidc'
          ? { type: 'oidc', ...spec.outbound.oidc }
          : { type: 'none' },
  };
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
