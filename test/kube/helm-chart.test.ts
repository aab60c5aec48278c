import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { configFileFields } from '../../lib/config/load-config.js';
import {
  contractRepoConfigKind,
  contractRepoConfigSchema,
} from '../../contract-repo/contract-repo-config.js';
import { providerConfigKind, providerConfigSchema } from '../../contract-provider/provider-config.js';
import { injectionWebhookConfiguration } from '../../operator/injection/webhook-configuration.js';
import { operatorConfigKind, operatorConfigSchema } from '../../operator/operator-config.js';
import { pkiConfigKind, pkiConfigSchema } from '../../pki/pki-config.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { accordCrdDirectory, installAccordCrds, yamlFiles } from './accord-crds.js';
import { helm } from './helm.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';
import { kubectl as runKubectl } from './kubectl.js';
import { snapshotObjectNames } from '../../contract-repo/snapshot-config-map.js';

const repoRoot = resolve(__dirname, '../..');
const chartDirectory = join(repoRoot, 'charts/accord');
const examplesDirectory = join(chartDirectory, 'examples');
const chartCrdDirectory = join(chartDirectory, 'crds');

/** The namespace every rendering is installed into. */
const releaseNamespace = 'accord-system';

/** The hub's RBAC goes into its own namespace, as in a hub cluster. */
const hubNamespace = 'accord-hub';

/** Namespaces the examples name as mesh namespaces, plus the releases' own. */
const namespaces = [releaseNamespace, hubNamespace, 'shop', 'finance', 'payments'];

const exampleFiles = yamlFiles(examplesDirectory);

/** How helm reports a value the schema's duration pattern (Go syntax, not negative) refuses. */
const durationPattern = "does not match pattern '^\\\\+?(0|(([0-9]+";

/** A rendering: the default values, or one example values file. */
const renderings = ['default values', ...exampleFiles.map((file) => `examples/${file}`)];

function valuesArgs(rendering: string): string[] {
  return rendering === 'default values' ? [] : ['-f', join(chartDirectory, rendering)];
}

/** The fields of rendered objects the tests read. */
interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  rules?: { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs?: string[] }[];
  spec?: {
    replicas?: number;
    minAvailable?: number;
    strategy?: { type: string };
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec: {
        serviceAccountName?: string;
        securityContext?: Record<string, unknown>;
        affinity?: Record<string, unknown>;
        containers: Container[];
        volumes?: { name: string; emptyDir?: { sizeLimit?: string } }[];
      };
    };
  };
}

interface Container {
  name: string;
  image: string;
  command: string[];
  args: string[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  env?: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  startupProbe?: { httpGet: { path: string; port: string } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

async function render(rendering: string, release = 'accord', namespace = releaseNamespace): Promise<string> {
  const result = await helm('template', release, chartDirectory, '-n', namespace, ...valuesArgs(rendering));
  if (result.code !== 0) throw new Error(`helm template ${rendering} failed: ${result.stderr}`);
  return result.stdout;
}

function objectsOf(manifest: string): KubeObject[] {
  return parseAllDocuments(manifest)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

function deploymentsOf(objects: KubeObject[]): KubeObject[] {
  return objects.filter((object) => object.kind === 'Deployment');
}

/** The one rendered object of `kind` named `name`. */
function findObject(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
}

function podSpecOf(deployment: KubeObject) {
  const podSpec = deployment.spec?.template?.spec;
  if (podSpec === undefined) throw new Error(`${deployment.metadata.name} has no pod template`);
  return podSpec;
}

/** Each component's config file: its kind and the zod schema the binary parses it with. */
const configSchemas: Record<string, { kind: string; schema: z.ZodType; binary: string }> = {
  pki: { kind: pkiConfigKind, schema: pkiConfigSchema, binary: 'accord-pki' },
  'contract-provider': {
    kind: providerConfigKind,
    schema: providerConfigSchema,
    binary: 'accord-contract-provider',
  },
  operator: { kind: operatorConfigKind, schema: operatorConfigSchema, binary: 'accord-operator' },
  'contract-repo': {
    kind: contractRepoConfigKind,
    schema: contractRepoConfigSchema,
    binary: 'accord-contract-repo',
  },
};

let cluster: KubeApiServer;
const temporary = new TemporaryDirectories('accord-helm');

/** kubectl as the test cluster's admin. */
const kubectl = (...args: string[]) => runKubectl(cluster.adminKubeconfig, ...args);

async function writeTemporary(name: string, text: string): Promise<string> {
  const file = join(await temporary.make(), name);
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'helm-chart' });
  await installAccordCrds(cluster.adminKubeconfig, chartCrdDirectory);
  for (const namespace of namespaces) {
    expect(await kubectl('create', 'namespace', namespace)).toMatchObject({ code: 0 });
  }
}, 180_000);

afterAll(async () => {
  await cluster.stop();
  await temporary.removeAll();
}, 60_000);

describe('the chart CRDs', () => {
  it('are byte-identical copies of crds/*.yaml, both generated from the typed definitions', () => {
    const sourceFiles = yamlFiles(accordCrdDirectory);
    expect(yamlFiles(chartCrdDirectory)).toEqual(sourceFiles);
    for (const file of sourceFiles) {
      const copy = readFileSync(join(chartCrdDirectory, file));
      expect({ file, isIdentical: copy.equals(readFileSync(join(accordCrdDirectory, file))) }).toEqual({
        file,
        isIdentical: true,
      });
    }
  });
});

describe('helm lint and the values schema', () => {
  it('has a zone example and a hub example', () => {
    expect(exampleFiles).toEqual(expect.arrayContaining(['zone-a.yaml', 'hub.yaml']));
  });

  it.each(renderings)('lints cleanly with %s', async (rendering) => {
    const result = await helm('lint', '--strict', chartDirectory, ...valuesArgs(rendering));
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('0 chart(s) failed');
    expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  it.each([
    [
      'an unknown top-level value',
      ['--set', 'replicaCount=2'],
      "additional properties 'replicaCount' not allowed",
    ],
    [
      'an unknown nested value',
      ['--set', 'pki.extraArgs=x'],
      "additional properties 'extraArgs' not allowed",
    ],
    ['a port given as a string', ['--set', 'pki.port=abc'], 'got string, want integer'],
    ['a port out of range', ['--set', 'repo.port=70000'], 'maximum'],
    ['a mode outside the enum', ['--set', 'mode=galaxy'], "value must be one of 'zone', 'hub'"],
    [
      'a mesh namespace that is not a DNS label',
      ['--set', 'zone.meshNamespaces[0]=Shop_1'],
      'does not match pattern',
    ],
    ['a log level outside the enum', ['--set', 'logLevel=verbose'], 'value must be one of'],
    ['hub mode without an enrolled zone', ['--set', 'mode=hub'], 'minItems'],
    [
      'an unknown operator value',
      ['--set', 'operator.leaderElection.enabled=false'],
      "additional properties 'enabled' not allowed",
    ],
    ['operator replicas given as a word', ['--set', 'operator.replicas=two'], 'got string, want integer'],
    ['no operator replica', ['--set', 'operator.replicas=0'], 'minimum'],
    [
      'the unknown value operator.eventNamespace (Events can only go to default)',
      ['--set', 'operator.eventNamespace=accord'],
      "additional properties 'eventNamespace' not allowed",
    ],
    // Durations are strings as Kubernetes writes them: a unit on every number, no days, no sign.
    ['a duration given as a number', ['--set', 'operator.resyncInterval=60'], 'got number, want string'],
    ['a duration string without a unit', ['--set-string', 'provider.resyncInterval=300'], durationPattern],
    ['a duration in days', ['--set', 'pki.svidTtl=1d'], durationPattern],
    ['a negative duration', ['--set', 'pki.clockSkew=-1m'], durationPattern],
    ['a duration with a space', ['--set', 'operator.leaderElection.leaseDuration=1m 30s'], durationPattern],
    ['an empty duration', ['--set', 'repo.reloadInterval='], durationPattern],
    [
      'the old millisecond field',
      ['--set', 'operator.resyncIntervalMs=60000'],
      "additional properties 'resyncIntervalMs' not allowed",
    ],
    [
      'a token hash, which the PKI now computes itself',
      ['--set-json', 'pki.bootstrapTokens=[{"spiffePath":"/accord/admin","tokenSha256":"9f86d081"}]'],
      "additional properties 'tokenSha256' not allowed",
    ],
    [
      'a bootstrap token without its Secret',
      ['--set-json', 'pki.bootstrapTokens=[{"spiffePath":"/accord/admin"}]'],
      "missing property 'tokenSecret'",
    ],
    [
      'a bootstrap token Secret reference without its key',
      ['--set-json', 'pki.bootstrapTokens=[{"spiffePath":"/accord/admin","tokenSecret":{"secretName":"t"}}]'],
      "missing property 'key'",
    ],
    [
      'a bootstrap token Secret that is not a Secret name',
      [
        '--set-json',
        'pki.bootstrapTokens=[{"spiffePath":"/accord/admin","tokenSecret":{"secretName":"Admin_Token","key":"t"}}]',
      ],
      'does not match pattern',
    ],
    [
      "the provider's token Secret reference without a name",
      ['--set', 'provider.bootstrapToken.secretName=null'],
      "missing property 'secretName'",
    ],
  ])('refuses %s with a schema error', async (_case, args, message) => {
    const result = await helm('template', 'accord', chartDirectory, ...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(message);
  });

  it.each([
    [
      'a renew deadline equal to the lease duration, in other units',
      ['--set', 'operator.leaderElection.renewDeadline=10000ms'],
      'renewDeadline must be less than leaseDuration',
    ],
    [
      'a renew deadline over the lease duration by half a second',
      [
        '--set',
        'operator.leaderElection.leaseDuration=1h',
        '--set',
        'operator.leaderElection.renewDeadline=1h0m0.5s',
      ],
      'renewDeadline must be less than leaseDuration',
    ],
    [
      'a retry period not below the renew deadline',
      ['--set', 'operator.leaderElection.retryPeriod=0.12m'],
      'retryPeriod must be less than renewDeadline',
    ],
    [
      'a largest retry delay below the first',
      ['--set', 'operator.backoff.maxDelay=100ms'],
      'maxDelay must be at least initialDelay',
    ],
    [
      "one Secret key as the provider's and the operator's bootstrap token",
      ['--set', 'operator.bootstrapToken.secretName=accord-provider-bootstrap-token'],
      'operator.bootstrapToken must name another Secret key than provider.bootstrapToken',
    ],
  ])('refuses %s, which the daemons would refuse at start', async (_case, args, message) => {
    const result = await helm('template', 'accord', chartDirectory, ...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it('refuses a clock skew of a third of the SVID lifetime, as the PKI would at start, and renders one just under it', async () => {
    const refused = await helm(
      'template',
      'accord',
      chartDirectory,
      '--set',
      'pki.svidTtl=3m',
      '--set',
      'pki.clockSkew=60000ms',
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('pki.clockSkew must be less than a third of pki.svidTtl');
    const accepted = await helm(
      'template',
      'accord',
      chartDirectory,
      '--set',
      'pki.svidTtl=3m0.5s',
      '--set',
      'pki.clockSkew=1m',
    );
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
  });
});

describe('the rendered manifests', () => {
  it.each(renderings)(
    'render each component config as a file its zod schema accepts (%s)',
    async (rendering) => {
      const configMaps = objectsOf(await render(rendering)).filter((object) => object.kind === 'ConfigMap');
      expect(configMaps.length).toBeGreaterThan(0);
      for (const configMap of configMaps) {
        const component = configMap.metadata.labels?.['app.kubernetes.io/component'] ?? '';
        const expected = configSchemas[component];
        if (expected === undefined) throw new Error(`unexpected ConfigMap ${configMap.metadata.name}`);
        const text = configMap.data?.['config.yaml'] ?? '';
        const parsed = expected.schema.safeParse(
          configFileFields(text, configMap.metadata.name, expected.kind),
        );
        expect({ component, issues: parsed.error?.issues ?? [] }).toEqual({ component, issues: [] });
      }
    },
  );

  it('renders the zone components in zone mode and only the repository in hub mode', async () => {
    const components = (objects: KubeObject[]) =>
      deploymentsOf(objects)
        .map((deployment) => deployment.metadata.labels?.['app.kubernetes.io/component'])
        .sort();
    expect(components(objectsOf(await render('examples/zone-a.yaml')))).toEqual([
      'contract-provider',
      'operator',
      'pki',
    ]);
    expect(components(objectsOf(await render('examples/hub.yaml')))).toEqual(['contract-repo']);
  });

  it('renders no operator object in hub mode', async () => {
    const operatorObjects = objectsOf(await render('examples/hub.yaml')).filter(
      (object) => object.metadata.labels?.['app.kubernetes.io/component'] === 'operator',
    );
    expect(operatorObjects).toEqual([]);
  });

  it('runs two operator replicas spread across nodes, electing a leader on the Lease its Role names', async () => {
    const objects = objectsOf(await render('default values'));
    const deployment = findObject(objects, 'Deployment', 'accord-operator');
    expect(deployment.spec).toMatchObject({ replicas: 2, strategy: { type: 'RollingUpdate' } });
    const podSpec = podSpecOf(deployment);
    expect(podSpec.serviceAccountName).toBe('accord-operator');
    expect(podSpec.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: {
                matchLabels: {
                  'app.kubernetes.io/name': 'accord',
                  'app.kubernetes.io/instance': 'accord',
                  'app.kubernetes.io/component': 'operator',
                },
              },
            },
          },
        ],
      },
    });
    // The pod name is the leader-election identity, passed as a flag (Kubernetes expands $(POD_NAME)).
    expect(podSpec.containers[0]?.env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NODE_OPTIONS', value: '--max-semi-space-size=2' },
    ]);
    expect(podSpec.containers[0]?.args).toEqual([
      '--config',
      '/etc/accord/config.yaml',
      '--leader-identity',
      '$(POD_NAME)',
    ]);
    const configMap = findObject(objects, 'ConfigMap', 'accord-operator-config');
    const config = parseAllDocuments(configMap.data?.['config.yaml'] ?? '')[0]?.toJS() as {
      rootNamespace: string;
      leaderElection: { leaseName: string };
    };
    expect(config).toMatchObject({ rootNamespace: releaseNamespace });
    expect(config).not.toHaveProperty('eventNamespace');
    expect(config.leaderElection).toEqual({
      enabled: true,
      namespace: releaseNamespace,
      leaseName: 'accord-operator',
      leaseDuration: '10s',
      renewDeadline: '7s',
      retryPeriod: '2s',
    });
    const role = findObject(objects, 'Role', 'accord-operator');
    expect(role.rules).toContainEqual({
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: [config.leaderElection.leaseName],
      verbs: ['get', 'update'],
    });
  });

  it.each([
    ['examples/zone-a.yaml', 'accord', releaseNamespace],
    ['examples/zone-b.yaml', 'accord', releaseNamespace],
    ['default values', 'zone-default', 'default'],
  ])(
    'grants the operator Events only in default, where the API server accepts them (%s, release %s in %s)',
    async (rendering, release, namespace) => {
      const objects = objectsOf(await render(rendering, release, namespace));
      const name = `${release}-operator-events`;
      for (const kind of ['Role', 'RoleBinding']) {
        expect(findObject(objects, kind, name).metadata.namespace).toBe('default');
      }
      expect(findObject(objects, 'Role', name).rules).toEqual([
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ]);
      // In `default` too, the events Role does not replace the operator's own Role.
      expect(findObject(objects, 'Role', `${release}-operator`).metadata.namespace).toBe(namespace);
    },
  );

  it.each([
    ['default values', 2, [1]],
    ['examples/zone-b.yaml', 1, []],
  ])(
    'keeps one operator through a drain only when it has standbys (%s)',
    async (rendering, replicas, budget) => {
      const objects = objectsOf(await render(rendering));
      expect(findObject(objects, 'Deployment', 'accord-operator').spec?.replicas).toBe(replicas);
      const budgets = objects.filter((object) => object.kind === 'PodDisruptionBudget');
      expect(budgets.map((object) => object.spec?.minAvailable)).toEqual(budget);
    },
  );

  it.each(renderings)('runs every pod non-root, read-only and without privileges (%s)', async (rendering) => {
    for (const deployment of deploymentsOf(objectsOf(await render(rendering)))) {
      const podSpec = podSpecOf(deployment);
      expect(podSpec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const container of podSpec.containers) {
        expect(container.securityContext).toEqual(
          expect.objectContaining({
            runAsNonRoot: true,
            runAsUser: 65532,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          }),
        );
        for (const bound of [container.resources.requests, container.resources.limits]) {
          expect(bound).toHaveProperty('cpu');
          expect(bound).toHaveProperty('memory');
        }
      }
    }
  });

  it.each(renderings)(
    'runs each binary with its config and probes /healthz and /readyz on the ops port (%s)',
    async (rendering) => {
      const objects = objectsOf(await render(rendering));
      for (const deployment of deploymentsOf(objects)) {
        const component = deployment.metadata.labels?.['app.kubernetes.io/component'] ?? '';
        const [container] = podSpecOf(deployment).containers;
        if (container === undefined) throw new Error('no container');
        expect(container.command).toEqual([configSchemas[component]?.binary]);
        expect(container.args.slice(0, 2)).toEqual(['--config', '/etc/accord/config.yaml']);
        // Only the operator takes more: its leader identity, the pod name (checked above).
        expect(container.args.length).toBe(component === 'operator' ? 4 : 2);
        expect(container.image).toMatch(/^ghcr\.io\/accord-mesh\/accord:0\.1\.0$/);
        expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'ops' });
        expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'ops' });
        const configMap = objects.find(
          (object) =>
            object.kind === 'ConfigMap' && object.metadata.name === `${deployment.metadata.name}-config`,
        );
        const config = parseAllDocuments(configMap?.data?.['config.yaml'] ?? '')[0]?.toJS() as {
          ops: { host: string; port: number };
        };
        expect(container.ports).toContainEqual(
          expect.objectContaining({ name: 'ops', containerPort: config.ops.port }),
        );
        expect(config.ops.host).toBe('0.0.0.0');
      }
    },
  );

  it('takes the image tag from image.tag when set', async () => {
    const result = await helm('template', 'accord', chartDirectory, '--set', 'image.tag=1.2.3');
    expect(result.code).toBe(0);
    const [deployment] = deploymentsOf(objectsOf(result.stdout));
    expect(deployment === undefined ? undefined : podSpecOf(deployment).containers[0]?.image).toBe(
      'ghcr.io/accord-mesh/accord:1.2.3',
    );
  });

  it('names by default the image `npm run image` builds, and any registry by image.repository (docs/image.md)', async () => {
    const packageVersion = (
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
    ).version;
    const chart = parse(readFileSync(join(chartDirectory, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    // The build tags the image with the package version; the chart's default tag is appVersion.
    expect(chart.appVersion).toBe(packageVersion);
    const imagesOf = (manifest: string) =>
      deploymentsOf(objectsOf(manifest)).flatMap((deployment) =>
        podSpecOf(deployment).containers.map((container) => container.image),
      );
    expect(new Set(imagesOf(await render('default values')))).toEqual(
      new Set([`ghcr.io/accord-mesh/accord:${packageVersion}`]),
    );
    const pushed = await helm(
      'template',
      'accord',
      chartDirectory,
      '--set',
      'image.repository=registry.example.com/accord',
    );
    expect(pushed.code).toBe(0);
    expect(new Set(imagesOf(pushed.stdout))).toEqual(
      new Set([`registry.example.com/accord:${packageVersion}`]),
    );
  });

  it.each(renderings)(
    'starts, keeps and routes to every container through its probes, and gives its read-only root an emptyDir /tmp (%s)',
    async (rendering) => {
      for (const deployment of deploymentsOf(objectsOf(await render(rendering)))) {
        const podSpec = podSpecOf(deployment);
        const emptyDirs = new Set(
          (podSpec.volumes ?? [])
            .filter((volume) => volume.emptyDir !== undefined)
            .map((volume) => volume.name),
        );
        for (const container of podSpec.containers) {
          expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'ops' });
          expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'ops' });
          expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'ops' });
          // The image writes nowhere (docs/image.md); /tmp is for libraries that use os.tmpdir().
          const writable = (container.volumeMounts ?? []).filter((mount) => mount.readOnly !== true);
          expect(writable.map((mount) => mount.mountPath)).toEqual(['/tmp']);
          expect(emptyDirs.has(writable[0]?.name ?? '')).toBe(true);
        }
      }
    },
  );

  it.each(renderings)(
    "grants cluster-wide only the operator's TrustContract (and with injection MeshWorkload, webhook and Service-read) rules and the PKI's TokenReviews (%s)",
    async (rendering) => {
      const objects = objectsOf(await render(rendering));
      const clusterWide = objects.filter((object) => /^Cluster(Role|RoleBinding)$/.test(object.kind));
      const isZone = rendering !== 'examples/hub.yaml';
      const hasInjection = rendering === 'examples/zone-a.yaml';
      expect(clusterWide.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual(
        isZone
          ? [
              'ClusterRole/accord-operator',
              // Bound only by RoleBindings in the mesh namespaces (below), never cluster-wide.
              ...(hasInjection ? ['ClusterRole/accord-operator-mesh'] : []),
              'ClusterRole/accord-pki-tokenreview',
              'ClusterRoleBinding/accord-operator',
              'ClusterRoleBinding/accord-pki-tokenreview',
            ]
          : [],
      );
      for (const role of clusterWide.filter((object) => object.kind === 'ClusterRole')) {
        for (const rule of role.rules ?? []) {
          if (role.metadata.name === 'accord-pki-tokenreview') {
            expect(rule).toEqual({
              apiGroups: ['authentication.k8s.io'],
              resources: ['tokenreviews'],
              verbs: ['create'],
            });
          } else if (role.metadata.name === 'accord-operator-mesh') {
            expect(rule.apiGroups).toEqual(['']);
          } else if (rule.apiGroups?.[0] === 'admissionregistration.k8s.io') {
            expect(hasInjection).toBe(true);
            expect(rule).toEqual({
              apiGroups: ['admissionregistration.k8s.io'],
              resources: ['mutatingwebhookconfigurations'],
              resourceNames: ['accord-injection'],
              verbs: ['get', 'update'],
            });
          } else if (rule.apiGroups?.[0] === '') {
            // The MeshWorkload controller's Service informer: read only; writes stay in the mesh Role.
            expect(hasInjection).toBe(true);
            expect(rule).toEqual({ apiGroups: [''], resources: ['services'], verbs: ['list', 'watch'] });
          } else {
            expect(rule.apiGroups).toEqual(['accord.dev']);
            const prefixes = hasInjection ? ['trustcontracts', 'meshworkloads'] : ['trustcontracts'];
            expect(
              rule.resources?.every((resource) => prefixes.some((prefix) => resource.startsWith(prefix))),
            ).toBe(true);
          }
        }
      }
      const meshBindings = objects.filter(
        (object) => object.kind === 'RoleBinding' && object.metadata.name === 'accord-operator-mesh',
      );
      expect(meshBindings.map((binding) => binding.metadata.namespace).sort()).toEqual(
        hasInjection ? ['finance', 'shop'] : [],
      );
    },
  );

  it('registers the webhook exactly as injectionWebhookConfiguration() builds it, caBundle left to the operator', async () => {
    const objects = objectsOf(await render('examples/zone-a.yaml'));
    const rendered = findObject(objects, 'MutatingWebhookConfiguration', 'accord-injection') as unknown as {
      metadata: { labels: Record<string, string> };
      webhooks: Record<string, unknown>[];
    };
    const built = injectionWebhookConfiguration({
      name: 'accord-injection',
      clientConfig: { service: { namespace: releaseNamespace, name: 'accord-operator-webhook', port: 443 } },
      caBundlePem: '',
      accordNamespace: releaseNamespace,
    }) as { metadata: { name: string; labels: Record<string, string> }; webhooks: Record<string, unknown>[] };
    const withoutCaBundle = built.webhooks.map((webhook) => {
      const clientConfig = { ...(webhook.clientConfig as Record<string, unknown>) };
      delete clientConfig.caBundle;
      return { ...webhook, clientConfig };
    });
    expect(rendered.webhooks).toEqual(withoutCaBundle);
    expect(rendered.metadata.labels).toMatchObject(built.metadata.labels);
    // The Service it names maps 443 to the operator's webhook port, and the operator config agrees.
    const service = findObject(objects, 'Service', 'accord-operator-webhook') as unknown as {
      spec: { ports: { port: number; targetPort: string }[] };
    };
    expect(service.spec.ports).toEqual([
      { name: 'https', port: 443, targetPort: 'webhook', protocol: 'TCP' },
    ]);
    const operatorConfig = configFileFields(
      findObject(objects, 'ConfigMap', 'accord-operator-config').data?.['config.yaml'] ?? '',
      'config.yaml',
      operatorConfigKind,
    ) as { injection?: Record<string, unknown> };
    expect(operatorConfig.injection).toMatchObject({
      namespace: releaseNamespace,
      serviceName: 'accord-operator-webhook',
      webhookConfigurationName: 'accord-injection',
      secretName: 'accord-injection-webhook-tls',
    });
    const webhookPort = podSpecOf(
      findObject(objects, 'Deployment', 'accord-operator'),
    ).containers[0]?.ports.find((port) => port.name === 'webhook');
    expect(webhookPort?.containerPort).toBe(operatorConfig.injection?.port);
  });

  it('installs nothing of injection by default', async () => {
    const objects = objectsOf(await render('default values'));
    expect(objects.filter((object) => object.kind === 'MutatingWebhookConfiguration')).toEqual([]);
    const operatorConfig =
      findObject(objects, 'ConfigMap', 'accord-operator-config').data?.['config.yaml'] ?? '';
    expect(operatorConfig).not.toContain('injection');
  });

  it('passes durations through to every config file unchanged, and each daemon reads them in its units', async () => {
    const durations = [
      'pki.svidTtl=12h',
      'pki.witMaxTtl=1h30m',
      'pki.clockSkew=0s',
      'provider.resyncInterval=10m',
      'provider.backoff.initialDelay=0.5s',
      'operator.leaderElection.leaseDuration=15s',
      'operator.resyncInterval=90s',
      'operator.backoff.maxDelay=2m',
    ];
    const zone = objectsOf(
      (await helm('template', 'accord', chartDirectory, ...durations.flatMap((value) => ['--set', value])))
        .stdout,
    );
    const hub = objectsOf(
      (
        await helm(
          'template',
          'accord',
          chartDirectory,
          '-f',
          join(examplesDirectory, 'hub.yaml'),
          '--set',
          'repo.reloadInterval=1m',
          '--set',
          'repo.limits.maxApprovalClockSkew=2m30s',
        )
      ).stdout,
    );
    const configOf = (objects: KubeObject[], component: string) => {
      const expected = configSchemas[component];
      if (expected === undefined) throw new Error(component);
      const text = findObject(objects, 'ConfigMap', `accord-${component}-config`).data?.['config.yaml'] ?? '';
      const fields = configFileFields(text, component, expected.kind);
      return { fields, parsed: expected.schema.parse(fields) as Record<string, unknown> };
    };
    const pki = configOf(zone, 'pki');
    expect(pki.fields).toMatchObject({ svidTtl: '12h', witMaxTtl: '1h30m', clockSkew: '0s', witTtl: '5m' });
    expect(pki.parsed).toMatchObject({
      svidTtlSeconds: 43_200,
      witMaxTtlSeconds: 5400,
      clockSkewSeconds: 0,
      witTtlSeconds: 300,
    });
    const provider = configOf(zone, 'contract-provider');
    expect(provider.fields).toMatchObject({
      resyncInterval: '10m',
      backoff: { initialDelay: '0.5s', maxDelay: '30s' },
    });
    expect(provider.parsed).toMatchObject({
      resyncIntervalMs: 600_000,
      backoff: { initialDelayMs: 500, maxDelayMs: 30_000 },
    });
    const operator = configOf(zone, 'operator');
    expect(operator.fields).toMatchObject({
      leaderElection: { leaseDuration: '15s' },
      resyncInterval: '90s',
      backoff: { maxDelay: '2m' },
    });
    expect(operator.parsed).toMatchObject({
      leaderElection: { leaseDurationMs: 15_000, renewDeadlineMs: 7000 },
      resyncIntervalMs: 90_000,
      backoff: { initialDelayMs: 250, maxDelayMs: 120_000 },
    });
    const repo = configOf(hub, 'contract-repo');
    expect(repo.fields).toMatchObject({ reloadInterval: '1m', limits: { maxApprovalClockSkew: '2m30s' } });
    expect(repo.parsed).toMatchObject({
      reloadIntervalSeconds: 60,
      limits: { maxApprovalClockSkewSeconds: 150 },
    });
  });

  it.each([
    [
      'default values',
      [
        ['/accord/contract-provider', 'accord-provider-bootstrap-token', 'token'],
        ['/accord/operator', 'accord-operator-bootstrap-token', 'token'],
      ],
    ],
    [
      'examples/zone-a.yaml',
      [
        ['/accord/contract-provider', 'accord-provider-bootstrap-token', 'token'],
        ['/accord/operator', 'accord-operator-bootstrap-token', 'token'],
        ['/accord/admin', 'accord-admin-bootstrap-token', 'token'],
      ],
    ],
  ])(
    "gives the PKI the bootstrap tokens from the provider's and the operator's Secrets, no hash in any value (%s)",
    async (rendering, grants) => {
      const objects = objectsOf(await render(rendering));
      interface SecretVolume {
        name: string;
        secret?: { secretName: string; items: { key: string; path: string }[] };
        projected?: { sources: { secret: { name: string; items: { key: string; path: string }[] } }[] };
      }
      interface Mounted {
        containers: { volumeMounts: { name: string; mountPath: string }[] }[];
        volumes: SecretVolume[];
      }
      const podOf = (component: string) =>
        podSpecOf(findObject(objects, 'Deployment', `accord-${component}`)) as unknown as Mounted;
      /** Where `component`'s container finds each Secret key it mounts: `secret/key` → file path. */
      const mountedSecretKeys = (component: string): Map<string, string> => {
        const pod = podOf(component);
        const files = new Map<string, string>();
        for (const mount of pod.containers[0]?.volumeMounts ?? []) {
          const volume = pod.volumes.find((candidate) => candidate.name === mount.name);
          const sources = [
            ...(volume?.secret === undefined
              ? []
              : [{ name: volume.secret.secretName, items: volume.secret.items }]),
            ...(volume?.projected?.sources.map((source) => source.secret) ?? []),
          ];
          for (const source of sources) {
            for (const item of source.items)
              files.set(`${source.name}/${item.key}`, `${mount.mountPath}/${item.path}`);
          }
        }
        return files;
      };
      const pkiConfig = configFileFields(
        findObject(objects, 'ConfigMap', 'accord-pki-config').data?.['config.yaml'] ?? '',
        'pki',
        pkiConfigKind,
      ) as { bootstrapTokens: { spiffePath: string; tokenFile: string }[] };
      const pkiFiles = mountedSecretKeys('pki');
      // Each grant's file is the Secret key the PKI pod mounts for it, and the same key the
      // provider or operator pod reads its token from.
      expect(pkiConfig.bootstrapTokens).toEqual(
        grants.map(([spiffePath, secretName, key]) => ({
          spiffePath,
          tokenFile: pkiFiles.get(`${secretName ?? ''}/${key ?? ''}`),
        })),
      );
      for (const [component, spiffePath] of [
        ['contract-provider', '/accord/contract-provider'],
        ['operator', '/accord/operator'],
      ] as const) {
        const grant = grants.find(([path]) => path === spiffePath) ?? [];
        const config = configFileFields(
          findObject(objects, 'ConfigMap', `accord-${component}-config`).data?.['config.yaml'] ?? '',
          component,
          configSchemas[component]?.kind ?? '',
        ) as { bootstrapTokenFile: string };
        expect(config.bootstrapTokenFile).toBe(
          mountedSecretKeys(component).get(`${grant[1] ?? ''}/${grant[2] ?? ''}`),
        );
      }
      // The PKI's config names files; no hash for anyone to compute.
      expect(findObject(objects, 'ConfigMap', 'accord-pki-config').data?.['config.yaml']).not.toMatch(
        /tokenSha256|[0-9a-f]{64}/,
      );
    },
  );

  it.each([
    ['zone', 'default values', 'accord', releaseNamespace],
    ['hub', 'examples/hub.yaml', 'accord-hub', hubNamespace],
  ])(
    'prints in NOTES.txt (%s mode) kubectl commands that check the install, and no repository path',
    async (_mode, rendering, release, namespace) => {
      const result = await helm(
        'install',
        release,
        chartDirectory,
        '-n',
        namespace,
        '--dry-run=client',
        ...valuesArgs(rendering),
      );
      expect(result.code).toBe(0);
      const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
      expect(notes).not.toMatch(/docs\/|charts\/|\.md\b/);
      expect(notes).toContain(`kubectl get pods -n ${namespace} -l app.kubernetes.io/instance=${release}`);
      expect(notes).toContain(
        `kubectl wait pods -n ${namespace} -l app.kubernetes.io/instance=${release} --for=condition=Ready --timeout=2m`,
      );
      // The selector picks every pod the release runs.
      for (const deployment of deploymentsOf(objectsOf(await render(rendering, release, namespace)))) {
        expect(deployment.spec?.template?.metadata?.labels).toMatchObject({
          'app.kubernetes.io/instance': release,
        });
      }
      if (rendering === 'examples/hub.yaml') {
        expect(notes).not.toContain('trustcontract');
        return;
      }
      expect(notes).toContain('kubectl get trustcontracts');
      expect(notes).toContain('kubectl wait --for=condition=Active trustcontract/NAME --timeout=5m');
    },
  );

  it('prints TrustContract commands that work against a real API server', async () => {
    const result = await helm(
      'install',
      'accord',
      chartDirectory,
      '-n',
      releaseNamespace,
      '--dry-run=client',
    );
    const commands = result.stdout
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => /^kubectl \S+ .*trustcontract/.test(line))
      .map((line) => line.replaceAll('NAME', 'notes-check').split(/\s+/).slice(1));
    expect(commands.map((command) => command[0])).toEqual(['get', 'wait', 'describe']);
    const contract = await writeTemporary(
      'trustcontract.yaml',
      readFileSync(join(repoRoot, 'crds/examples/trustcontract.yaml'), 'utf8').replace(
        'name: zone-a-zone-b',
        'name: notes-check',
      ),
    );
    expect(await kubectl('apply', '-f', contract)).toMatchObject({ code: 0 });
    // What the operator writes once every zone approved (operator/trust-contract/trust-contract-status.ts).
    const active = {
      status: {
        state: 'Active',
        conditions: [
          {
            type: 'Active',
            status: 'True',
            reason: 'ApprovedByAllParticipants',
            message: 'every participant approved',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      },
    };
    const patched = await kubectl(
      'patch',
      'trustcontract/notes-check',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(active),
    );
    expect(patched).toMatchObject({ code: 0 });
    for (const command of commands) {
      const outcome = await kubectl(...command);
      expect({ command, code: outcome.code, stderr: outcome.stderr }).toEqual({
        command,
        code: 0,
        stderr: '',
      });
    }
    expect(await kubectl('delete', 'trustcontract/notes-check')).toMatchObject({ code: 0 });
  });

  it.each(renderings)('grants no wildcard (%s)', async (rendering) => {
    const objects = objectsOf(await render(rendering));
    for (const role of objects.filter((object) => object.kind === 'Role' || object.kind === 'ClusterRole')) {
      for (const rule of role.rules ?? []) {
        for (const entry of [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.verbs ?? [])]) {
          expect(entry).not.toContain('*');
        }
      }
    }
  });

  it.each(renderings)(
    'is accepted by a real API server (kubectl apply --server-side --dry-run=server, %s)',
    async (rendering) => {
      const file = await writeTemporary('rendered.yaml', await render(rendering, 'dry-run'));
      const result = await kubectl('apply', '--server-side', '--dry-run=server', '-f', file);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/serverside-applied \(server dry run\)/);
    },
    60_000,
  );
});

describe('least privilege on a real API server', () => {
  const zoneServiceAccount = (component: string) =>
    `system:serviceaccount:${releaseNamespace}:accord-${component}`;
  const pki = zoneServiceAccount('pki');
  const provider = zoneServiceAccount('contract-provider');
  const operator = zoneServiceAccount('operator');
  const trustContracts = 'trustcontracts.accord.dev';
  const leases = 'leases.coordination.k8s.io';
  const repo = `system:serviceaccount:${hubNamespace}:accord-hub-contract-repo`;
  const meshWorkloads = 'meshworkloads.accord.dev';
  const webhookConfigurations = 'mutatingwebhookconfigurations.admissionregistration.k8s.io';

  /** Applies only the rendered ServiceAccounts, (Cluster)Roles and (Cluster)RoleBindings, for real. */
  async function applyRbac(manifest: string): Promise<void> {
    const rbacKinds = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
    const rbac = parseAllDocuments(manifest)
      .filter((document) => rbacKinds.has(String((document.toJS() as KubeObject | null)?.kind)))
      .map((document) => document.toString())
      .join('---\n');
    const result = await kubectl('apply', '--server-side', '-f', await writeTemporary('rbac.yaml', rbac));
    expect(result).toMatchObject({ code: 0 });
  }

  beforeAll(async () => {
    await applyRbac(await render('examples/zone-a.yaml'));
    await applyRbac(await render('examples/hub.yaml', 'accord-hub', hubNamespace));
  }, 60_000);

  /** `kubectl auth can-i` as `user`: args are verb, resource[/name] and flags. */
  async function canI(user: string, ...args: string[]): Promise<boolean> {
    const result = await kubectl('auth', 'can-i', `--as=${user}`, ...args);
    if (result.stdout !== 'yes' && result.stdout !== 'no') throw new Error(`can-i: ${result.stderr}`);
    return result.stdout === 'yes';
  }

  it.each([
    ['the PKI', pki, ['create', 'secrets', '-n', releaseNamespace]],
    ['the PKI', pki, ['get', 'secrets/zone-a-pki-ca', '-n', releaseNamespace]],
    ['the PKI', pki, ['update', 'secrets/zone-a-pki-ca', '-n', releaseNamespace]],
    ['the PKI', pki, ['create', 'tokenreviews.authentication.k8s.io']],
    ['the provider', provider, ['create', 'secrets', '-n', 'shop']],
    ['the provider', provider, ['list', 'secrets', '-n', 'shop']],
    ['the provider', provider, ['update', 'secrets', '-n', 'finance']],
    ['the provider', provider, ['delete', 'secrets', '-n', 'finance']],
    ['the provider', provider, ['create', 'configmaps', '-n', releaseNamespace]],
    ['the provider', provider, ['get', 'configmaps/accord-contract-provider-memory', '-n', releaseNamespace]],
    [
      'the provider',
      provider,
      ['update', 'configmaps/accord-contract-provider-memory', '-n', releaseNamespace],
    ],
    ['the repository', repo, ['create', 'configmaps', '-n', hubNamespace]],
    ['the repository', repo, ['list', 'configmaps', '-n', hubNamespace]],
    ['the repository', repo, ['get', 'configmaps', '-n', hubNamespace]],
    ...snapshotObjectNames('accord-audit').map((name): [string, string, string[]] => [
      'the repository',
      repo,
      ['update', `configmaps/${name}`, '-n', hubNamespace],
    ]),
    ['the operator', operator, ['get', trustContracts]],
    ['the operator', operator, ['list', trustContracts]],
    ['the operator', operator, ['watch', trustContracts]],
    ['the operator', operator, ['patch', trustContracts]],
    ['the operator', operator, ['update', `${trustContracts}/shop-finance`]],
    ['the operator', operator, ['patch', trustContracts, '--subresource=status']],
    ['the operator', operator, ['update', trustContracts, '--subresource=status']],
    ['the operator', operator, ['update', trustContracts, '--subresource=finalizers']],
    ['the operator', operator, ['create', leases, '-n', releaseNamespace]],
    ['the operator', operator, ['get', `${leases}/accord-operator`, '-n', releaseNamespace]],
    ['the operator', operator, ['update', `${leases}/accord-operator`, '-n', releaseNamespace]],
    ['the operator', operator, ['get', 'secrets/partner-root', '-n', releaseNamespace]],
    ['the operator', operator, ['get', 'configmaps/partner-root', '-n', releaseNamespace]],
    ['the operator', operator, ['create', 'events', '-n', 'default']],
    ['the operator', operator, ['patch', 'events', '-n', 'default']],
    // Injection (on in examples/zone-a.yaml).
    ['the operator', operator, ['list', meshWorkloads, '--all-namespaces']],
    ['the operator', operator, ['watch', meshWorkloads, '--all-namespaces']],
    ['the operator', operator, ['patch', meshWorkloads, '-n', 'payments']],
    ['the operator', operator, ['patch', meshWorkloads, '--subresource=status', '-n', 'shop']],
    ['the operator', operator, ['update', meshWorkloads, '--subresource=finalizers', '-n', 'shop']],
    ['the operator', operator, ['get', `${webhookConfigurations}/accord-injection`]],
    ['the operator', operator, ['update', `${webhookConfigurations}/accord-injection`]],
    ['the operator', operator, ['create', 'secrets', '-n', releaseNamespace]],
    ['the operator', operator, ['update', 'secrets/accord-injection-webhook-tls', '-n', releaseNamespace]],
    ['the operator', operator, ['get', 'secrets/orders-users', '-n', 'shop']],
    ['the operator', operator, ['create', 'configmaps', '-n', 'shop']],
    ['the operator', operator, ['update', 'configmaps/accord-sidecar-orders', '-n', 'finance']],
    ['the operator', operator, ['delete', 'configmaps/accord-sidecar-orders', '-n', 'finance']],
    ['the operator', operator, ['list', 'services', '-n', 'shop']],
    ['the operator', operator, ['list', 'services', '--all-namespaces']],
    ['the operator', operator, ['watch', 'services', '--all-namespaces']],
    ['the operator', operator, ['update', 'services/orders', '-n', 'shop']],
    ['the operator', operator, ['list', 'pods', '-n', 'shop']],
  ])('lets %s (%s) do its job: %j', async (_who, user, args) => {
    expect(await canI(user, ...args)).toBe(true);
  });

  const nobody = [pki, provider, operator, repo];
  it.each([
    ['the PKI', pki, ['get', 'secrets/another-secret', '-n', releaseNamespace]],
    ['the PKI', pki, ['list', 'secrets', '-n', releaseNamespace]],
    ['the PKI', pki, ['watch', 'secrets', '-n', releaseNamespace]],
    ['the PKI', pki, ['delete', 'secrets/zone-a-pki-ca', '-n', releaseNamespace]],
    ['the PKI', pki, ['patch', 'secrets/zone-a-pki-ca', '-n', releaseNamespace]],
    ['the PKI', pki, ['create', 'secrets', '-n', 'shop']],
    ['the PKI', pki, ['create', 'serviceaccounts/token', '-n', 'shop']],
    ['the PKI', pki, ['create', 'subjectaccessreviews.authorization.k8s.io']],
    ['the PKI', pki, ['get', 'serviceaccounts', '-n', 'shop']],
    ['the provider', provider, ['get', 'secrets', '-n', 'kube-system']],
    ['the provider', provider, ['list', 'secrets', '-n', releaseNamespace]],
    ['the provider', provider, ['create', 'secrets', '-n', 'payments']],
    ['the provider', provider, ['list', 'secrets', '--all-namespaces']],
    ['the provider', provider, ['get', 'secrets', '-n', 'shop']],
    ['the provider', provider, ['patch', 'secrets', '-n', 'shop']],
    ['the provider', provider, ['delete', 'configmaps', '-n', 'shop']],
    ['the provider', provider, ['get', 'configmaps/accord-contract-provider-config', '-n', releaseNamespace]],
    ['the provider', provider, ['list', 'configmaps', '-n', releaseNamespace]],
    [
      'the provider',
      provider,
      ['delete', 'configmaps/accord-contract-provider-memory', '-n', releaseNamespace],
    ],
    [
      'the provider',
      provider,
      ['patch', 'configmaps/accord-contract-provider-memory', '-n', releaseNamespace],
    ],
    ['the repository', repo, ['delete', 'configmaps', '-n', hubNamespace]],
    ['the repository', repo, ['update', 'configmaps', '-n', hubNamespace]],
    ['the repository', repo, ['update', 'configmaps/accord-audit-000000000001', '-n', hubNamespace]],
    ['the repository', repo, ['update', 'configmaps/accord-audit-snapshot-a-064', '-n', hubNamespace]],
    ['the repository', repo, ['patch', 'configmaps', '-n', hubNamespace]],
    ['the repository', repo, ['get', 'secrets', '-n', hubNamespace]],
    ['the repository', repo, ['create', 'secrets', '-n', hubNamespace]],
    ['the repository', repo, ['create', 'configmaps', '-n', releaseNamespace]],
    ['the provider', provider, ['create', 'tokenreviews.authentication.k8s.io']],
    ['the operator', operator, ['create', 'tokenreviews.authentication.k8s.io']],
    ['the operator', operator, ['create', trustContracts]],
    ['the operator', operator, ['delete', trustContracts]],
    ['the operator', operator, ['deletecollection', trustContracts]],
    ['the operator', operator, ['create', trustContracts, '--subresource=status']],
    ['the operator', operator, ['patch', trustContracts, '--subresource=finalizers']],
    ['the operator', operator, ['create', meshWorkloads, '-n', 'shop']],
    ['the operator', operator, ['delete', meshWorkloads, '-n', 'shop']],
    ['the operator', operator, ['update', meshWorkloads, '-n', 'shop']],
    ['the operator', operator, ['update', meshWorkloads, '--subresource=status', '-n', 'shop']],
    ['the operator', operator, ['update', `${webhookConfigurations}/another-webhook`]],
    ['the operator', operator, ['create', webhookConfigurations]],
    ['the operator', operator, ['delete', `${webhookConfigurations}/accord-injection`]],
    ['the operator', operator, ['create', 'validatingwebhookconfigurations.admissionregistration.k8s.io']],
    ['the operator', operator, ['update', 'secrets/another-secret', '-n', releaseNamespace]],
    ['the operator', operator, ['list', 'secrets', '-n', 'shop']],
    ['the operator', operator, ['watch', 'secrets', '-n', 'shop']],
    ['the operator', operator, ['update', 'secrets/orders-users', '-n', 'shop']],
    ['the operator', operator, ['create', 'configmaps', '-n', 'payments']],
    ['the operator', operator, ['update', 'services/orders', '-n', 'payments']],
    ['the operator', operator, ['patch', 'services/orders', '-n', 'shop']],
    ['the operator', operator, ['delete', 'services/orders', '-n', 'shop']],
    ['the operator', operator, ['create', 'services', '-n', 'shop']],
    ['the operator', operator, ['get', 'services/orders', '-n', 'shop']],
    ['the operator', operator, ['list', 'pods', '-n', 'payments']],
    ['the operator', operator, ['list', 'pods', '--all-namespaces']],
    ['the operator', operator, ['watch', 'pods', '-n', 'shop']],
    ['the operator', operator, ['create', 'pods', '-n', 'shop']],
    ['the operator', operator, ['delete', 'pods', '-n', 'shop']],
    ['the operator', operator, ['update', 'customresourcedefinitions.apiextensions.k8s.io']],
    ['the operator', operator, ['patch', 'customresourcedefinitions.apiextensions.k8s.io']],
    ['the operator', operator, ['update', `${leases}/another-lease`, '-n', releaseNamespace]],
    ['the operator', operator, ['get', `${leases}/another-lease`, '-n', releaseNamespace]],
    ['the operator', operator, ['list', leases, '-n', releaseNamespace]],
    ['the operator', operator, ['delete', `${leases}/accord-operator`, '-n', releaseNamespace]],
    ['the operator', operator, ['create', leases, '-n', 'kube-system']],
    ['the operator', operator, ['get', 'secrets/partner-root', '-n', 'payments']],
    ['the operator', operator, ['get', 'secrets', '-n', 'kube-system']],
    ['the operator', operator, ['get', 'configmaps', '-n', 'payments']],
    ['the operator', operator, ['list', 'secrets', '-n', releaseNamespace]],
    ['the operator', operator, ['watch', 'secrets', '-n', releaseNamespace]],
    ['the operator', operator, ['delete', 'secrets/partner-root', '-n', releaseNamespace]],
    ['the operator', operator, ['update', 'secrets/partner-root', '-n', releaseNamespace]],
    ['the operator', operator, ['create', 'events', '-n', releaseNamespace]],
    ['the operator', operator, ['create', 'events', '-n', 'shop']],
    ['the operator', operator, ['create', 'events.events.k8s.io', '-n', 'default']],
    ['the operator', operator, ['delete', 'events', '-n', 'default']],
    ['the operator', operator, ['list', 'events', '-n', 'default']],
    ...nobody.flatMap((user) => [
      ['nobody', user, ['create', 'customresourcedefinitions.apiextensions.k8s.io']],
      ['nobody', user, ['create', 'clusterroles.rbac.authorization.k8s.io']],
      ['nobody', user, ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', releaseNamespace]],
      ['nobody', user, ['create', 'pods', '-n', releaseNamespace]],
      ['nobody', user, ['*', '*']],
    ]),
  ] as [string, string, string[]][])('keeps %s (%s) from %j', async (_who, user, args) => {
    expect(await canI(user, ...args)).toBe(false);
  });
});
