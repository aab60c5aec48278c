import { z } from 'zod';

const address = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8443');

const namespaceName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name (DNS-1123 label)');

/** Cluster mode's output: the bundle Secrets of every mesh namespace (docs/provider.md). */
const kubernetesSecrets = z
  .object({
    /** The namespaces of the mesh; each gets every bundle Secret. */
    namespaces: z
      .array(namespaceName)
      .min(1)
      .refine((names) => new Set(names).size === names.length, { message: 'must not repeat a namespace' }),
    /** Kubeconfig file for out-of-cluster runs; in a pod the ServiceAccount is used. */
    kubeconfig: z.string().min(1).optional(),
    /** The object whose deletion garbage-collects the Secrets; none by default. */
    owner: z
      .object({
        apiVersion: z.string().min(1),
        kind: z.string().min(1),
        name: z.string().min(1),
        uid: z.string().min(1),
        /** Absent for a cluster-scoped owner; a namespaced one is referenced only in its namespace. */
        namespace: namespaceName.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * The provider's configuration: the single source of types, defaults and validation
 * (defaults < `kind: ContractProviderConfig` file < flags). Paths point at secrets; the secrets
 * themselves never appear in config.
 */
export const providerConfigSchema = z
  .object({
    /** The contract repository, host:port. */
    repositoryAddress: address,
    /** PEM roots the repository's server certificate chains to. */
    repositoryCaFile: z.string().min(1),
    /** SPIFFE ID (or just `spiffe://<trust domain>`) the repository must present; unchecked when empty. */
    repositoryServerId: z.string().default(''),
    /** This zone's PKI, host:port: the source of the provider's SVID and of the zone's own roots. */
    pkiAddress: address,
    /** PEM roots the PKI's server certificate chains to (this zone's root, distributed out of band). */
    pkiCaFile: z.string().min(1),
    /** File holding the bootstrap token the PKI maps to the provider's SPIFFE ID (local mode). */
    bootstrapTokenFile: z.string().min(1),
    /**
     * Local mode's output: the directory the bundles are written to (one PEM and one SPIFFE bundle
     * per trusted zone + bundle-map.json). Exactly one of this and `kubernetesSecrets`.
     */
    outputDirectory: z.string().min(1).optional(),
    kubernetesSecrets: kubernetesSecrets.optional(),
    /** How often to reopen Watch from a snapshot and re-check the files. */
    resyncIntervalMs: z.number().int().min(1000).default(300_000),
    backoff: z
      .object({
        /** First reconnect delay (before jitter). */
        initialDelayMs: z.number().int().min(1).default(250),
        /** Upper bound of the reconnect delay. */
        maxDelayMs: z.number().int().min(1).default(30_000),
      })
      .prefault({})
      .refine((backoff) => backoff.maxDelayMs >= backoff.initialDelayMs, {
        message: 'maxDelayMs must be at least initialDelayMs',
      }),
    ops: z
      .object({
        host: z.string().default('127.0.0.1'),
        /** /healthz, /readyz and /metrics; 0 picks a free port. */
        port: z.number().int().min(0).max(65535).default(9092),
      })
      .prefault({}),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
        format: z.enum(['json', 'text']).default('json'),
      })
      .prefault({}),
  })
  .strict()
  .superRefine((config, context) => {
    const outputs = [config.outputDirectory, config.kubernetesSecrets].filter(
      (output) => output !== undefined,
    );
    if (outputs.length === 1) return;
    context.addIssue({
      code: 'custom',
      path: [config.outputDirectory === undefined ? 'outputDirectory' : 'kubernetesSecrets'],
      message:
        outputs.length === 0
          ? 'set one output: outputDirectory (local mode) or kubernetesSecrets (cluster mode)'
          : 'outputDirectory and kubernetesSecrets exclude each other: set only one',
    });
  });

/** The validated provider configuration. */
export type ProviderConfig = z.output<typeof providerConfigSchema>;

/** The `kind` of the provider's config file. */
export const providerConfigKind = 'ContractProviderConfig';
