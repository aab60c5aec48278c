// The Accord chart's values, defined once: `npm run generate` writes values.schema.json (what helm
// validates every install against) and values.yaml (the defaults, each with its description) from
// this file (docs/helm.md, "Adding a value"). .helmignore keeps it out of the packaged chart.
import { z } from 'zod';
import { hostPort, namespaceName } from '../../lib/config/config-fields.js';
import { asListSet } from '../../lib/kube/crd-schema.js';
import { nonNegativeDurationPattern } from '../../lib/time/duration.js';
import { type ChartValuesDefinition, withValuesRule } from '../../scripts/schema-gen/chart-values-schema.js';

/** A DNS-1123 subdomain, e.g. the name of a Secret. */
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);

/** A DNS-1123 label. */
const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

/** A SPIFFE trust domain as Accord's SPIFFE ID parser accepts it (lib/spiffe/spiffe-id.ts). */
const trustDomain = z
  .string()
  .max(255)
  .regex(/^[a-z0-9._-]+$/)
  .describe("SPIFFE trust domain: lower-case letters, digits, '.', '-', '_'.");

const port = z.int().min(1).max(65535);

/** Replicas of a component (1–9). */
const replicaCount = z.int().min(1).max(9);

/** Every duration value: a string as Kubernetes writes them, which the daemons read unchanged. */
const duration = z.string().regex(nonNegativeDurationPattern).meta({
  id: 'duration',
  description:
    "A duration as Kubernetes writes them (Go's time.ParseDuration syntax, not negative): a number and a unit (ns, us, ms, s, m, h), repeated, e.g. 250ms, 30s, 1h30m, 8760h.",
});

/** Where secret material comes from: values only ever name a key of an existing Secret. */
const secretKey = z
  .strictObject({
    secretName: dnsSubdomain.describe('Name of an existing Secret in the release namespace.'),
    key: z
      .string()
      .max(253)
      .regex(/^[-._a-zA-Z0-9]+$/)
      .describe('Key in the Secret.'),
  })
  .meta({ id: 'secretKey', description: 'A key of an existing Secret in the release namespace.' });

/** A Kubernetes quantity (`100m`, `128Mi`, or a plain number). */
const quantity = z
  .union([z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/), z.number()])
  .meta({ id: 'quantity', description: 'A Kubernetes quantity, e.g. 100m (CPU) or 128Mi (memory).' });

/** A container's `requests` and `limits`. */
const resources = z
  .strictObject({
    requests: z
      .strictObject({
        cpu: quantity.describe('CPU requests, e.g. 100m.'),
        memory: quantity.describe('Memory requests, e.g. 128Mi.'),
      })
      .describe('Container requests.'),
    limits: z
      .strictObject({
        cpu: quantity.describe('CPU limits, e.g. 500m.'),
        memory: quantity.describe('Memory limits, e.g. 256Mi.'),
      })
      .describe('Container limits.'),
  })
  .meta({ id: 'resources', description: 'Container resources: requests and limits of CPU and memory.' });

/** `resources` with a component's own defaults. */
function containerResources(
  requests: { cpu: string; memory: string },
  limits: { cpu: string; memory: string },
) {
  return resources.default({ requests, limits });
}

/** The Service of a component that serves gRPC (`component`: `PKI`, `repository`). */
function serviceValues(component: string) {
  return z
    .strictObject({
      type: z
        .enum(['ClusterIP', 'NodePort', 'LoadBalancer'])
        .default('ClusterIP')
        .describe(`Type of the ${component} Service.`),
    })
    .prefault({})
    .describe(`The ${component} Service.`);
}

/**
 * Capped exponential backoff (lib/time/backoff.ts, `backoffSchema` in the config files): `delay`
 * names what is delayed (`reconnect delay`), `after` when (`after a failed reconcile`).
 */
function backoffValues(description: string, delay: string, after = '') {
  return z
    .strictObject({
      initialDelay: duration.default('250ms').describe(`First ${delay}${after} (at least 1ms).`),
      maxDelay: duration.default('30s').describe(`Upper bound of the ${delay} (>= initialDelay).`),
    })
    .prefault({})
    .describe(description);
}

const image = z
  .strictObject({
    repository: z
      .string()
      .min(1)
      .regex(/^[a-z0-9][a-z0-9._/:-]*$/)
      .default('ghcr.io/accord-mesh/accord')
      .describe(
        'Image holding every Accord binary, as `npm run image` or the Containerfile builds it (docs/image.md): push it to your registry and name it here.',
      ),
    tag: z
      .string()
      .regex(/^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/)
      .default('')
      .describe("Image tag; empty means the chart's appVersion, the package version the build tags."),
    pullPolicy: z
      .enum(['Always', 'IfNotPresent', 'Never'])
      .default('IfNotPresent')
      .describe('Kubernetes imagePullPolicy of every container.'),
  })
  .prefault({})
  .describe('The image of every Accord container.');

const zone = z
  .strictObject({
    trustDomain: trustDomain
      .default('zone-a.example')
      .describe('SPIFFE trust domain of this zone (PkiConfig.trustDomain).'),
    meshNamespaces: asListSet(z.array(namespaceName.describe('Namespace name.')).min(1))
      .default(['default'])
      .describe(
        'Namespaces of the mesh: the provider writes the bundle Secrets into each of them and gets a Role in each (kubernetesSecrets.namespaces). They must exist before the install.',
      ),
  })
  .prefault({})
  .describe("Zone mode: this zone's identity and mesh.");

const pki = z
  .strictObject({
    replicas: replicaCount
      .default(1)
      .describe(
        'Number of PKI replicas; several are safe (exactly one root wins the race to create the CA Secret).',
      ),
    port: port
      .default(8443)
      .describe('gRPC port of accord.pki.v1 (PkiConfig.listen.port), also the Service port.'),
    opsPort: port.default(9090).describe('Port of /healthz, /readyz and /metrics (PkiConfig.ops.port).'),
    caSecretName: z
      .string()
      .max(253)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/)
      .default('')
      .describe(
        'Name of the Secret in the release namespace holding the CA state (PkiConfig.caSecret.name). The PKI creates it on first start; empty means `<release>-pki-ca`.',
      ),
    svidTtl: duration
      .default('24h')
      .describe('Default X509-SVID lifetime (whole seconds, like every PKI duration; at least 1s).'),
    svidMaxTtl: duration.default('168h').describe('Longest X509-SVID lifetime a caller may ask for.'),
    witTtl: duration.default('5m').describe('Default WIT lifetime.'),
    witMaxTtl: duration.default('1h').describe('Longest WIT lifetime a caller may ask for.'),
    rootTtl: duration.default('8760h').describe('Lifetime of a new root CA.'),
    clockSkew: duration
      .default('1m')
      .describe('Tolerated clock skew (certificates are backdated by it; 0s allowed).'),
    bundleRefreshHint: duration.default('5m').describe('Refresh hint of the zone bundle.'),
    storeReloadInterval: duration
      .default('10s')
      .describe('How often the CA Secret is re-read so that `accord-pki rotate` takes effect.'),
    bootstrapTokens: z
      .array(
        z
          .strictObject({
            spiffePath: z
              .string()
              .regex(/^(\/[A-Za-z0-9._-]+)+$/)
              .describe('SPIFFE ID path the token grants, e.g. /accord/admin.'),
            tokenSecret: secretKey.describe('Secret key holding the token.'),
          })
          .describe('A bootstrap token and the SPIFFE ID path it grants.'),
      )
      .default([])
      .meta({
        description:
          "Further bootstrap tokens, each an existing Secret key and the SPIFFE ID path it grants. The PKI already accepts the provider's token (provider.bootstrapToken, /accord/contract-provider) and the operator's (operator.bootstrapToken, /accord/operator): it mounts those Secrets and hashes the tokens itself at start. Every token must differ from every other.",
        examples: [
          [
            {
              spiffePath: '/accord/admin',
              tokenSecret: { secretName: 'accord-admin-bootstrap-token', key: 'token' },
            },
          ],
        ],
      }),
    service: serviceValues('PKI'),
    resources: containerResources({ cpu: '50m', memory: '96Mi' }, { cpu: '500m', memory: '256Mi' }).describe(
      'Container resources of the PKI.',
    ),
  })
  .prefault({})
  .describe('Zone mode: the zone PKI (accord-pki).');

const provider = z
  .strictObject({
    repositoryAddress: hostPort
      .default('accord-hub.example:8444')
      .describe(
        "The hub's contract repository, host:port (ContractProviderConfig.repositoryAddress and OperatorConfig.repositoryAddress).",
      ),
    repositoryServerId: z
      .string()
      .regex(/^(spiffe:\/\/.+)?$/)
      .default('')
      .describe('SPIFFE ID (or `spiffe://<trust domain>`) the repository must present; empty = unchecked.'),
    repositoryCa: secretKey
      .default({ secretName: 'accord-repository-ca', key: 'ca.pem' })
      .describe("Existing Secret holding the PEM roots of the repository's server certificate."),
    pkiCa: secretKey
      .default({ secretName: 'accord-pki-root', key: 'ca.pem' })
      .describe("Existing Secret holding this zone's PKI root (PEM), distributed out of band."),
    bootstrapToken: secretKey
      .default({ secretName: 'accord-provider-bootstrap-token', key: 'token' })
      .describe(
        "Existing Secret holding the provider's bootstrap token; the PKI mounts it too and grants it /accord/contract-provider.",
      ),
    resyncInterval: duration
      .default('5m')
      .describe('How often Watch is reopened from a snapshot and the Secrets re-checked (at least 1s).'),
    backoff: backoffValues('Reconnect backoff.', 'reconnect delay'),
    opsPort: port
      .default(9092)
      .describe('Port of /healthz, /readyz and /metrics (ContractProviderConfig.ops.port).'),
    resources: containerResources({ cpu: '25m', memory: '96Mi' }, { cpu: '250m', memory: '256Mi' }).describe(
      'Container resources of the provider.',
    ),
  })
  .prefault({})
  .describe(
    "Zone mode: the contract provider (accord-contract-provider). Its repository and PKI CA values (repositoryAddress, repositoryServerId, repositoryCa, pkiCa) are the operator's too.",
  );

const envoy = z
  .strictObject({
    image: z
      .string()
      .min(1)
      .default('envoyproxy/envoy:v1.40.0')
      .describe('Image of the injected Envoy sidecar.'),
    inboundPort: port
      .default(15006)
      .describe("Envoy's mTLS inbound listener; Services of meshed workloads are redirected to it."),
    outboundPort: port
      .default(15001)
      .describe("Envoy's plain-HTTP outbound listener on 127.0.0.1 (the apps' HTTP_PROXY)."),
    resources: containerResources({ cpu: '50m', memory: '64Mi' }, { cpu: '500m', memory: '256Mi' }).describe(
      'Container resources of the Envoy sidecar.',
    ),
  })
  .prefault({})
  .describe('The injected Envoy sidecar.');

const remoteZone = z
  .strictObject({
    trustDomain: trustDomain.describe("The zone's SPIFFE trust domain."),
    hostSuffix: dnsSubdomain.describe("The DNS suffix apps use for the zone's services."),
    endpoint: z
      .strictObject({
        host: z.string().min(1).describe("Host of the zone's ingress."),
        port: port.describe("Port of the zone's ingress."),
      })
      .describe("The zone's ingress (mTLS)."),
  })
  .describe('A partner zone and where its inbound side answers.');

const injection = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'Turn injection on (webhook on every operator replica, MeshWorkload controller on the leader).',
      ),
    port: port
      .default(9443)
      .describe(
        'HTTPS port of the webhook in the operator pods; the Service `<release>-operator-webhook` maps 443 to it.',
      ),
    pkiAddress: z
      .string()
      .regex(/^([^\s:]+:[0-9]{1,5})?$/)
      .default('')
      .describe("The zone PKI as meshed pods reach it (host:port); empty = this release's PKI Service."),
    envoy,
    translator: z
      .strictObject({
        resources: containerResources(
          { cpu: '25m', memory: '64Mi' },
          { cpu: '500m', memory: '256Mi' },
        ).describe('Container resources of the translator sidecar.'),
      })
      .prefault({})
      .describe("The injected translator sidecar (the chart's image)."),
    remoteZones: z
      .array(remoteZone)
      .default([])
      .meta({
        description:
          "Where the other zones' inbound sides (their ingress) answer. Every listed zone is routed; its TrustContract decides whether calls get through.",
        examples: [
          [
            {
              trustDomain: 'zone-b.example',
              hostSuffix: 'zone-b.example',
              endpoint: { host: 'ingress.zone-b.example', port: 15006 },
            },
          ],
        ],
      }),
  })
  .prefault({})
  .describe(
    'Sidecar injection (docs/injection.md): the MutatingWebhookConfiguration `<release>-injection` (failurePolicy Fail, only for namespaces labelled accord.dev/mesh=enabled), its Service, the MeshWorkload controller and their RBAC. Off by default: it adds cluster-wide MeshWorkload, Service-read and webhook-registration rights, and write access to ConfigMaps and Services in zone.meshNamespaces.',
  );

const operator = z
  .strictObject({
    replicas: replicaCount
      .default(2)
      .describe(
        'Number of operator replicas: one leader reconciles (a Lease `<release>-operator` in the release namespace), the others stand by. More than one adds a PodDisruptionBudget (minAvailable 1).',
      ),
    zoneName: z
      .string()
      .max(253)
      .default('')
      .describe(
        "This zone's participant name in TrustContracts (OperatorConfig.zone.name); when set, a contract naming this trust domain differently is refused. Empty = not checked.",
      ),
    bootstrapToken: secretKey
      .default({ secretName: 'accord-operator-bootstrap-token', key: 'token' })
      .describe(
        "Existing Secret holding the operator's bootstrap token; the PKI mounts it too and grants it /accord/operator. It must hold another token than the provider's.",
      ),
    leaderElection: z
      .strictObject({
        leaseDuration: duration
          .default('10s')
          .describe('How long a Lease holds without renewal before a standby may take it (at least 1s).'),
        renewDeadline: duration
          .default('7s')
          .describe('The leader stops leading when it could not renew for this long (< leaseDuration).'),
        retryPeriod: duration
          .default('2s')
          .describe('Interval between acquire and renew attempts (< renewDeadline).'),
      })
      .prefault({})
      .describe('Leader election among the operator replicas.'),
    resyncInterval: duration
      .default('1m')
      .describe('How often every TrustContract is reconciled again (drift repair; at least 1s).'),
    backoff: backoffValues('Reconcile retry backoff.', 'retry delay', ' after a failed reconcile'),
    opsPort: port.default(9093).describe('Port of /healthz, /readyz and /metrics (OperatorConfig.ops.port).'),
    resources: containerResources({ cpu: '25m', memory: '96Mi' }, { cpu: '250m', memory: '256Mi' }).describe(
      'Container resources of the operator.',
    ),
    v8MaxSemiSpaceSize: z
      .int()
      .min(1)
      .max(64)
      .default(2)
      .describe(
        "V8's --max-semi-space-size of the operator's Node, in MiB (passed as NODE_OPTIONS). The operator allocates in bursts (a reconcile per TrustContract) and V8's default young generation, three semi-spaces of up to 16 MiB, kept its RSS above 150 MB after 1,000 new TrustContracts in some runs; 2 keeps it about 30 MB lower at no measurable CPU cost (bench/RESULTS.md).",
      ),
    injection,
  })
  .prefault({})
  .describe(
    'Zone mode: the operator (accord-operator), the TrustContract controller. It reaches the same repository and PKI as the provider, with provider.repositoryAddress, provider.repositoryServerId, provider.repositoryCa and provider.pkiCa. Partner roots referenced by TrustContracts must live in the release namespace (OperatorConfig.rootNamespace), the only place it may read Secrets and ConfigMaps. Its Events about TrustContracts go to namespace `default` (Role `<release>-operator-events` there), the only namespace the API server accepts for Events about cluster-scoped objects.',
  );

const consoleValues = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'Run the zone\'s web console (`accordctl console`, docs/console.md, "In a cluster"): one pod, listening on 127.0.0.1 in the pod only, reached through `kubectl port-forward`; its one-time login URL is in the pod log. Off by default: the pod holds the zone\'s approver key.',
      ),
    approverSecretName: dnsSubdomain
      .default('accord-console-approver')
      .describe(
        "Existing `kubernetes.io/tls` Secret holding the zone's designated approver SVID (spiffe://<zone.trustDomain>/accord/admin) and its key (tls.crt, tls.key), as `accordctl login` writes them. Not a bootstrap token: the pod can act as the approver only until that SVID expires.",
      ),
    port: port
      .default(8080)
      .describe('Port of the console on 127.0.0.1 inside the pod; forward a local port to it.'),
    showInstalledBundles: z
      .boolean()
      .default(false)
      .describe(
        "Show the provider's bundle Secrets in zone.meshNamespaces (`--bundle-secrets`). Off by default: it needs `list` on Secrets there, which Kubernetes cannot narrow to the bundle Secrets, so the pod could read every Secret of those namespaces.",
      ),
    resources: containerResources({ cpu: '25m', memory: '96Mi' }, { cpu: '250m', memory: '256Mi' }).describe(
      'Container resources of the console.',
    ),
  })
  .prefault({})
  .describe('Zone mode: the optional web console of the zone administrator (docs/console.md).');

const repo = z
  .strictObject({
    replicas: replicaCount
      .default(1)
      .describe(
        "Number of repository replicas; several serve at once on the shared audit log (each follows the others' entries within about half a second) and any pod may die without losing an acknowledged change.",
      ),
    port: port
      .default(8444)
      .describe('gRPC port of the repository (ContractRepoConfig.listen.port), also the Service port.'),
    opsPort: port
      .default(9091)
      .describe('Port of /healthz, /readyz and /metrics (ContractRepoConfig.ops.port).'),
    logName: dnsLabel
      .default('accord-audit')
      .describe('Name of the audit log in the release namespace (kubernetesStore.logName): a DNS label.'),
    admins: asListSet(
      z.array(
        z
          .string()
          .regex(/^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/)
          .describe('SPIFFE ID.'),
      ),
    )
      .default([])
      .meta({
        description: 'SPIFFE IDs allowed to propose, revoke, delete, list everything and read the audit log.',
        examples: [['spiffe://zone-a.example/accord/admin']],
      }),
    enrolledZones: z
      .array(
        z
          .strictObject({
            trustDomain,
            rootCaSecret: secretKey.describe("Secret with the zone's root(s), PEM."),
          })
          .describe('An enrolled zone.'),
      )
      .default([])
      .meta({
        description:
          'Enrolled zones (at least one in hub mode): trust domain and an existing Secret with its root(s).',
        examples: [
          [{ trustDomain: 'zone-a.example', rootCaSecret: { secretName: 'zone-a-root', key: 'ca.pem' } }],
        ],
      }),
    tlsSecretName: dnsSubdomain
      .default('accord-contract-repo-tls')
      .describe("Existing `kubernetes.io/tls` Secret holding the repository's X509-SVID (tls.crt, tls.key)."),
    reloadInterval: duration
      .default('30s')
      .describe(
        'How often the TLS identity and the enrolled roots are re-read (whole seconds, at least 1s).',
      ),
    limits: z
      .strictObject({
        maxReceiveMessageBytes: z
          .int()
          .min(65536)
          .default(1048576)
          .describe('Largest gRPC message accepted, in bytes (at least 65536).'),
        maxContracts: z.int().min(1).default(100000).describe('Most contracts the repository stores.'),
        maxWatchers: z.int().min(1).default(1024).describe('Most concurrent Watch streams.'),
        maxApprovalClockSkew: duration
          .default('5m')
          .describe('Tolerated clock skew of approval timestamps (whole seconds, at least 1s).'),
      })
      .prefault({})
      .describe('Limits of the repository.'),
    service: serviceValues('repository'),
    resources: containerResources({ cpu: '50m', memory: '128Mi' }, { cpu: '500m', memory: '512Mi' }).describe(
      'Container resources of the repository.',
    ),
  })
  .prefault({})
  .describe(
    'Hub mode: the contract repository (accord-contract-repo) on the Kubernetes store (docs/contracts-api.md).',
  );

const values = withValuesRule(
  z.strictObject({
    mode: z
      .enum(['zone', 'hub'])
      .default('zone')
      .describe(
        'What this release installs: `zone` (zone PKI + contract provider + operator + CRDs, in every zone cluster) or `hub` (contract repository, in the hub cluster).',
      ),
    image,
    imagePullSecrets: asListSet(z.array(dnsSubdomain.describe('Secret name.')))
      .default([])
      .describe('Names of existing docker-registry Secrets used to pull the image.'),
    logLevel: z
      .enum(['debug', 'info', 'warn', 'error'])
      .default('info')
      .describe('Log level of every component.'),
    logFormat: z
      .enum(['json', 'text'])
      .default('json')
      .describe('Log format of the provider, the operator and the repository (the PKI always logs JSON).'),
    zone,
    pki,
    provider,
    operator,
    console: consoleValues,
    repo,
  }),
  {
    if: { properties: { mode: { const: 'hub' } } },
    then: { properties: { repo: { properties: { enrolledZones: { minItems: 1 } } } } },
    path: ['repo', 'enrolledZones'],
    message: 'hub mode needs at least one enrolled zone',
    holds: ({ mode, repo: { enrolledZones } }) => mode !== 'hub' || enrolledZones.length > 0,
  },
);

/** The chart's values: the source of values.schema.json and values.yaml. */
export const chartValues: ChartValuesDefinition = {
  title: 'Values of the Accord chart',
  description:
    'Every value is described here and in docs/helm.md; values.schema.json rejects unknown and mistyped values. Secret material never appears here: values only name existing Secrets in the release namespace. Durations are strings as Kubernetes writes them (Go syntax, no days): `250ms`, `30s`, `5m`, `1h30m`, `8760h`.',
  schema: values,
};
