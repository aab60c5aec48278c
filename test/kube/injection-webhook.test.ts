import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1MutatingWebhookConfiguration,
  type V1Pod,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { errorMessage } from '../../lib/errors/accord-error.js';
import { kubeErrorReason } from '../../lib/kube/kube-errors.js';
import { KubeAdmissionRegistrationApi } from '../../lib/kube/kube-admission-registration-api.js';
import { connectKube, type KubeClient } from '../../lib/kube/kube-client.js';
import { corePath, KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { KubeCustomObjectsApi } from '../../lib/kube/kube-custom-objects-api.js';
import { silentLogger } from '../../lib/log/logger.js';
import {
  envoyContainerName,
  injectedAnnotation,
  type InjectionSettings,
  translatorContainerName,
} from '../../operator/injection/inject-pod.js';
import { InjectionMetrics } from '../../operator/injection/injection-metrics.js';
import { kubeMeshWorkloadLister } from '../../operator/injection/kube-mesh-workload-lister.js';
import { WebhookCertificateManager } from '../../operator/injection/webhook-certificate.js';
import {
  injectionWebhookConfiguration,
  injectionWebhookName,
  meshNamespaceLabel,
} from '../../operator/injection/webhook-configuration.js';
import { startWebhookServer, type WebhookServer } from '../../operator/injection/webhook-server.js';
import { installAccordCrds } from './accord-crds.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

// A real etcd + kube-apiserver (MutatingAdmissionWebhook is one of its default admission plugins).
// There is no kubelet: pods are admitted and stored, never run, so these tests prove what the API
// server stores, not that the sidecars start.

const accordNamespace = 'accord-system';
const meshNamespace = 'shop';
const plainNamespace = 'plain';
const configurationName = 'accord-injection';

const settings: InjectionSettings = {
  version: '0.1.0-test',
  accordNamespace,
  envoy: { image: 'envoyproxy/envoy:v1.40.0', inboundPort: 15006, outboundPort: 15001 },
  translator: {
    image: 'ghcr.io/accord/accord:0.1.0',
    resources: { requests: { cpu: '10m', memory: '32Mi' } },
  },
};

let cluster: KubeApiServer;
/** client-node: the cluster's other writers and reads of what Accord wrote. */
let core: CoreV1Api;
let admission: AdmissionregistrationV1Api;
let custom: CustomObjectsApi;
/** Accord's client, as the operator uses it. */
let kube: KubeClient;
let manager: WebhookCertificateManager;
let server: WebhookServer | undefined;
let podCount = 0;

function app(labels: Record<string, string>, name = `pod-${String((podCount += 1))}`): V1Pod {
  return {
    metadata: { name, labels },
    spec: {
      // Set by the ServiceAccount admission plugin in a real cluster (disabled in this one); the
      // injected PKI token volume (a projected serviceAccountToken) needs it.
      serviceAccountName: 'orders',
      containers: [
        { name: 'app', image: 'orders:1', env: [{ name: 'LOG_LEVEL', value: 'info' }] },
        { name: 'worker', image: 'orders-worker:1' },
      ],
    },
  };
}

/** Creates a pod through Accord's client, so that a refusal is a `KubeApiError` with the API server's reason. */
async function createPod(namespace: string, pod: V1Pod, isDryRun = false): Promise<V1Pod> {
  return kube.request<V1Pod>({
    method: 'POST',
    path: corePath('pods', namespace),
    body: pod,
    query: { dryRun: isDryRun ? 'All' : undefined },
  });
}

/** Init containers (where the native sidecars go), then containers. */
function containerNames(pod: V1Pod): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map(
    (container) => container.name,
  );
}

function isInjected(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.[injectedAnnotation] !== undefined;
}

/** Retries `probe` until it returns true or `timeoutMs` passes; the last failure is in the message. */
async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await probe()) return;
      last = 'condition false';
    } catch (error) {
      last = errorMessage(error);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The API server learns about webhook configuration changes through an informer: wait until a
 * dry-run creation of a selected pod comes back injected (dry run still calls the webhook, which
 * declares no side effects).
 */
async function waitUntilInjecting(): Promise<void> {
  await waitFor('the API server to call the webhook', async () =>
    isInjected(await createPod(meshNamespace, app({ app: 'orders-api' }), true)),
  );
}

async function startServer(
  certificate: { certificatePem: string; privateKeyPem: string },
  port = 0,
): Promise<WebhookServer> {
  return startWebhookServer({
    host: '127.0.0.1',
    port,
    certificate,
    listMeshWorkloads: kubeMeshWorkloadLister(new KubeCustomObjectsApi(kube), silentLogger),
    settings,
    metrics: new InjectionMetrics(new Registry()),
    logger: silentLogger,
  });
}

async function readCaBundle(): Promise<string | undefined> {
  const configuration: V1MutatingWebhookConfiguration = await admission.readMutatingWebhookConfiguration({
    name: configurationName,
  });
  return configuration.webhooks?.find((webhook) => webhook.name === injectionWebhookName)?.clientConfig
    .caBundle;
}

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'injection' });
  await installAccordCrds(cluster.adminKubeconfig);
  core = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  admission = clientNodeApi(cluster.adminKubeconfig, AdmissionregistrationV1Api);
  custom = clientNodeApi(cluster.adminKubeconfig, CustomObjectsApi);
  kube = connectKube(cluster.adminKubeconfig);
  await core.createNamespace({ body: { metadata: { name: accordNamespace } } });
  await core.createNamespace({
    body: {
      metadata: { name: meshNamespace, labels: { [meshNamespaceLabel.key]: meshNamespaceLabel.value } },
    },
  });
  await core.createNamespace({ body: { metadata: { name: plainNamespace } } });
  // kube-system labelled like a mesh namespace and with a MeshWorkload: still never injected.
  await core.patchNamespace({
    name: 'kube-system',
    body: [{ op: 'add', path: '/metadata/labels/accord.dev~1mesh', value: 'enabled' }],
  });
  for (const namespace of [meshNamespace, 'kube-system']) {
    await custom.createNamespacedCustomObject({
      group: 'accord.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'meshworkloads',
      body: {
        apiVersion: 'accord.dev/v1alpha1',
        kind: 'MeshWorkload',
        metadata: { name: 'orders-api', namespace },
        spec: { selector: { matchLabels: { app: 'orders-api' } }, port: 8080 },
      },
    });
  }

  manager = new WebhookCertificateManager({
    core: new KubeCoreApi(kube),
    admissionRegistration: new KubeAdmissionRegistrationApi(kube),
    location: {
      namespace: accordNamespace,
      secretName: 'accord-injection-webhook-tls',
      webhookConfigurationName: configurationName,
      webhookName: injectionWebhookName,
    },
    subject: { dnsNames: ['accord-operator.accord-system.svc'], ipAddresses: ['127.0.0.1'] },
    now: () => new Date(),
    logger: silentLogger,
  });
  // Before the configuration exists, ensure() creates the Secret and skips the caBundle.
  const material = await manager.ensure();
  server = await startServer(material);
  await admission.createMutatingWebhookConfiguration({
    body: injectionWebhookConfiguration({
      name: configurationName,
      clientConfig: { url: `https://127.0.0.1:${String(server.port)}/mutate-pods` },
      caBundlePem: material.caBundlePem,
      accordNamespace,
    }),
  });
  await waitUntilInjecting();
}, 240_000);

afterAll(async () => {
  await server?.close();
  await cluster.stop();
}, 60_000);

describe('the injection webhook behind a real API server', () => {
  it('stores a selected pod in a mesh namespace with both sidecars, the volumes and HTTP_PROXY', async () => {
    await createPod(meshNamespace, app({ app: 'orders-api' }, 'orders-api-0'));
    const stored = await core.readNamespacedPod({ namespace: meshNamespace, name: 'orders-api-0' });
    expect(containerNames(stored)).toEqual([translatorContainerName, envoyContainerName, 'app', 'worker']);
    // Native sidecars: the API server keeps them as init containers with restartPolicy Always.
    const sidecars = stored.spec?.initContainers ?? [];
    expect(sidecars.map((container) => [container.name, container.restartPolicy])).toEqual([
      [translatorContainerName, 'Always'],
      [envoyContainerName, 'Always'],
    ]);
    expect(sidecars[0]?.startupProbe?.httpGet?.path).toBe('/readyz');
    expect(sidecars[1]?.startupProbe?.tcpSocket?.port).toBe(15006);
    expect(stored.metadata?.annotations).toMatchObject({
      [injectedAnnotation]: '0.1.0-test',
      'accord.dev/mesh-workload': 'orders-api',
    });
    expect((stored.spec?.volumes ?? []).map((volume) => volume.name)).toEqual([
      'accord-sidecar-config',
      'accord-sds',
      'accord-trust-bundles',
      'accord-pki-token',
    ]);
    for (const name of ['app', 'worker']) {
      const env = stored.spec?.containers.find((container) => container.name === name)?.env ?? [];
      expect(env).toEqual(
        expect.arrayContaining([
          { name: 'HTTP_PROXY', value: 'http://127.0.0.1:15001' },
          { name: 'NO_PROXY', value: 'localhost,127.0.0.1,::1' },
        ]),
      );
    }
    const app0 = stored.spec?.containers[0]?.env?.map((variable) => variable.name);
    expect(app0?.[0]).toBe('LOG_LEVEL');
    const envoy = sidecars.find((container) => container.name === envoyContainerName);
    expect(envoy?.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('leaves a pod no MeshWorkload selects untouched', async () => {
    const stored = await createPod(meshNamespace, app({ app: 'billing' }));
    expect(containerNames(stored)).toEqual(['app', 'worker']);
    expect(isInjected(stored)).toBe(false);
    expect(stored.spec?.containers[0]?.env).toEqual([{ name: 'LOG_LEVEL', value: 'info' }]);
  });

  it('leaves a selected pod annotated accord.dev/inject: "false" untouched', async () => {
    const pod = app({ app: 'orders-api' });
    if (pod.metadata !== undefined) pod.metadata.annotations = { 'accord.dev/inject': 'false' };
    expect(containerNames(await createPod(meshNamespace, pod))).toEqual(['app', 'worker']);
  });

  it('leaves a selected pod in kube-system untouched even with the mesh label and a MeshWorkload', async () => {
    const stored = await createPod('kube-system', app({ app: 'orders-api' }));
    expect(containerNames(stored)).toEqual(['app', 'worker']);
    expect(isInjected(stored)).toBe(false);
  });

  it('leaves a selected pod in a namespace without the mesh label untouched', async () => {
    const stored = await createPod(plainNamespace, app({ app: 'orders-api' }));
    expect(isInjected(stored)).toBe(false);
  });

  it('stores a pod created from an already injected spec unchanged', async () => {
    const injected = await createPod(meshNamespace, app({ app: 'orders-api' }));
    expect(isInjected(injected)).toBe(true);
    const again = await createPod(meshNamespace, {
      metadata: {
        name: 'orders-api-copy',
        labels: injected.metadata?.labels ?? {},
        annotations: injected.metadata?.annotations ?? {},
      },
      spec: injected.spec ?? { containers: [] },
    });
    expect(containerNames(again)).toEqual(containerNames(injected));
    expect(again.spec?.volumes).toEqual(injected.spec?.volumes);
    expect(again.spec?.containers[0]?.env).toEqual(injected.spec?.containers[0]?.env);
  });

  it('keeps injecting after the serving certificate is rotated, with the caBundle updated', async () => {
    const before = await readCaBundle();
    const secretBefore = await core.readNamespacedSecret({
      namespace: accordNamespace,
      name: 'accord-injection-webhook-tls',
    });
    const rotated = await manager.rotate();
    const after = await readCaBundle();
    expect(after).not.toEqual(before);
    expect(after).toBe(Buffer.from(rotated.caBundlePem).toString('base64'));
    const secretAfter = await core.readNamespacedSecret({
      namespace: accordNamespace,
      name: 'accord-injection-webhook-tls',
    });
    expect(secretAfter.data?.['tls.crt']).not.toEqual(secretBefore.data?.['tls.crt']);
    // A steady state writes nothing.
    const versionBefore = (await admission.readMutatingWebhookConfiguration({ name: configurationName }))
      .metadata?.resourceVersion;
    expect((await manager.ensure()).certificatePem).toBe(rotated.certificatePem);
    expect(
      (await admission.readMutatingWebhookConfiguration({ name: configurationName })).metadata
        ?.resourceVersion,
    ).toBe(versionBefore);
    server?.setCertificate(rotated);
    await waitUntilInjecting();
    const stored = await createPod(meshNamespace, app({ app: 'orders-api' }));
    expect(containerNames(stored)).toContain(envoyContainerName);
  });

  it('refuses pod creation in a mesh namespace while the webhook is down (failurePolicy Fail), not elsewhere', async () => {
    await server?.close();
    server = undefined;
    const refusal = async (pod: V1Pod): Promise<string> =>
      createPod(meshNamespace, pod).then(
        () => 'admitted',
        (error: unknown) => kubeErrorReason(error),
      );
    // The API server's first call may go out on a kept-alive connection the closed server dropped
    // (a write then fails with a broken pipe or a reset); every later dial is refused.
    expect(await refusal(app({ app: 'orders-api' }))).toMatch(
      /^HTTP 500: Internal error occurred: failed calling webhook "inject\.accord\.dev": .*(connection refused|broken pipe|connection reset by peer)/,
    );
    // Unselected pods of a mesh namespace are refused too: only the webhook knows they would be left alone.
    expect(await refusal(app({ app: 'billing' }))).toMatch(/failed calling webhook "inject\.accord\.dev"/);
    const elsewhere = await createPod(plainNamespace, app({ app: 'orders-api' }));
    expect(isInjected(elsewhere)).toBe(false);
  });
});
