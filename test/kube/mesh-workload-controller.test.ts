import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Pod,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { configFileFields, parseConfig } from '../../lib/config/load-config.js';
import { errorMessage } from '../../lib/errors/accord-error.js';
import { KubeStatus } from '../../lib/kube/kube-errors.js';
import { KubeAdmissionRegistrationApi } from '../../lib/kube/kube-admission-registration-api.js';
import { connectKube } from '../../lib/kube/kube-client.js';
import { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { KubeCustomObjectsApi } from '../../lib/kube/kube-custom-objects-api.js';
import { kubeTrustContractApi } from '../../lib/kube/trust-contract-api.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { systemTimers } from '../../lib/time/timers.js';
import { sdsMountPath, type InjectionSettings } from '../../operator/injection/inject-pod.js';
import { InjectionMetrics } from '../../operator/injection/injection-metrics.js';
import { kubeMeshWorkloadLister } from '../../operator/injection/kube-mesh-workload-lister.js';
import { originalTargetPortsAnnotation } from '../../operator/mesh-workload/service-target-port.js';
import { WebhookCertificateManager } from '../../operator/injection/webhook-certificate.js';
import {
  injectionWebhookConfiguration,
  injectionWebhookName,
  meshNamespaceLabel,
} from '../../operator/injection/webhook-configuration.js';
import { startWebhookServer, type WebhookServer } from '../../operator/injection/webhook-server.js';
import { kubeMeshWorkloadApi } from '../../operator/mesh-workload/kube-mesh-workload-api.js';
import { MeshWorkloadController } from '../../operator/mesh-workload/mesh-workload-controller.js';
import { restoreOnDeleteFinalizer } from '../../operator/mesh-workload/reconcile-mesh-workload.js';
import { translatorConfigKind, translatorConfigSchema } from '../../translator/translator-config.js';
import { createSidecarFiles, createTestZoneCa, validateEnvoyConfig } from '../envoy/envoy-harness.js';
import { installAccordCrds } from './accord-crds.js';
import { clientNodeApi, isClientNodeStatus } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

// The MeshWorkload controller against a REAL etcd + kube-apiserver, with the REAL injection webhook
// registered, and the rendered Envoy bootstrap checked by the REAL Envoy (--mode validate). There
// is no kubelet and no garbage collector: pods are admitted and stored, never run, and the
// ConfigMap's owner reference is checked as stored, while its removal on delete is the
// controller's own (finalizer), which is what is proven here.

jest.setTimeout(120_000);

const accordNamespace = 'accord-system';
const namespace = 'shop';
const zone = 'zone-a.example';
/** Stands for the zone's roots, which the controller copies verbatim into every sidecar ConfigMap. */
const zoneRootsPem = '-----BEGIN CERTIFICATE-----\nzone-a\n-----END CERTIFICATE-----\n';
const settings: InjectionSettings = {
  version: '2',
  accordNamespace,
  envoy: { image: 'envoyproxy/envoy:v1.40.0', inboundPort: 15006, outboundPort: 15001 },
  translator: { image: 'ghcr.io/accord/accord:0.1.0' },
};
const meshWorkloads = { group: 'accord.dev', version: 'v1alpha1', plural: 'meshworkloads' };
const trustContracts = { group: 'accord.dev', version: 'v1alpha1', plural: 'trustcontracts' };

let cluster: KubeApiServer;
/** client-node: the cluster's other writers and reads of what Accord wrote. */
let core: CoreV1Api;
let custom: CustomObjectsApi;
let server: WebhookServer;
let controller: MeshWorkloadController;
let directory: string;
let secretsDirectory: string;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'not yet';
    } catch (error) {
      last = errorMessage(error);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface ReadyCondition {
  status: string;
  reason: string;
  message: string;
}

async function readWorkload(name: string) {
  return (await custom.getNamespacedCustomObject({ ...meshWorkloads, namespace, name })) as {
    metadata: { resourceVersion: string; finalizers?: string[]; generation: number };
    status?: { observedGeneration: number; injectedPods: number; conditions: ReadyCondition[] };
  };
}

/** The workload's Ready condition once the status describes its current generation. */
async function readyOf(name: string, wanted: (ready: ReadyCondition, injectedPods: number) => boolean) {
  return waitFor(`${name} status`, async () => {
    const workload = await readWorkload(name);
    const ready = workload.status?.conditions[0];
    if (workload.status?.observedGeneration !== workload.metadata.generation || ready === undefined)
      return undefined;
    return wanted(ready, workload.status.injectedPods)
      ? { ...ready, injectedPods: workload.status.injectedPods }
      : undefined;
  });
}

async function readConfigMap(name: string): Promise<V1ConfigMap | undefined> {
  try {
    return await core.readNamespacedConfigMap({ namespace, name });
  } catch (error) {
    if (isClientNodeStatus(error, KubeStatus.notFound)) return undefined;
    throw error;
  }
}

async function createWorkload(name: string, spec: Record<string, unknown>): Promise<void> {
  await custom.createNamespacedCustomObject({
    ...meshWorkloads,
    namespace,
    body: { apiVersion: 'accord.dev/v1alpha1', kind: 'MeshWorkload', metadata: { name, namespace }, spec },
  });
}

async function setContractActive(isActive: boolean): Promise<void> {
  const contract = (await custom.getClusterCustomObject({ ...trustContracts, name: 'zone-a-zone-b' })) as {
    metadata: { generation: number };
  };
  const state = isActive ? 'Active' : 'Revoked';
  await custom.replaceClusterCustomObjectStatus({
    ...trustContracts,
    name: 'zone-a-zone-b',
    body: {
      ...contract,
      status: {
        observedGeneration: contract.metadata.generation,
        state,
        conditions: [
          {
            type: 'Active',
            status: isActive ? 'True' : 'False',
            observedGeneration: contract.metadata.generation,
            lastTransitionTime: '2026-11-23T00:00:00Z',
            reason: isActive ? 'ApprovedByAllParticipants' : 'RevokedByParticipant',
            message: state,
          },
        ],
      },
    },
  });
}

function loadTranslatorConfig(yaml: string) {
  return parseConfig(translatorConfigSchema, configFileFields(yaml, 'translator.yaml', translatorConfigKind));
}

/** `envoy --mode validate` on the rendered bootstrap, its SDS directory pointed at real SDS files. */
async function validateEnvoy(yaml: string) {
  const path = join(directory, `envoy-${String(Date.now())}.yaml`);
  await writeFile(path, yaml.replaceAll(sdsMountPath, secretsDirectory));
  return validateEnvoyConfig(path);
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-mesh-workload-'));
  const zoneA = await createTestZoneCa(zone);
  const zoneB = await createTestZoneCa('zone-b.example');
  secretsDirectory = (
    await createSidecarFiles(directory, await zoneA.issue('/ns/shop/sa/orders'), [zoneA, zoneB])
  ).secretsDirectory;

  cluster = await startKubeApiServer({ name: 'mesh-workload' });
  await installAccordCrds(cluster.adminKubeconfig);
  core = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  custom = clientNodeApi(cluster.adminKubeconfig, CustomObjectsApi);
  const kube = connectKube(cluster.adminKubeconfig);
  await core.createNamespace({ body: { metadata: { name: accordNamespace } } });
  await core.createNamespace({
    body: { metadata: { name: namespace, labels: { [meshNamespaceLabel.key]: meshNamespaceLabel.value } } },
  });

  // The injection webhook, registered as in test/kube/injection-webhook.test.ts.
  const admission = clientNodeApi(cluster.adminKubeconfig, AdmissionregistrationV1Api);
  const manager = new WebhookCertificateManager({
    core: new KubeCoreApi(kube),
    admissionRegistration: new KubeAdmissionRegistrationApi(kube),
    location: {
      namespace: accordNamespace,
      secretName: 'accord-injection-webhook-tls',
      webhookConfigurationName: 'accord-injection',
      webhookName: injectionWebhookName,
    },
    subject: { dnsNames: ['accord-operator-webhook.accord-system.svc'], ipAddresses: ['127.0.0.1'] },
    now: () => new Date(),
    logger: silentLogger,
  });
  const material = await manager.ensure();
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certificate: material,
    listMeshWorkloads: kubeMeshWorkloadLister(new KubeCustomObjectsApi(kube), silentLogger),
    settings,
    metrics: new InjectionMetrics(new Registry()),
    logger: silentLogger,
  });
  await admission.createMutatingWebhookConfiguration({
    body: injectionWebhookConfiguration({
      name: 'accord-injection',
      clientConfig: { url: `https://127.0.0.1:${String(server.port)}/mutate-pods` },
      caBundlePem: material.caBundlePem,
      accordNamespace,
    }),
  });

  // An Active contract with zone B (its status as zone A's TrustContract controller would write it).
  const example = parseYaml(
    await readFile(new URL('../../crds/examples/trustcontract.yaml', import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
  await custom.createClusterCustomObject({ ...trustContracts, body: example });
  await setContractActive(true);

  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'orders-in' },
      stringData: {
        'credentials.yaml':
          'mappings:\n  - workload: spiffe://zone-b.example/ns/shop/sa/cart\n    username: orders\n    password: secret\n',
      },
    },
  });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'orders-out' }, stringData: { 'users.yaml': 'users: {}\n' } },
  });
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: 'orders-api' },
      spec: { selector: { app: 'orders-api' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    },
  });

  controller = new MeshWorkloadController({
    api: kubeMeshWorkloadApi(kube, systemTimers),
    trustContracts: kubeTrustContractApi(kube, {
      component: 'accord-operator',
      instance: 'test',
      clock: systemClock,
      timers: systemTimers,
    }),
    settings: {
      zoneTrustDomain: zone,
      pkiAddress: 'accord-pki.accord-system.svc:8443',
      zoneRootsPem: () => zoneRootsPem,
      envoy: { inboundPort: 15006, outboundPort: 15001 },
    },
    remoteZones: [
      { trustDomain: 'zone-b.example', hostSuffix: 'zone-b', endpoint: { host: '127.0.0.1', port: 15443 } },
    ],
    clock: systemClock,
    timers: systemTimers,
    logger: silentLogger,
    // Pods are not watched: the resync is what notices the injected pod.
    resyncIntervalMs: 1000,
    backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
  });
  controller.start();
}, 240_000);

afterAll(async () => {
  await controller.stop();
  await server.close();
  await cluster.stop();
  await rm(directory, { recursive: true, force: true });
});

describe('MeshWorkload controller', () => {
  it('renders the sidecar ConfigMap: a bootstrap Envoy accepts and a TranslatorConfig the translator loads', async () => {
    await createWorkload('orders-api', {
      selector: { matchLabels: { app: 'orders-api' } },
      port: 8080,
      inbound: { type: 'basic', basic: { usersSecretName: 'orders-in' } },
      outbound: { type: 'basic', basic: { usersSecretName: 'orders-out' } },
    });
    const configMap = await waitFor('the sidecar ConfigMap', () =>
      readConfigMap('accord-sidecar-orders-api'),
    );
    const uid = ((await readWorkload('orders-api')).metadata as { uid?: string }).uid;
    expect(configMap.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'MeshWorkload', name: 'orders-api', uid, controller: true }),
    ]);
    expect(configMap.metadata?.labels).toMatchObject({ 'accord.dev/mesh-workload': 'orders-api' });

    const envoyYaml = configMap.data?.['envoy.yaml'] ?? '';
    const validation = await validateEnvoy(envoyYaml);
    expect(validation.output).toContain('OK');
    expect(validation.isValid).toBe(true);
    expect(envoyYaml).toContain('zone_zone-b');

    const translator = loadTranslatorConfig(configMap.data?.['translator.yaml'] ?? '');
    expect(configMap.data?.['zone-roots.pem']).toBe(zoneRootsPem);
    expect(translator.outbound?.zones).toEqual([
      { hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' },
    ]);
    expect(translator.inbound.credentialsFile).toBe('/var/run/accord/inbound-credentials/credentials.yaml');

    const ready = await readyOf('orders-api', (condition) => condition.status === 'True');
    expect(ready).toMatchObject({ reason: 'ConfigRendered', injectedPods: 0 });
    expect((await readWorkload('orders-api')).metadata.finalizers).toContain(restoreOnDeleteFinalizer);
  });

  it('counts an injected pod and points the Service at Envoy once every selected pod is injected', async () => {
    const pod: V1Pod = await waitFor('the webhook to inject', async () => {
      try {
        return await core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name: 'orders-1', labels: { app: 'orders-api' } },
            // Set by the ServiceAccount admission plugin in a real cluster (disabled in this one);
            // the projected PKI token needs it.
            spec: { serviceAccountName: 'orders', containers: [{ name: 'app', image: 'orders:1' }] },
          },
        });
      } catch (error) {
        if (isClientNodeStatus(error, KubeStatus.conflict))
          return core.readNamespacedPod({ namespace, name: 'orders-1' });
        throw error;
      }
    });
    expect(pod.metadata?.annotations?.['accord.dev/mesh-workload']).toBe('orders-api');
    expect((pod.spec?.volumes ?? []).map((volume) => volume.name)).toEqual(
      expect.arrayContaining(['accord-pki-token', 'accord-inbound-credentials', 'accord-outbound-users']),
    );
    await readyOf(
      'orders-api',
      (condition, injectedPods) => condition.status === 'True' && injectedPods === 1,
    );
    const service = await waitFor('the Service redirect', async () => {
      const read = await core.readNamespacedService({ namespace, name: 'orders-api' });
      return read.spec?.ports?.[0]?.targetPort === 15006 ? read : undefined;
    });
    expect(service.metadata?.annotations?.[originalTargetPortsAnnotation]).toBe('{"80/TCP":8080}');
  });

  it('writes nothing in a steady state', async () => {
    const before = {
      configMap: (await readConfigMap('accord-sidecar-orders-api'))?.metadata?.resourceVersion,
      workload: (await readWorkload('orders-api')).metadata.resourceVersion,
      service: (await core.readNamespacedService({ namespace, name: 'orders-api' })).metadata
        ?.resourceVersion,
    };
    // Several resyncs (1 s each) reconcile everything again meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect({
      configMap: (await readConfigMap('accord-sidecar-orders-api'))?.metadata?.resourceVersion,
      workload: (await readWorkload('orders-api')).metadata.resourceVersion,
      service: (await core.readNamespacedService({ namespace, name: 'orders-api' })).metadata
        ?.resourceVersion,
    }).toEqual(before);
  });

  it('re-renders when spec.port changes', async () => {
    await custom.patchNamespacedCustomObject(
      {
        ...meshWorkloads,
        namespace,
        name: 'orders-api',
        body: [{ op: 'replace', path: '/spec/port', value: 9090 }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const configMap = await waitFor('the re-rendered ConfigMap', async () => {
      const read = await readConfigMap('accord-sidecar-orders-api');
      return read?.data?.['envoy.yaml']?.includes('port_value: 9090') === true ? read : undefined;
    });
    expect(configMap.data?.['envoy.yaml']).not.toContain('port_value: 8080');
  });

  it('reports NoActiveContracts when the contract is no longer Active but keeps the route: trust refuses, not the bootstrap', async () => {
    const before = await readConfigMap('accord-sidecar-orders-api');
    await setContractActive(false);
    const ready = await readyOf('orders-api', (condition) => condition.reason === 'NoActiveContracts');
    expect(ready.status).toBe('False');
    const after = await readConfigMap('accord-sidecar-orders-api');
    expect(after?.data?.['envoy.yaml']).toContain('zone_zone-b');
    expect(loadTranslatorConfig(after?.data?.['translator.yaml'] ?? '').outbound?.zones).toEqual([
      { hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' },
    ]);
    // Unchanged: running pods, whose Envoy read the bootstrap at start, route exactly as new ones.
    expect(after?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);

    await setContractActive(true);
    await readyOf('orders-api', (condition) => condition.reason === 'ConfigRendered');
    expect((await readConfigMap('accord-sidecar-orders-api'))?.metadata?.resourceVersion).toBe(
      before?.metadata?.resourceVersion,
    );
  });

  it('reports a missing Secret or key and renders nothing for it', async () => {
    await createWorkload('billing', {
      selector: { matchLabels: { app: 'billing' } },
      port: 8080,
      outbound: { type: 'basic', basic: { usersSecretName: 'billing-users' } },
    });
    const missing = await readyOf('billing', (condition) => condition.reason === 'SecretMissing');
    expect(missing).toMatchObject({ status: 'False', message: 'Secret billing-users does not exist' });
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'billing-users' }, stringData: { 'passwords.txt': 'x' } },
    });
    await readyOf(
      'billing',
      (condition) => condition.message === 'Secret billing-users has no key users.yaml',
    );
    expect(await readConfigMap('accord-sidecar-billing')).toBeUndefined();

    await core.replaceNamespacedSecret({
      namespace,
      name: 'billing-users',
      body: { metadata: { name: 'billing-users' }, stringData: { 'users.yaml': 'users: {}\n' } },
    });
    await readyOf('billing', (condition) => condition.status === 'True');
    expect(await readConfigMap('accord-sidecar-billing')).toBeDefined();
  });

  it('restores the Service, deletes the ConfigMap and releases the MeshWorkload on delete', async () => {
    await custom.deleteNamespacedCustomObject({ ...meshWorkloads, namespace, name: 'orders-api' });
    await waitFor('the MeshWorkload to go', async () => {
      try {
        await readWorkload('orders-api');
        return undefined;
      } catch (error) {
        return isClientNodeStatus(error, KubeStatus.notFound) ? true : undefined;
      }
    });
    const service = await core.readNamespacedService({ namespace, name: 'orders-api' });
    expect(service.spec?.ports?.[0]?.targetPort).toBe(8080);
    expect(service.metadata?.annotations?.[originalTargetPortsAnnotation]).toBeUndefined();
    expect(await readConfigMap('accord-sidecar-orders-api')).toBeUndefined();
  });
});
