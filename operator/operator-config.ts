import { hostname } from 'node:os';
import { z } from 'zod';
import { isValidTrustDomain } from '../lib/spiffe/spiffe-id.js';
import {
  backoffSchema,
  durationMs,
  hostPort,
  logSchema,
  namespaceName,
  opsSchema,
  withUnitNames,
  zoneClientFields,
} from '../lib/config/config-fields.js';

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
    leaseDuration: durationMs({ min: '1s' }).prefault('10s'),
    /** The leader gives up leading when it could not renew for this long. */
    renewDeadline: durationMs({ min: '500ms' }).prefault('7s'),
    /** Interval between acquire and renew attempts. */
    retryPeriod: durationMs({ min: '100ms' }).prefault('2s'),
  })
  .strict()
  .superRefine((election, context) => {
    if (election.enabled && election.namespace === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['namespace'],
        message: 'set the namespace of the Lease (the operator namespace), or disable leader election',
      });
    }
    if (election.renewDeadline >= election.leaseDuration) {
      context.addIssue({
        code: 'custom',
        path: ['renewDeadline'],
        message: 'must be less than leaseDuration, or two replicas could both believe they lead',
      });
    }
    if (election.retryPeriod >= election.renewDeadline) {
      context.addIssue({
        code: 'custom',
        path: ['retryPeriod'],
        message: 'must be less than renewDeadline, so a renewal is retried before the deadline',
      });
    }
  })
  .transform(
    withUnitNames({
      leaseDuration: 'leaseDurationMs',
      renewDeadline: 'renewDeadlineMs',
      retryPeriod: 'retryPeriodMs',
    }),
  )
  .prefault({});

const portNumber = z.number().int().min(1).max(65_535);

/** A sidecar's CPU and memory, as in a container's `resources` (quantities as strings). */
const containerResources = z
  .object({
    requests: z.record(z.string(), z.string()).optional(),
    limits: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/**
 * The sidecar injection webhook (operator/injection, docs/injection.md). Absent: no webhook runs
 * (the default). Present: every replica serves it and keeps its serving certificate and the
 * MutatingWebhookConfiguration's caBundle current.
 */
const injection = z
  .object({
    /** Accord's own namespace: holds the certificate Secret; its pods are never injected. */
    namespace: namespaceName,
    /** Where the webhook listens (HTTPS); the Service's targetPort. */
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65_535).default(9443),
    /** The Service the API server calls: the serving certificate names `<service>.<namespace>.svc`. */
    serviceName: dnsSubdomain.default('accord-operator-webhook'),
    /** The MutatingWebhookConfiguration whose `inject.accord.dev` entry's caBundle is kept current. */
    webhookConfigurationName: dnsSubdomain.default('accord-injection'),
    /** The Secret holding the webhook CA, certificate and key. */
    secretName: dnsSubdomain.default('accord-injection-webhook-tls'),
    envoy: z
      .object({
        image: z.string().min(1),
        inboundPort: portNumber.default(15006),
        outboundPort: portNumber.default(15001),
        resources: containerResources.optional(),
      })
      .strict(),
    translator: z.object({ image: z.string().min(1), resources: containerResources.optional() }).strict(),
    /** Validity of each serving certificate; renewed when a third is left. */
    certificateValidity: durationMs({ min: '1h' }).prefault('2160h'),
    /** How often the certificate and caBundle are checked and repaired. */
    certificateCheckInterval: durationMs({ min: '1s' }).prefault('1h'),
    /**
     * The zone PKI as meshed pods reach it (host:port), for the translator's SVID and WIT.
     * Defaults to the operator's own `pkiAddress`.
     */
    pkiAddress: hostPort.optional(),
    /**
     * Where the other zones' inbound sides answer. A zone this zone has an Active TrustContract
     * with is routed from the sidecars' outbound listener only when it is listed here (contracts
     * carry trust, not addresses).
     */
    remoteZones: z
      .array(
        z
          .object({
            trustDomain: z.string().refine(isValidTrustDomain, 'must be a SPIFFE trust domain'),
            /** The DNS suffix apps use for this zone: `http://orders.<hostSuffix>/` goes there. */
            hostSuffix: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/),
            /** The zone's ingress (mTLS, presenting an SVID of that trust domain). */
            endpoint: z.object({ host: z.string().min(1), port: portNumber }).strict(),
          })
          .strict(),
      )
      .default([])
      .refine((zones) => new Set(zones.map((zone) => zone.hostSuffix)).size === zones.length, {
        message: 'hostSuffix must be unique',
      }),
  })
  .strict()
  .refine((value) => value.envoy.inboundPort !== value.envoy.outboundPort, {
    path: ['envoy', 'outboundPort'],
    message: 'must differ from inboundPort',
  })
  .transform(
    withUnitNames({
      certificateValidity: 'certificateValidityMs',
      certificateCheckInterval: 'certificateCheckIntervalMs',
    }),
  );

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
    /** The repository, and the zone PKI whose SVID authenticates the operator and signs approvals. */
    ...zoneClientFields,
    /** Kubeconfig file for out-of-cluster runs; in a pod the ServiceAccount is used. */
    kubeconfig: z.string().min(1).optional(),
    /**
     * When set, roots are read only from Secrets/ConfigMaps in this namespace (matching namespaced
     * RBAC); a reference elsewhere is an InvalidSpec. Unset: any namespace the RBAC allows.
     */
    rootNamespace: namespaceName.optional(),
    leaderElection,
    /** How often every TrustContract is reconciled again, repairing drift a lost event left behind. */
    resyncInterval: durationMs({ min: '1s' }).prefault('1m'),
    /** Retry delays after a failed reconcile (and while the repository is unreachable). */
    backoff: backoffSchema,
    ops: opsSchema(9093),
    log: logSchema,
    /** The sidecar injection webhook; off unless set. */
    injection: injection.optional(),
  })
  .strict()
  .transform(withUnitNames({ resyncInterval: 'resyncIntervalMs' }));

/** The validated operator configuration. */
export type OperatorConfig = z.output<typeof operatorConfigSchema>;

/** The `kind` of the operator's config file. */
export const operatorConfigKind = 'OperatorConfig';
