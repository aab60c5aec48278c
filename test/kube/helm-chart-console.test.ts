// The chart's optional console (docs/console.md, "In a cluster"): off by default; when on, one
// hardened pod listening on 127.0.0.1 only, with the approver SVID Secret and nothing else of the
// zone's secrets, installed by the real helm into a real API server.
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helm } from './helm.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';
import { kubectl as runKubectl } from './kubectl.js';

const chartDirectory = resolve(__dirname, '../../charts/accord');
const releaseNamespace = 'accord-system';
const meshNamespaces = ['shop', 'finance'];

/** The values of a zone with the console on and the installed bundles shown. */
const consoleOn = [
  '--set',
  'zone.trustDomain=zone-a.example',
  '--set-json',
  `zone.meshNamespaces=${JSON.stringify(meshNamespaces)}`,
  '--set',
  'operator.zoneName=zone-a',
  '--set',
  'console.enabled=true',
];
const withBundles = [...consoleOn, '--set', 'console.showInstalledBundles=true'];

interface RenderedObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  automountServiceAccountToken?: boolean;
  rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[];
  spec?: { replicas?: number; template?: { spec: Record<string, unknown> } };
}

async function consoleObjects(...args: string[]): Promise<RenderedObject[]> {
  const result = await helm('template', 'accord', chartDirectory, '-n', releaseNamespace, ...args);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as RenderedObject | null)
    .filter((object): object is RenderedObject => object !== null)
    .filter((object) => object.metadata.name === 'accord-console');
}

function consolePodSpec(objects: RenderedObject[]) {
  const deployment = objects.find((object) => object.kind === 'Deployment');
  const podSpec = deployment?.spec?.template?.spec;
  if (podSpec === undefined) throw new Error('no console Deployment');
  return podSpec as {
    serviceAccountName: string;
    automountServiceAccountToken: boolean;
    securityContext: Record<string, unknown>;
    containers: {
      command: string[];
      args: string[];
      ports?: unknown[];
      env: { name: string; value: string }[];
      securityContext: Record<string, unknown>;
      resources: Record<string, unknown>;
      livenessProbe: { exec: { command: string[] } };
      readinessProbe: { exec: { command: string[] } };
      startupProbe: { exec: { command: string[] } };
      volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
    }[];
    volumes: {
      name: string;
      secret?: { secretName: string; items: { key: string }[]; defaultMode: number };
    }[];
  };
}

/** The value following `flag` in a container's args. */
function flagValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index < 0 ? undefined : args[index + 1];
}

describe('the chart console, rendered', () => {
  it('renders nothing of the console by default, nor in hub mode', async () => {
    expect(await consoleObjects()).toEqual([]);
    expect(
      await consoleObjects(
        '--set',
        'mode=hub',
        '--set-json',
        'repo.enrolledZones=[{"trustDomain":"zone-a.example","rootCaSecret":{"secretName":"zone-a-root","key":"ca.pem"}}]',
        '--set',
        'console.enabled=true',
      ),
    ).toEqual([]);
  });

  it('runs accordctl console on 127.0.0.1 in a hardened pod, as the approver SVID of its Secret', async () => {
    const objects = await consoleObjects(...consoleOn);
    // No Service, no Role: port-forward is the only way in, and without bundles no Kubernetes API.
    expect(objects.map((object) => object.kind).sort()).toEqual(['Deployment', 'ServiceAccount']);
    expect(objects.find((object) => object.kind === 'ServiceAccount')?.automountServiceAccountToken).toBe(
      false,
    );
    const podSpec = consolePodSpec(objects);
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(podSpec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
    });
    const [container] = podSpec.containers;
    if (container === undefined) throw new Error('no container');
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources).toEqual({
      requests: { cpu: '25m', memory: '96Mi' },
      limits: { cpu: '250m', memory: '256Mi' },
    });
    expect(container.ports).toBeUndefined();
    expect(container.env).toEqual([{ name: 'XDG_STATE_HOME', value: '/tmp/state' }]);
    expect(container.command).toEqual(['accordctl']);
    expect(container.args.slice(0, 4)).toEqual(['console', '--port', '8080', '--port-forwarded']);
    expect(container.args).not.toContain('--bundle-secrets');
    expect(container.args).not.toContain('--open');
    expect({
      repository: flagValue(container.args, '--repository'),
      ca: flagValue(container.args, '--ca'),
      cert: flagValue(container.args, '--cert'),
      key: flagValue(container.args, '--key'),
      pki: flagValue(container.args, '--pki'),
      pkiCa: flagValue(container.args, '--pki-ca'),
      zoneRoot: flagValue(container.args, '--zone-root'),
      zoneName: flagValue(container.args, '--zone-name'),
    }).toEqual({
      repository: 'accord-hub.example:8444',
      ca: '/etc/accord-secrets/repository-ca/ca.pem',
      cert: '/etc/accord-secrets/approver/tls.crt',
      key: '/etc/accord-secrets/approver/tls.key',
      pki: 'accord-pki.accord-system.svc:8443',
      pkiCa: '/etc/accord-secrets/pki-ca/ca.pem',
      zoneRoot: '/etc/accord-secrets/pki-ca/ca.pem',
      zoneName: 'zone-a',
    });
    // The kubelet probes the pod IP, where nothing listens: the probes run in the container.
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      expect(probe.exec.command.slice(0, 2)).toEqual(['node', '-e']);
      expect(probe.exec.command[2]).toContain("fetch('http://127.0.0.1:8080/'");
    }
    // The approver SVID and key, the repository's and the PKI's roots: no bootstrap token.
    expect(container.volumeMounts).toEqual([
      { name: 'approver', mountPath: '/etc/accord-secrets/approver', readOnly: true },
      { name: 'repository-ca', mountPath: '/etc/accord-secrets/repository-ca', readOnly: true },
      { name: 'pki-ca', mountPath: '/etc/accord-secrets/pki-ca', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(podSpec.volumes.find((volume) => volume.name === 'approver')?.secret).toEqual({
      secretName: 'accord-console-approver',
      items: [
        { key: 'tls.crt', path: 'tls.crt' },
        { key: 'tls.key', path: 'tls.key' },
      ],
      defaultMode: 0o440,
    });
    expect(JSON.stringify(podSpec)).not.toContain('bootstrap-token');
  });

  it('with showInstalledBundles, lists Secrets in each mesh namespace and nothing more', async () => {
    const objects = await consoleObjects(...withBundles, '--set', 'console.port=9000');
    const [container] = consolePodSpec(objects).containers;
    expect(flagValue(container?.args ?? [], '--bundle-secrets')).toBe('shop,finance');
    expect(flagValue(container?.args ?? [], '--port')).toBe('9000');
    expect(consolePodSpec(objects).automountServiceAccountToken).toBe(true);
    const roles = objects.filter((object) => object.kind === 'Role');
    expect(roles.map((role) => [role.metadata.namespace, role.rules])).toEqual(
      meshNamespaces.map((namespace) => [
        namespace,
        [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
      ]),
    );
  });

  it.each([
    ['console.enabled given as a word', ['--set-string', 'console.enabled=yes'], 'got string, want boolean'],
    [
      'an approver Secret that is not a Secret name',
      ['--set', 'console.approverSecretName=Admin_SVID'],
      'does not match pattern',
    ],
    ['a console port out of range', ['--set', 'console.port=70000'], 'maximum'],
    [
      'an unknown console value',
      ['--set', 'console.service.type=LoadBalancer'],
      "additional properties 'service' not allowed",
    ],
    [
      'a bootstrap token for the console',
      ['--set', 'console.bootstrapToken.secretName=accord-admin-bootstrap-token'],
      "additional properties 'bootstrapToken' not allowed",
    ],
  ])('refuses %s with a schema error', async (_case, args, message) => {
    const result = await helm('template', 'accord', chartDirectory, ...consoleOn, ...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(message);
  });
});

describe('the chart console, installed into a real API server', () => {
  let cluster: KubeApiServer;
  const kubectl = (...args: string[]) => runKubectl(cluster.adminKubeconfig, ...args);
  const consoleAccount = `system:serviceaccount:${releaseNamespace}:accord-console`;

  /** `kubectl auth can-i` as the console's ServiceAccount. */
  async function consoleCan(...args: string[]): Promise<boolean> {
    const result = await kubectl('auth', 'can-i', `--as=${consoleAccount}`, ...args);
    if (result.stdout !== 'yes' && result.stdout !== 'no') throw new Error(`can-i: ${result.stderr}`);
    return result.stdout === 'yes';
  }

  beforeAll(async () => {
    cluster = await startKubeApiServer({ name: 'helm-chart-console' });
    for (const namespace of [releaseNamespace, ...meshNamespaces]) {
      expect(await kubectl('create', 'namespace', namespace)).toMatchObject({ code: 0 });
    }
    const installed = await helm(
      'install',
      'accord',
      chartDirectory,
      '-n',
      releaseNamespace,
      '--kubeconfig',
      cluster.adminKubeconfig,
      ...withBundles,
    );
    expect(installed).toMatchObject({ code: 0 });
  }, 180_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  it('stores the Deployment as rendered: one replica, no Service', async () => {
    const deployment = await kubectl(
      'get',
      'deployment/accord-console',
      '-n',
      releaseNamespace,
      '-o',
      'json',
    );
    expect(deployment).toMatchObject({ code: 0 });
    const stored = JSON.parse(deployment.stdout) as {
      spec: { replicas: number; template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(stored.spec.replicas).toBe(1);
    expect(stored.spec.template.spec.containers[0]?.args).toContain('--port-forwarded');
    const service = await kubectl('get', 'service/accord-console', '-n', releaseNamespace);
    expect(service.code).not.toBe(0);
    expect(service.stderr).toContain('NotFound');
  });

  it.each([
    [true, ['list', 'secrets', '-n', 'shop']],
    [true, ['list', 'secrets', '-n', 'finance']],
    [false, ['get', 'secrets/orders-users', '-n', 'shop']],
    [false, ['watch', 'secrets', '-n', 'shop']],
    [false, ['create', 'secrets', '-n', 'shop']],
    [false, ['list', 'secrets', '-n', releaseNamespace]],
    [false, ['get', 'secrets/accord-console-approver', '-n', releaseNamespace]],
    [false, ['list', 'secrets', '-n', 'payments']],
    [false, ['get', 'trustcontracts.accord.dev']],
    [false, ['create', 'pods/portforward', '-n', releaseNamespace]],
  ])('lets the console ServiceAccount do %s: %s', async (isAllowed, args) => {
    expect(await consoleCan(...args)).toBe(isAllowed);
  });
});
