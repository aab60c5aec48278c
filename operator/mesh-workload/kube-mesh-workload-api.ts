import { KubeCustomResourceApi, type CustomResource } from '../../lib/kube/custom-resource-api.js';
import type { KubeClient } from '../../lib/kube/kube-client.js';
import { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { KubeCustomObjectsApi } from '../../lib/kube/kube-custom-objects-api.js';
import type { V1ConfigMap } from '../../lib/kube/kube-objects.js';
import { isKubeStatus, KubeStatus } from '../../lib/kube/kube-errors.js';
import { KubeListWatch, type WatchStarter } from '../../lib/kube/kube-list-watch.js';
import type { Timers } from '../../lib/time/timers.js';
import type { PodJson } from '../injection/inject-pod.js';
import type { ServiceTargetPortDeps } from './reconcile-service-target-ports.js';
import type { ListWatchApi } from '../../lib/kube/resource-informer.js';
import { meshWorkloadResource } from './mesh-workload-crd.js';

/** A MeshWorkload as the API server returns it; spec and status stay plain JSON for the parsers. */
export interface MeshWorkloadResource extends CustomResource {
  metadata: CustomResource['metadata'] & { namespace: string };
}

/**
 * A Service as the controller's informer keeps it: which one, and its version. A change only
 * requeues the namespace's MeshWorkloads (the target-port reconcile lists the Services itself),
 * and a cache of whole Services would hold every Service of the cluster.
 */
export interface ServiceMetadata {
  metadata: { name: string; namespace: string; resourceVersion?: string };
}

/** A ConfigMap as the reconcile reads and writes it. */
export type ConfigMapJson = V1ConfigMap;

/**
 * Every Kubernetes call of the MeshWorkload controller. Writes to the MeshWorkload are JSON
 * patches that `test` what they change (a concurrent change is a `KubeConflictError`); ConfigMap
 * replaces carry the resourceVersion that was read.
 */
export interface MeshWorkloadKubeApi extends ListWatchApi<MeshWorkloadResource> {
  replaceStatus(object: MeshWorkloadResource, status: unknown): Promise<MeshWorkloadResource>;
  addFinalizer(object: MeshWorkloadResource, finalizer: string): Promise<MeshWorkloadResource>;
  removeFinalizer(object: MeshWorkloadResource, finalizer: string): Promise<void>;
  readConfigMap(namespace: string, name: string): Promise<ConfigMapJson | undefined>;
  createConfigMap(namespace: string, body: ConfigMapJson): Promise<void>;
  replaceConfigMap(namespace: string, body: ConfigMapJson): Promise<void>;
  deleteConfigMap(namespace: string, name: string): Promise<void>;
  /** The keys a Secret holds, or `undefined` when there is no such Secret. Values are never returned. */
  secretKeys(namespace: string, name: string): Promise<string[] | undefined>;
  listPods(namespace: string): Promise<PodJson[]>;
  /** Services of every namespace, as `ServiceMetadata`: the controller's trigger, never written through. */
  readonly services: ListWatchApi<ServiceMetadata>;
  /** The clients the Service target-port reconcile takes. */
  readonly core: ServiceTargetPortDeps['core'];
}

const fieldManager = 'accord-operator';

/**
 * The MeshWorkload controller's Kubernetes calls on the operator's client `kube`, every call
 * with a deadline: the MeshWorkloads themselves through lib/kube's
 * `KubeCustomResourceApi` (its watch bounded by `timeoutSeconds` and a watchdog instead), the
 * Services of every namespace through lib/kube's `KubeListWatch` (likewise), and the ConfigMaps,
 * Secrets, Services and pods of the mesh namespaces.
 */
export function kubeMeshWorkloadApi(kube: KubeClient, timers: Timers): MeshWorkloadKubeApi {
  const core = new KubeCoreApi(kube);
  const meshWorkloads = new KubeCustomResourceApi<MeshWorkloadResource>({
    resource: meshWorkloadResource,
    customObjects: new KubeCustomObjectsApi(kube),
    watcher: kube,
    timers,
  });
  return {
    core,
    list: () => meshWorkloads.list(),
    watch: (resourceVersion, handlers) => meshWorkloads.watch(resourceVersion, handlers),
    services: kubeServiceListWatch(core, kube, timers),
    replaceStatus: (object, status) => meshWorkloads.replaceStatus(object, status),
    addFinalizer: (object, finalizer) => meshWorkloads.addFinalizer(object, finalizer),
    async removeFinalizer(object, finalizer) {
      await meshWorkloads.removeFinalizer(object, finalizer);
    },

    async readConfigMap(namespace, name) {
      try {
        return await core.readNamespacedConfigMap({ namespace, name });
      } catch (error) {
        if (isKubeStatus(error, KubeStatus.notFound)) return undefined;
        throw error;
      }
    },
    async createConfigMap(namespace, body) {
      await core.createNamespacedConfigMap({ namespace, body, fieldManager });
    },
    async replaceConfigMap(namespace, body) {
      await core.replaceNamespacedConfigMap({
        namespace,
        name: body.metadata?.name ?? '',
        body,
        fieldManager,
      });
    },
    async deleteConfigMap(namespace, name) {
      try {
        await core.deleteNamespacedConfigMap({ namespace, name });
      } catch (error) {
        if (!isKubeStatus(error, KubeStatus.notFound)) throw error;
      }
    },
    async secretKeys(namespace, name) {
      try {
        const secret = await core.readNamespacedSecret({ namespace, name });
        return Object.keys(secret.data ?? {});
      } catch (error) {
        if (isKubeStatus(error, KubeStatus.notFound)) return undefined;
        throw error;
      }
    },
    async listPods(namespace) {
      const pods = await core.listNamespacedPod({ namespace });
      return pods.items;
    },
  };
}

/**
 * Services of every namespace as `ServiceMetadata`: lib/kube's `KubeListWatch` on `/api/v1/services`
 * (paged list, watch bounded by `timeoutSeconds` and a watchdog), trimmed before anything caches it.
 */
export function kubeServiceListWatch(
  core: Pick<KubeCoreApi, 'listServiceForAllNamespaces'>,
  watcher: WatchStarter,
  timers: Timers,
  limits: { readonly watchTimeoutSeconds?: number; readonly pageSize?: number } = {},
): ListWatchApi<ServiceMetadata> {
  const services = new KubeListWatch<ServiceMetadata>({
    path: '/api/v1/services',
    listPage: async (page) => {
      const list = await core.listServiceForAllNamespaces(page);
      return {
        items: list.items.map(serviceMetadata),
        resourceVersion: list.metadata?.resourceVersion,
        continueToken: list.metadata?.continue,
      };
    },
    watcher,
    timers,
    watchTimeoutSeconds: limits.watchTimeoutSeconds,
    pageSize: limits.pageSize,
  });
  return {
    list: () => services.list(),
    watch: (resourceVersion, handlers) =>
      services.watch(resourceVersion, {
        onChange: (change, service) => handlers.onChange(change, serviceMetadata(service)),
        onBookmark: (bookmarked) => handlers.onBookmark(bookmarked),
      }),
  };
}

/** The metadata the informer keeps of a listed or watched Service (the watch hands over whole objects). */
function serviceMetadata(service: {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}): ServiceMetadata {
  const { name = '', namespace = '', resourceVersion } = service.metadata ?? {};
  return { metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) } };
}
