import { CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { connectKube } from '../../lib/kube/kube-client.js';
import { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { KubeCustomObjectsApi } from '../../lib/kube/kube-custom-objects-api.js';
import { silentLogger } from '../../lib/log/logger.js';
import { envoyContainerName, injectedAnnotation } from '../../operator/injection/inject-pod.js';
import { kubeMeshWorkloadLister } from '../../operator/injection/kube-mesh-workload-lister.js';
import {
  reconcileServiceTargetPorts,
  type ServiceTargetPortDeps,
} from '../../operator/mesh-workload/reconcile-service-target-ports.js';
import { originalTargetPortsAnnotation } from '../../operator/mesh-workload/service-target-port.js';
import { installAccordCrds } from './accord-crds.js';
import { clientNodeApi } from './client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';

// A real etcd + kube-apiserver. No kubelet: the "injected" pods are stored as the webhook would
// have stored them (annotation + accord-envoy native sidecar) and never run.

const namespace = 'shop';
let cluster: KubeApiServer;
/** client-node: the cluster's other writers (pods, MeshWorkloads) and reads of what Accord wrote. */
let core: CoreV1Api;
let custom: CustomObjectsApi;
let deps: ServiceTargetPortDeps;

function pod(name: string, isInjected: boolean): V1Pod {
  return {
    metadata: {
      name,
      labels: { app: 'orders-api' },
      ...(isInjected ? { annotations: { [injectedAnnotation]: '1' } } : {}),
    },
    spec: {
      containers: [{ name: 'app', image: 'orders:1' }],
      // As the webhook stores them: Envoy as a native sidecar.
      ...(isInjected
        ? { initContainers: [{ name: envoyContainerName, image: 'envoy:1', restartPolicy: 'Always' }] }
        : {}),
    },
  };
}

async function targetPorts(): Promise<{ ports: unknown[]; annotation: string | undefined }> {
  const service = await core.readNamespacedService({ namespace, name: 'orders-api' });
  return {
    ports: (service.spec?.ports ?? []).map((port) => [port.name, port.targetPort]),
    annotation: service.metadata?.annotations?.[originalTargetPortsAnnotation],
  };
}

const meshWorkload = {
  group: 'accord.dev',
  version: 'v1alpha1',
  namespace,
  plural: 'meshworkloads',
};

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'injection-target-port' });
  await installAccordCrds(cluster.adminKubeconfig);
  core = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  custom = clientNodeApi(cluster.adminKubeconfig, CustomObjectsApi);
  const kube = connectKube(cluster.adminKubeconfig);
  deps = {
    core: new KubeCoreApi(kube),
    listMeshWorkloads: kubeMeshWorkloadLister(new KubeCustomObjectsApi(kube), silentLogger),
    inboundPort: 15006,
    logger: silentLogger,
  };
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: 'orders-api', annotations: { team: 'shop' } },
      spec: {
        selector: { app: 'orders-api' },
        ports: [
          { name: 'http', port: 80, targetPort: 8080 },
          { name: 'metrics', port: 9090, targetPort: 9090 },
        ],
      },
    },
  });
}, 240_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

describe('reconcileServiceTargetPorts against a real API server', () => {
  it('leaves the Service alone while a selected pod is not injected', async () => {
    await custom.createNamespacedCustomObject({
      ...meshWorkload,
      body: {
        apiVersion: 'accord.dev/v1alpha1',
        kind: 'MeshWorkload',
        metadata: { name: 'orders-api', namespace },
        spec: { selector: { matchLabels: { app: 'orders-api' } }, port: 8080 },
      },
    });
    await core.createNamespacedPod({ namespace, body: pod('old', false) });
    await core.createNamespacedPod({ namespace, body: pod('new', true) });
    expect(await reconcileServiceTargetPorts(namespace, deps)).toEqual({
      redirected: [],
      restored: [],
      conflicted: [],
    });
    expect((await targetPorts()).ports).toEqual([
      ['http', 8080],
      ['metrics', 9090],
    ]);
  });

  it('points the workload port at Envoy once every selected pod is injected, and a rerun writes nothing', async () => {
    await core.deleteNamespacedPod({ namespace, name: 'old', gracePeriodSeconds: 0 });
    expect((await reconcileServiceTargetPorts(namespace, deps)).redirected).toEqual(['orders-api']);
    expect(await targetPorts()).toEqual({
      ports: [
        ['http', 15006],
        ['metrics', 9090],
      ],
      annotation: '{"80/TCP":8080}',
    });
    const version = (await core.readNamespacedService({ namespace, name: 'orders-api' })).metadata
      ?.resourceVersion;
    expect(await reconcileServiceTargetPorts(namespace, deps)).toEqual({
      redirected: [],
      restored: [],
      conflicted: [],
    });
    expect(
      (await core.readNamespacedService({ namespace, name: 'orders-api' })).metadata?.resourceVersion,
    ).toBe(version);
  });

  it('restores the original target port when the workload leaves the mesh, keeping other annotations', async () => {
    await custom.deleteNamespacedCustomObject({ ...meshWorkload, name: 'orders-api' });
    expect((await reconcileServiceTargetPorts(namespace, deps)).restored).toEqual(['orders-api']);
    expect(await targetPorts()).toEqual({
      ports: [
        ['http', 8080],
        ['metrics', 9090],
      ],
      annotation: undefined,
    });
    const service = await core.readNamespacedService({ namespace, name: 'orders-api' });
    expect(service.metadata?.annotations).toEqual({ team: 'shop' });
  });
});
