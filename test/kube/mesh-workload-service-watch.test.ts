import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { connectKube, type KubeClient } from '../../lib/kube/kube-client.js';
import { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import type { ResourceChange } from '../../lib/kube/kube-list-watch.js';
import { kubeTrustContractApi } from '../../lib/kube/trust-contract-api.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { systemTimers } from '../../lib/time/timers.js';
import {
  envoyContainerName,
  injectedAnnotation,
  meshWorkloadAnnotation,
} from '../../operator/injection/inject-pod.js';
import { originalTargetPortsAnnotation } from '../../operator/mesh-workload/service-target-port.js';
import {
  kubeMeshWorkloadApi,
  kubeServiceListWatch,
  type MeshWorkloadKubeApi,
} from '../../operator/mesh-workload/kube-mesh-workload-api.js';
import { MeshWorkloadController } from '../../operator/mesh-workload/mesh-workload-controller.js';
import { pollUntil } from '../e2e/poll-until.js';
import { installAccordCrds } from './accord-crds.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

// The MeshWorkload controller's Service watch against a REAL etcd + kube-apiserver. The resync is
// ten minutes, far longer than any test here: whatever the controller does to a Service, a watch
// event made it do. No kubelet and no webhook: the injected pod is stored as the webhook would
// have stored it (annotations + accord-envoy native sidecar) and never runs.

jest.setTimeout(120_000);

const namespace = 'shop';
const meshWorkloads = { group: 'accord.dev', version: 'v1alpha1', plural: 'meshworkloads' };
/** Generous against a loaded machine, and still far below the resync. */
const promptlyMs = 30_000;

let cluster: KubeApiServer;
/** client-node: the cluster's other writers and reads of what Accord wrote. */
let core: CoreV1Api;
let custom: CustomObjectsApi;
/** Accord's client, as the operator uses it. */
let kube: KubeClient;
let controller: MeshWorkloadController;
/** What the controller's target-port reconcile called, counted around the real client. */
const serviceCalls = { lists: 0, replaces: 0 };

const injectedPod: V1Pod = {
  metadata: {
    name: 'orders-1',
    labels: { app: 'orders-api' },
    annotations: { [meshWorkloadAnnotation]: 'orders-api', [injectedAnnotation]: '1' },
  },
  spec: {
    containers: [{ name: 'app', image: 'orders:1' }],
    initContainers: [{ name: envoyContainerName, image: 'envoy:1', restartPolicy: 'Always' }],
  },
};

async function readService(name: string) {
  return core.readNamespacedService({ namespace, name });
}

async function createService(name: string, selector?: Record<string, string>): Promise<void> {
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name },
      spec: {
        ...(selector === undefined ? {} : { selector }),
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      },
    },
  });
}

/** Patches orders-api with one JSON Patch operation, as a user's kubectl would. */
async function patchOrdersService(operation: { op: 'add' | 'replace'; path: string; value: unknown }) {
  await core.patchNamespacedService(
    { namespace, name: 'orders-api', body: [operation] },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
}

/** orders-api once its first port targets `targetPort` (within `promptlyMs`, far below the resync). */
function ordersServiceTargeting(targetPort: number, what: string) {
  return pollUntil(
    what,
    async () => {
      const read = await readService('orders-api');
      return read.spec?.ports?.[0]?.targetPort === targetPort ? read : undefined;
    },
    promptlyMs,
    200,
  );
}

async function resourceVersions() {
  const workload = (await custom.getNamespacedCustomObject({
    ...meshWorkloads,
    namespace,
    name: 'orders-api',
  })) as { metadata: { resourceVersion: string } };
  return {
    workload: workload.metadata.resourceVersion,
    configMap: (await core.readNamespacedConfigMap({ namespace, name: 'accord-sidecar-orders-api' })).metadata
      ?.resourceVersion,
    service: (await readService('orders-api')).metadata?.resourceVersion,
  };
}

/** The real adapter, with the Service calls of the target-port reconcile counted. */
function countingApi(): MeshWorkloadKubeApi {
  const api = kubeMeshWorkloadApi(kube, systemTimers);
  return {
    ...api,
    core: {
      listNamespacedPod: (request) => api.core.listNamespacedPod(request),
      listNamespacedService: (request) => {
        serviceCalls.lists += 1;
        return api.core.listNamespacedService(request);
      },
      replaceNamespacedService: (request) => {
        serviceCalls.replaces += 1;
        return api.core.replaceNamespacedService(request);
      },
    },
  };
}

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'mesh-workload-services' });
  await installAccordCrds(cluster.adminKubeconfig);
  core = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  custom = clientNodeApi(cluster.adminKubeconfig, CustomObjectsApi);
  kube = connectKube(cluster.adminKubeconfig);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedPod({ namespace, body: injectedPod });
  await custom.createNamespacedCustomObject({
    ...meshWorkloads,
    namespace,
    body: {
      apiVersion: 'accord.dev/v1alpha1',
      kind: 'MeshWorkload',
      metadata: { name: 'orders-api', namespace },
      spec: { selector: { matchLabels: { app: 'orders-api' } }, port: 8080 },
    },
  });

  controller = new MeshWorkloadController({
    api: countingApi(),
    trustContracts: kubeTrustContractApi(kube, {
      component: 'accord-operator',
      instance: 'test',
      clock: systemClock,
      timers: systemTimers,
    }),
    settings: {
      zoneTrustDomain: 'zone-a.example',
      pkiAddress: 'accord-pki.accord-system.svc:8443',
      zoneRootsPem: () => '',
      envoy: { inboundPort: 15006, outboundPort: 15001 },
    },
    remoteZones: [],
    clock: systemClock,
    timers: systemTimers,
    logger: silentLogger,
    resyncIntervalMs: 600_000,
    backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
  });
  controller.start();
  // Reconciled once: the status counts the pod, which was there before the MeshWorkload.
  await pollUntil(
    'the MeshWorkload status',
    async () => {
      const workload = (await custom.getNamespacedCustomObject({
        ...meshWorkloads,
        namespace,
        name: 'orders-api',
      })) as {
        metadata: { generation: number };
        status?: { observedGeneration?: number; injectedPods?: number };
      };
      return workload.status?.observedGeneration === workload.metadata.generation &&
        workload.status.injectedPods === 1
        ? true
        : undefined;
    },
    promptlyMs,
    200,
  );
}, 240_000);

afterAll(async () => {
  await controller.stop();
  await cluster.stop();
}, 60_000);

describe('the Service list/watch of the MeshWorkload controller', () => {
  it('lists every page of every namespace as metadata only, and watches until the server ends the watch', async () => {
    const services = kubeServiceListWatch(new KubeCoreApi(kube), kube, systemTimers, {
      watchTimeoutSeconds: 2,
      pageSize: 1,
    });
    await createService('listed');
    await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'listed' }, spec: { ports: [{ port: 80 }] } },
    });
    const listed = await services.list();
    const metadataOf = (name: string, inNamespace: string) => ({
      metadata: { name, namespace: inNamespace, resourceVersion: expect.any(String) as string },
    });
    expect(listed.items).toEqual(
      expect.arrayContaining([metadataOf('listed', namespace), metadataOf('listed', 'default')]),
    );
    const changes: [ResourceChange, unknown][] = [];
    const watch = services.watch(listed.resourceVersion, {
      onChange: (change, service) => {
        if (service.metadata.name === 'listed') changes.push([change, service]);
      },
      onBookmark: () => undefined,
    });
    await core.deleteNamespacedService({ namespace: 'default', name: 'listed' });
    await pollUntil(
      'DELETED default/listed',
      () => Promise.resolve(changes.length > 0 ? true : undefined),
      promptlyMs,
    );
    expect(changes).toEqual([['DELETED', metadataOf('listed', 'default')]]);
    // timeoutSeconds is 2: the server closes the watch, which ends as `closed`, to be resumed.
    expect(await watch.ended).toEqual({ kind: 'closed' });
    await core.deleteNamespacedService({ namespace, name: 'listed' });
  });
});

describe('the MeshWorkload controller watching Services (resync ten minutes away)', () => {
  it('points a Service created after its MeshWorkload at Envoy within seconds', async () => {
    await createService('orders-api', { app: 'orders-api' });
    const service = await ordersServiceTargeting(15006, 'the Service redirect');
    expect(service.metadata?.annotations?.[originalTargetPortsAnnotation]).toBe('{"80/TCP":8080}');
  });

  it('writes nothing more once redirected, even when another Service of the namespace changes', async () => {
    const before = await resourceVersions();
    const { lists, replaces } = serviceCalls;
    // A Service without a selector is never touched, but its creation requeues the MeshWorkload.
    await createService('orders-external');
    await pollUntil(
      'a reconcile after the new Service',
      () => Promise.resolve(serviceCalls.lists > lists ? true : undefined),
      promptlyMs,
    );
    // Lets that reconcile finish (it wrote, if at all, right after its list).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(serviceCalls.replaces).toBe(replaces);
    expect(await resourceVersions()).toEqual(before);
    expect((await readService('orders-external')).spec?.ports?.[0]?.targetPort).toBe(8080);
  });

  it('points a Service at Envoy again when its target port is set back under the record (kubectl apply of the original)', async () => {
    await patchOrdersService({ op: 'replace', path: '/spec/ports/0/targetPort', value: 8080 });
    const service = await ordersServiceTargeting(15006, 'the Service redirected again');
    expect(service.metadata?.annotations?.[originalTargetPortsAnnotation]).toBe('{"80/TCP":8080}');
  });

  it('restores a Service within seconds when its selector changes to pods that are not all injected', async () => {
    expect((await readService('orders-api')).spec?.ports?.[0]?.targetPort).toBe(15006);
    await patchOrdersService({ op: 'add', path: '/spec/selector/track', value: 'canary' });
    const service = await ordersServiceTargeting(8080, 'the Service restore');
    expect(service.metadata?.annotations?.[originalTargetPortsAnnotation]).toBeUndefined();
  });
});
