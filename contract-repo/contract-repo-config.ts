import { z } from 'zod';
import { durationMs, durationSeconds, withUnitNames } from '../lib/config/config-fields.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import { isValidTrustDomain } from '../lib/spiffe/spiffe-id.js';
import { auditLogNamePattern, defaultAuditLogName } from './audit-entry-config-map.js';
import { defaultRepositoryLimits } from './contract-repository.js';

/** The config file kind of the contract repository. */
export const contractRepoConfigKind = 'ContractRepoConfig';

const spiffeIdString = z.string().refine(
  (value) => {
    try {
      parseSpiffeId(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a valid SPIFFE ID such as spiffe://zone-a.example/accord/admin' },
);

const endpoint = (defaultPort: number) =>
  z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(defaultPort),
    })
    .strict()
    .prefault({});

/** Where the Kubernetes-backed store keeps the audit log (see kube-contract-store.ts). */
const kubernetesStore = z
  .object({
    /** Namespace of the hub cluster holding one ConfigMap per audit entry. */
    namespace: z.string().min(1),
    /** Names the log, so that several repositories can share a namespace. */
    logName: z
      .string()
      .regex(auditLogNamePattern, 'must be a DNS label (lowercase letters, digits, "-"; at most 63)')
      .default(defaultAuditLogName),
    /** Kubeconfig file; without it the pod's ServiceAccount (or $KUBECONFIG) is used. */
    kubeconfig: z.string().min(1).optional(),
    /**
     * How often each replica reads the entries other replicas appended (one GET when nothing
     * changed): how long a change made on one replica may take to show on another.
     */
    followInterval: durationMs({ min: '50ms', max: '1m' }).prefault('500ms'),
  })
  .strict()
  .transform(withUnitNames({ followInterval: 'followIntervalMs' }));

/**
 * The contract repository's configuration, the single source of its types, defaults and
 * validation. Secrets appear only as file paths.
 */
export const contractRepoConfigSchema = z
  .object({
    /** gRPC listen address. */
    listen: endpoint(8444),
    /** `/healthz`, `/readyz`, `/metrics`. */
    ops: endpoint(9091),
    /** Directory holding `audit-log.jsonl`, the repository's only state (or `kubernetesStore`). */
    dataDir: z.string().min(1).optional(),
    /** Keep the audit log in the hub cluster instead of `dataDir`. */
    kubernetesStore: kubernetesStore.optional(),
    /** SPIFFE IDs allowed to propose, revoke, delete, list everything and read the audit log. */
    admins: z.array(spiffeIdString).default([]),
    /** Zones whose SVIDs may call: each trust domain with its root CA file (PEM, one or more roots). */
    enrolledZones: z
      .array(
        z
          .object({
            trustDomain: z
              .string()
              .refine(isValidTrustDomain, { message: 'must be a valid SPIFFE trust domain name' }),
            rootCaFile: z.string().min(1),
          })
          .strict(),
      )
      .min(1, 'at least one zone must be enrolled, or no client can authenticate'),
    /** The repository's own TLS identity (an X509-SVID); re-read when the files change. */
    tls: z.object({ certificateFile: z.string().min(1), privateKeyFile: z.string().min(1) }).strict(),
    /** How often TLS identity and enrolled roots are re-read from their files. */
    reloadInterval: durationSeconds({ min: '1s' }).prefault('30s'),
    limits: z
      .object({
        maxReceiveMessageBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(1024 * 1024),
        maxContracts: z.number().int().positive().default(defaultRepositoryLimits.maxContracts),
        maxWatchers: z.number().int().positive().default(defaultRepositoryLimits.maxWatchers),
        maxApprovalClockSkew: durationSeconds({ min: '1s' }).prefault(
          `${defaultRepositoryLimits.maxApprovalClockSkewMs}ms`,
        ),
      })
      .strict()
      .transform(withUnitNames({ maxApprovalClockSkew: 'maxApprovalClockSkewSeconds' }))
      .prefault({}),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    logFormat: z.enum(['json', 'text']).default('json'),
  })
  .strict()
  .refine((config) => (config.dataDir === undefined) !== (config.kubernetesStore === undefined), {
    message: 'set exactly one of dataDir (file store) or kubernetesStore (Kubernetes store)',
    path: ['dataDir'],
  })
  .transform(withUnitNames({ reloadInterval: 'reloadIntervalSeconds' }));

/** Validated contract repository configuration. */
export type ContractRepoConfig = z.output<typeof contractRepoConfigSchema>;
