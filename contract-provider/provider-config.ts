import { z } from 'zod';
import {
  backoffSchema,
  durationMs,
  logSchema,
  namespaceName,
  opsSchema,
  withUnitNames,
  zoneClientFields,
} from '../lib/config/config-fields.js';

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
 * Where the provider remembers the contracts it saw revoked or deleted, so that no later answer of
 * the repository makes it trust them again, across restarts (docs/provider.md, "Memory").
 */
const memory = z
  .object({
    /** Local mode: a file; default `<outputDirectory>/.accord-withdrawn-contracts.json`. */
    file: z.string().min(1).optional(),
    /** Cluster mode (required there): a ConfigMap, usually in the provider's own namespace. */
    configMap: z
      .object({ namespace: namespaceName, name: z.string().min(1).max(253) })
      .strict()
      .optional(),
  })
  .strict();

/** The file local mode remembers withdrawn contracts in unless `memory.file` says otherwise. */
export const defaultMemoryFileName = '.accord-withdrawn-contracts.json';

/**
 * The provider's configuration: the single source of types, defaults and validation
 * (defaults < `kind: ContractProviderConfig` file < flags). Paths point at secrets; the secrets
 * themselves never appear in config.
 */
export const providerConfigSchema = z
  .object({
    ...zoneClientFields,
    /**
     * Local mode's output: the directory the bundles are written to (one PEM and one SPIFFE bundle
     * per trusted zone + bundle-map.json). Exactly one of this and `kubernetesSecrets`.
     */
    outputDirectory: z.string().min(1).optional(),
    kubernetesSecrets: kubernetesSecrets.optional(),
    memory: memory.default({}),
    /** How often to reopen Watch from a snapshot and re-check the files. */
    resyncInterval: durationMs({ min: '1s' }).prefault('5m'),
    backoff: backoffSchema,
    ops: opsSchema(9092),
    log: logSchema,
  })
  .strict()
  .superRefine((config, context) => {
    const outputs = [config.outputDirectory, config.kubernetesSecrets].filter(
      (output) => output !== undefined,
    );
    if (outputs.length === 1) {
      const memoryProblem =
        config.kubernetesSecrets === undefined
          ? config.memory.configMap === undefined
            ? undefined
            : { path: 'configMap', message: 'local mode remembers in a file: set memory.file or nothing' }
          : config.memory.configMap === undefined
            ? {
                path: 'configMap',
                message:
                  'cluster mode needs memory.configMap ({namespace, name}): where the provider remembers revoked and deleted contracts',
              }
            : config.memory.file === undefined
              ? undefined
              : { path: 'file', message: 'cluster mode remembers in memory.configMap, not in a file' };
      if (memoryProblem !== undefined)
        context.addIssue({
          code: 'custom',
          path: ['memory', memoryProblem.path],
          message: memoryProblem.message,
        });
      return;
    }
    context.addIssue({
      code: 'custom',
      path: [config.outputDirectory === undefined ? 'outputDirectory' : 'kubernetesSecrets'],
      message:
        outputs.length === 0
          ? 'set one output: outputDirectory (local mode) or kubernetesSecrets (cluster mode)'
          : 'outputDirectory and kubernetesSecrets exclude each other: set only one',
    });
  })
  .transform(withUnitNames({ resyncInterval: 'resyncIntervalMs' }));

/** The validated provider configuration. */
export type ProviderConfig = z.output<typeof providerConfigSchema>;

/** The `kind` of the provider's config file. */
export const providerConfigKind = 'ContractProviderConfig';
