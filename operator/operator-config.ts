import { hostname } from 'node:os';
import { z } from 'zod';

const address = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8443');

const namespaceName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name (DNS-1123 label)');

const dnsSubdomain = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a DNS-1123 subdomain, e.g. accord-operator',
  );

/**
 * The Lease that lets only one replica reconcile at a time (client-go's defaults: 15 s/10 s/2 s,
 * shortened here because a zone operator has little to hand over).
 */
const leaderElection = z
  .object({
    /** Off only for a single replica run by hand; two unelected replicas would race on status. */
    enabled: z.boolean().default(true),
    /** Namespace of the Lease (the operator's own); required when enabled. */
    namespace: namespaceName.optional(),
    /** Name of the Lease object. */
    leaseName: dnsSubdomain.default('accord-operator'),
    /**
     * This replica's holder identity; two replicas must differ. Defaults to the host name, which
     * in a pod is the pod name; the chart passes the pod name explicitly (`--leader-identity`).
     */
    identity: z
      .string()
      .min(1)
      .default(() => hostname()),
    /** How long a Lease holds without renewal before another replica may take it. */
    leaseDurationMs: z.number().int().min(1000).default(10_000),
    /** The leader gives up leading when it could not renew for this long. */
    renewDeadlineMs: z.number().int().min(500).default(7000),
    /** Interval between acquire and renew attempts. */
    retryPeriodMs: z.number().int().min(100).default(2000),
  })
  .strict()
  .prefault({})
  .superRefine((election, context) => {
    if (election.enabled && election.namespace === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['namespace'],
        message: 'set the namespace of the Lease (the operator namespace), or disable leader election',
      });
    }
    if (election.renewDeadlineMs >= election.leaseDurationMs) {
      context.addIssue({
        code: 'custom',
        path: ['renewDeadlineMs'],
        message: 'must be less than leaseDurationMs, or two replicas could both believe they lead',
      });
    }
    if (election.retryPeriodMs >= election.renewDeadlineMs) {
      context.addIssue({
        code: 'custom',
        path: ['retryPeriodMs'],
        message: 'must be less than renewDeadlineMs, so a renewal is retried before the deadline',
      });
    }
  });

/**
 * The operator's configuration: the single source of types, defaults and validation
 * (defaults < `kind: OperatorConfig` file < flags). Paths point at secrets; the secrets themselves
 * never appear in config. docs/operator.md describes every field and the RBAC each one implies.
 */
export const operatorConfigSchema = z
  .object({
    /** The zone this operator acts for; its trust domain finds the zone among a contract's participants. */
    zone: z
      .object({
        /** The zone's participant name; when set, a spec naming this trust domain differently is refused. */
        name: z.string().min(1).optional(),
        trustDomain: z.string().min(1),
      })
      .strict(),
    /** The contract repository, host:port. */
    repositoryAddress: address,
    /** PEM roots the repository's server certificate chains to. */
    repositoryCaFile: z.string().min(1),
    /** SPIFFE ID (or just `spiffe://<trust domain>`) the repository must present; unchecked when empty. */
    repositoryServerId: z.string().default(''),
    /** This zone's PKI, host:port: the source of the operator's SVID, which signs approvals. */
    pkiAddress: address,
    /** PEM roots the PKI's server certificate chains to (this zone's root, distributed out of band). */
    pkiCaFile: z.string().min(1),
    /** File holding the bootstrap token the PKI maps to the operator's SPIFFE ID. */
    bootstrapTokenFile: z.string().min(1),
    /** Kubeconfig file for out-of-cluster runs; in a pod the ServiceAccount is used. */
    kubeconfig: z.string().min(1).optional(),
    /**
     * When set, roots are read only from Secrets/ConfigMaps in this namespace (matching namespaced
     * RBAC); a reference elsewhere is an InvalidSpec. Unset: any namespace the RBAC allows.
     */
    rootNamespace: namespaceName.optional(),
    leaderElection,
    /** How often every TrustContract is reconciled again, repairing drift a lost event left behind. */
    resyncIntervalMs: z.number().int().min(1000).default(60_000),
    /** Retry delays after a failed reconcile (and while the repository is unreachable). */
    backoff: z
      .object({
        /** First retry delay. */
        initialDelayMs: z.number().int().min(1).default(250),
        /** Upper bound of the retry delay. */
        maxDelayMs: z.number().int().min(1).default(30_000),
      })
      .strict()
      .prefault({})
      .refine((backoff) => backoff.maxDelayMs >= backoff.initialDelayMs, {
        message: 'maxDelayMs must be at least initialDelayMs',
      }),
    ops: z
      .object({
        host: z.string().default('127.0.0.1'),
        /** /healthz, /readyz and /metrics; 0 picks a free port. */
        port: z.number().int().min(0).max(65535).default(9093),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
        format: z.enum(['json', 'text']).default('json'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The validated operator configuration. */
export type OperatorConfig = z.output<typeof operatorConfigSchema>;

/** The `kind` of the operator's config file. */
export const operatorConfigKind = 'OperatorConfig';
