import { bundleMapSecretName } from '../../lib/bundle/bundle-secret-layout.js';
import {
  type ContainerJson,
  envoyContainerName,
  sidecarEnvoyWorkers,
  injectedAnnotation,
  injectPod,
  type InjectionSettings,
  type JsonPatchOperation,
  jsonPointerToken,
  meshWorkloadAnnotation,
  type PodJson,
  sidecarConfigMapName,
  translatorContainerName,
} from './inject-pod.js';
import type { LabelSelector, MeshWorkload } from '../mesh-workload/mesh-workload.js';

const settings: InjectionSettings = {
  version: '0.1.0',
  accordNamespace: 'accord-system',
  envoy: { image: 'envoyproxy/envoy:v1.40.0', inboundPort: 15006, outboundPort: 15001 },
  translator: { image: 'ghcr.io/accord/accord:0.1.0', resources: { requests: { cpu: '10m' } } },
};

function workload(name: string, selector: LabelSelector, namespace = 'shop'): MeshWorkload {
  return { name, namespace, selector, port: 8080, inbound: { type: 'none' }, outbound: { type: 'none' } };
}

const ordersApi = workload('orders-api', { matchLabels: { app: 'orders-api' } });

function pod(...changes: ((pod: PodJson) => void)[]): PodJson {
  const result: PodJson = {
    metadata: { name: 'orders-api-1', namespace: 'shop', labels: { app: 'orders-api' } },
    spec: { containers: [{ name: 'app', image: 'orders:1' }] },
  };
  for (const change of changes) change(result);
  return result;
}
const withLabels =
  (labels: Record<string, string>) =>
  (p: PodJson): void => {
    p.metadata = { ...p.metadata, labels };
  };
const withAnnotations =
  (annotations: Record<string, string>) =>
  (p: PodJson): void => {
    p.metadata = { ...p.metadata, annotations };
  };
const withContainers =
  (...containers: ContainerJson[]) =>
  (p: PodJson): void => {
    p.spec = { ...p.spec, containers };
  };
const withInitContainers =
  (...initContainers: ContainerJson[]) =>
  (p: PodJson): void => {
    p.spec = { ...p.spec, initContainers };
  };
const withVolumes =
  (...names: string[]) =>
  (p: PodJson): void => {
    p.spec = { ...p.spec, volumes: names.map((name) => ({ name, emptyDir: {} })) };
  };

/** Applies the `add`/`replace` operations injection produces (RFC 6902 semantics for those two). */
function applyPatch<T>(document: T, patch: readonly JsonPatchOperation[]): T {
  const result = structuredClone(document) as unknown;
  for (const operation of patch) {
    const tokens = operation.path
      .split('/')
      .slice(1)
      .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop();
    if (last === undefined) throw new Error('empty path');
    let parent = result as Record<string, unknown>;
    for (const token of tokens) {
      const next = parent[token];
      if (typeof next !== 'object' || next === null) throw new Error(`missing ${operation.path}`);
      parent = next as Record<string, unknown>;
    }
    const value = structuredClone(operation.value);
    if (Array.isArray(parent)) {
      if (last === '-' && operation.op === 'add') parent.push(value);
      else if (operation.op === 'replace' && Number(last) < parent.length) parent[Number(last)] = value;
      else if (operation.op === 'add') parent.splice(Number(last), 0, value);
      else throw new Error(`no element at ${operation.path}`);
    } else {
      if (operation.op === 'replace' && !(last in parent)) throw new Error(`nothing at ${operation.path}`);
      parent[last] = value;
    }
  }
  return result as T;
}

function containerNames(p: PodJson): string[] {
  return (p.spec?.containers ?? []).map((c) => c.name);
}

function initContainerNames(p: PodJson): string[] {
  return (p.spec?.initContainers ?? []).map((c) => c.name);
}

/** A container or init container (the sidecars are native sidecars) by name. */
function containerNamed(p: PodJson, name: string): ContainerJson | undefined {
  return [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].find((c) => c.name === name);
}

function envOf(p: PodJson, container: string): Record<string, string | undefined> {
  const found = containerNamed(p, container);
  return Object.fromEntries((found?.env ?? []).map((e) => [e.name, e.value]));
}

describe('injectPod', () => {
  describe('selection', () => {
    const cases: {
      name: string;
      pod: PodJson;
      namespace?: string;
      workloads: MeshWorkload[];
      outcome: string;
    }[] = [
      {
        name: 'injects a pod a MeshWorkload selects by label',
        pod: pod(),
        workloads: [ordersApi],
        outcome: 'Injected',
      },
      {
        name: 'leaves a pod no MeshWorkload selects',
        pod: pod(withLabels({ app: 'billing' })),
        workloads: [ordersApi],
        outcome: 'NotSelected',
      },
      {
        name: 'leaves a pod without labels',
        pod: pod(withLabels({})),
        workloads: [ordersApi],
        outcome: 'NotSelected',
      },
      {
        name: 'leaves a pod when the namespace has no MeshWorkload',
        pod: pod(),
        workloads: [],
        outcome: 'NotSelected',
      },
      {
        name: 'ignores a MeshWorkload of another namespace',
        pod: pod(),
        workloads: [workload('orders-api', { matchLabels: { app: 'orders-api' } }, 'other')],
        outcome: 'NotSelected',
      },
      {
        name: 'leaves a pod in kube-system even when selected',
        pod: pod(),
        namespace: 'kube-system',
        workloads: [workload('orders-api', { matchLabels: { app: 'orders-api' } }, 'kube-system')],
        outcome: 'ExcludedNamespace',
      },
      {
        name: "leaves a pod in Accord's own namespace even when selected",
        pod: pod(),
        namespace: 'accord-system',
        workloads: [workload('orders-api', { matchLabels: { app: 'orders-api' } }, 'accord-system')],
        outcome: 'ExcludedNamespace',
      },
      {
        name: 'leaves a selected pod annotated accord.dev/inject: "false"',
        pod: pod(withAnnotations({ 'accord.dev/inject': 'false' })),
        workloads: [ordersApi],
        outcome: 'OptedOut',
      },
      {
        name: 'leaves a pod already annotated as injected',
        pod: pod(withAnnotations({ [injectedAnnotation]: '0.0.9' })),
        workloads: [ordersApi],
        outcome: 'AlreadyInjected',
      },
      {
        name: 'leaves a pod that already has an accord-envoy container',
        pod: pod(withContainers({ name: 'app' }, { name: envoyContainerName })),
        workloads: [ordersApi],
        outcome: 'AlreadyInjected',
      },
      {
        name: 'leaves a pod that already has accord-envoy as a (native sidecar) init container',
        pod: pod(withInitContainers({ name: envoyContainerName, restartPolicy: 'Always' })),
        workloads: [ordersApi],
        outcome: 'AlreadyInjected',
      },
      {
        name: 'leaves a pod that already has an accord-translator container',
        pod: pod(withContainers({ name: translatorContainerName }, { name: 'app' })),
        workloads: [ordersApi],
        outcome: 'AlreadyInjected',
      },
      {
        name: 'injects a pod matching an In expression',
        pod: pod(withLabels({ 'app.kubernetes.io/name': 'billing-worker' })),
        workloads: [
          workload('billing', {
            matchExpressions: [
              { key: 'app.kubernetes.io/name', operator: 'In', values: ['billing', 'billing-worker'] },
            ],
          }),
        ],
        outcome: 'Injected',
      },
      {
        name: 'leaves a pod failing a NotIn expression next to matching labels',
        pod: pod(withLabels({ app: 'orders-api', tier: 'canary' })),
        workloads: [
          workload('orders', {
            matchLabels: { app: 'orders-api' },
            matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['canary'] }],
          }),
        ],
        outcome: 'NotSelected',
      },
      {
        name: 'injects on Exists and DoesNotExist',
        pod: pod(withLabels({ mesh: 'yes' })),
        workloads: [
          workload('any', {
            matchExpressions: [
              { key: 'mesh', operator: 'Exists' },
              { key: 'legacy', operator: 'DoesNotExist' },
            ],
          }),
        ],
        outcome: 'Injected',
      },
      {
        name: 'never treats an empty selector as selecting everything',
        pod: pod(),
        workloads: [workload('empty', {})],
        outcome: 'NotSelected',
      },
    ];
    it.each(cases)('$name', ({ pod: input, namespace, workloads, outcome }) => {
      const decision = injectPod(input, namespace ?? 'shop', workloads, settings);
      expect(decision.outcome).toBe(outcome);
      if (outcome !== 'Injected') expect(decision.patch).toEqual([]);
      else expect(decision.patch.length).toBeGreaterThan(0);
    });
  });

  it('adds both sidecars, the volumes, the annotations and the proxy environment', () => {
    const injected = applyPatch(pod(), injectPod(pod(), 'shop', [ordersApi], settings).patch);
    // Native sidecars: init containers that keep running, the translator first (Envoy needs its files).
    expect(containerNames(injected)).toEqual(['app']);
    expect(initContainerNames(injected)).toEqual([translatorContainerName, envoyContainerName]);
    for (const name of [translatorContainerName, envoyContainerName])
      expect(containerNamed(injected, name)?.restartPolicy).toBe('Always');
    expect(containerNamed(injected, translatorContainerName)?.startupProbe).toEqual({
      httpGet: { path: '/readyz', port: 15082 },
      periodSeconds: 1,
      failureThreshold: 120,
    });
    expect(containerNamed(injected, envoyContainerName)?.startupProbe).toMatchObject({
      tcpSocket: { port: 15006 },
    });
    // The Accord image runs no binary by default (docs/image.md): the translator's is named.
    expect(containerNamed(injected, translatorContainerName)?.command).toEqual(['accord-translator']);
    // A fixed number of workers, not one per CPU of the node.
    expect(containerNamed(injected, envoyContainerName)?.args).toEqual(
      expect.arrayContaining(['--concurrency', String(sidecarEnvoyWorkers)]),
    );
    expect(injected.metadata?.annotations).toEqual({
      [injectedAnnotation]: '0.1.0',
      [meshWorkloadAnnotation]: 'orders-api',
    });
    expect(envOf(injected, 'app')).toEqual({
      HTTP_PROXY: 'http://127.0.0.1:15001',
      http_proxy: 'http://127.0.0.1:15001',
      NO_PROXY: 'localhost,127.0.0.1,::1',
      no_proxy: 'localhost,127.0.0.1,::1',
    });
    expect(envOf(injected, envoyContainerName).HTTP_PROXY).toBeUndefined();
    const volumes = injected.spec?.volumes as unknown as Record<string, unknown>[];
    expect(volumes.map((v) => v.name)).toEqual([
      'accord-sidecar-config',
      'accord-sds',
      'accord-trust-bundles',
      'accord-pki-token',
    ]);
    expect(volumes[0]).toEqual({
      name: 'accord-sidecar-config',
      configMap: { name: sidecarConfigMapName('orders-api') },
    });
    expect(volumes[1]).toEqual({ name: 'accord-sds', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    // The provider's map Secret, whole: every partner zone's files (the own zone comes from the PKI).
    expect(volumes[2]).toEqual({
      name: 'accord-trust-bundles',
      secret: { secretName: bundleMapSecretName, optional: true },
    });
    expect(volumes[3]).toEqual({
      name: 'accord-pki-token',
      projected: {
        sources: [
          { serviceAccountToken: { audience: 'accord-pki', expirationSeconds: 3600, path: 'token' } },
        ],
      },
    });
    const translator = containerNamed(injected, translatorContainerName);
    expect(translator?.volumeMounts).toContainEqual({
      name: 'accord-pki-token',
      mountPath: '/var/run/accord/pki-token',
      readOnly: true,
    });
    const envoy = containerNamed(injected, envoyContainerName);
    expect(JSON.stringify(envoy?.volumeMounts)).not.toContain('accord-pki-token');
  });

  it.each([
    [
      'inbound basic, outbound basic',
      { type: 'basic', usersSecretName: 'in-users' } as const,
      { type: 'basic', usersSecretName: 'out-users' } as const,
      [
        ['accord-inbound-credentials', 'in-users', 'credentials.yaml', '/var/run/accord/inbound-credentials'],
        ['accord-outbound-users', 'out-users', 'users.yaml', '/var/run/accord/outbound-users'],
      ],
    ],
    [
      'inbound oidc, outbound oidc',
      {
        type: 'oidc',
        issuer: 'https://login.example',
        audience: 'orders',
        signingKeySecretName: 'issuer-key',
        keyId: 'k1',
        mappingsSecretName: 'subjects',
      } as const,
      {
        type: 'oidc',
        issuer: 'https://login.example',
        audience: 'a',
        jwksUri: 'https://login.example/jwks',
      } as const,
      [
        ['accord-inbound-credentials', 'subjects', 'credentials.yaml', '/var/run/accord/inbound-credentials'],
        [
          'accord-inbound-signing-key',
          'issuer-key',
          'signing-key.pem',
          '/var/run/accord/inbound-signing-key',
        ],
      ],
    ],
    ['none, none', { type: 'none' } as const, { type: 'none' } as const, []],
  ])(
    'mounts the Secrets the spec names into the translator only (%s)',
    (_name, inbound: MeshWorkload['inbound'], outbound: MeshWorkload['outbound'], expected) => {
      const workloadWithSecrets: MeshWorkload = { ...ordersApi, inbound, outbound };
      const injected = applyPatch(pod(), injectPod(pod(), 'shop', [workloadWithSecrets], settings).patch);
      const secretVolumes = (injected.spec?.volumes ?? []).filter(
        (v) => 'secret' in v && v.name !== 'accord-trust-bundles',
      );
      expect(secretVolumes).toEqual(
        expected.map(([volume, secretName, key]) => ({
          name: volume,
          secret: { secretName, items: [{ key, path: key }] },
        })),
      );
      const translator = containerNamed(injected, translatorContainerName);
      const envoy = containerNamed(injected, envoyContainerName);
      for (const [volume, , , mountPath] of expected) {
        expect(translator?.volumeMounts).toContainEqual({ name: volume, mountPath, readOnly: true });
        expect(JSON.stringify(envoy?.volumeMounts)).not.toContain(volume);
      }
    },
  );

  it('runs both sidecars with the hardened securityContext and the configured images and resources', () => {
    const injected = applyPatch(pod(), injectPod(pod(), 'shop', [ordersApi], settings).patch);
    const [translator, envoy] = injected.spec?.initContainers ?? [];
    for (const sidecar of [envoy, translator]) {
      expect(sidecar?.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
    expect(envoy?.image).toBe('envoyproxy/envoy:v1.40.0');
    expect(envoy?.ports).toEqual([{ name: 'accord-inbound', containerPort: 15006, protocol: 'TCP' }]);
    expect(envoy?.resources).toBeUndefined();
    expect(translator?.image).toBe('ghcr.io/accord/accord:0.1.0');
    expect(translator?.resources).toEqual({ requests: { cpu: '10m' } });
  });

  it("puts the sidecars before the pod's own init containers, which get no proxy", () => {
    const input = pod(withInitContainers({ name: 'migrate' }, { name: 'seed' }));
    const injected = applyPatch(input, injectPod(input, 'shop', [ordersApi], settings).patch);
    expect(initContainerNames(injected)).toEqual([
      translatorContainerName,
      envoyContainerName,
      'migrate',
      'seed',
    ]);
    expect(envOf(injected, 'migrate').HTTP_PROXY).toBeUndefined();
  });

  it('is idempotent: deciding again on the patched pod gives an empty patch', () => {
    for (const input of [
      pod(),
      pod(
        withAnnotations({ team: 'shop' }),
        withVolumes('data'),
        withContainers({ name: 'a' }, { name: 'b' }),
      ),
    ]) {
      const once = applyPatch(input, injectPod(input, 'shop', [ordersApi], settings).patch);
      const again = injectPod(once, 'shop', [ordersApi], settings);
      expect(again).toEqual({ outcome: 'AlreadyInjected', patch: [], warnings: [] });
    }
  });

  it('sets the proxy on every app container and keeps their other variables', () => {
    const input = pod(
      withContainers(
        { name: 'app', env: [{ name: 'LOG_LEVEL', value: 'debug' }] },
        { name: 'worker' },
        { name: 'cron', env: [] },
      ),
    );
    const injected = applyPatch(input, injectPod(input, 'shop', [ordersApi], settings).patch);
    expect(envOf(injected, 'app')).toMatchObject({
      LOG_LEVEL: 'debug',
      HTTP_PROXY: 'http://127.0.0.1:15001',
    });
    expect(envOf(injected, 'worker').http_proxy).toBe('http://127.0.0.1:15001');
    expect(envOf(injected, 'cron').NO_PROXY).toBe('localhost,127.0.0.1,::1');
  });

  it("replaces an app's own HTTP_PROXY instead of adding a second one", () => {
    const input = pod(
      withContainers({ name: 'app', env: [{ name: 'HTTP_PROXY', value: 'http://corp:3128' }] }),
    );
    const injected = applyPatch(input, injectPod(input, 'shop', [ordersApi], settings).patch);
    const env = injected.spec?.containers?.[0]?.env ?? [];
    expect(env.filter((e) => e.name === 'HTTP_PROXY')).toEqual([
      { name: 'HTTP_PROXY', value: 'http://127.0.0.1:15001' },
    ]);
  });

  it('keeps existing annotations and volumes, appending to them', () => {
    const input = pod(withAnnotations({ team: 'shop', 'example.com/a~b': 'x' }), withVolumes('data'));
    const injected = applyPatch(input, injectPod(input, 'shop', [ordersApi], settings).patch);
    expect(injected.metadata?.annotations).toMatchObject({
      team: 'shop',
      'example.com/a~b': 'x',
      [injectedAnnotation]: '0.1.0',
    });
    expect((injected.spec?.volumes ?? []).map((v) => v.name)).toEqual([
      'data',
      'accord-sidecar-config',
      'accord-sds',
      'accord-trust-bundles',
      'accord-pki-token',
    ]);
  });

  it('picks the first of several selecting MeshWorkloads by name and warns', () => {
    const decision = injectPod(
      pod(),
      'shop',
      [
        workload('zeta', { matchLabels: { app: 'orders-api' } }),
        workload('alpha', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }),
      ],
      settings,
    );
    expect(decision.meshWorkload).toBe('alpha');
    expect(decision.warnings).toEqual([expect.stringContaining('alpha, zeta')]);
  });

  it('escapes JSON pointer tokens', () => {
    expect(jsonPointerToken('accord.dev/injected')).toBe('accord.dev~1injected');
    expect(jsonPointerToken('a~b/c')).toBe('a~0b~1c');
  });
});
