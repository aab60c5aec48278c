import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubeConfig,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { KubeConflictError, type WatchEnd } from '../../lib/kube/trust-contract-api.js';
import { loadKubeConfig, makeKubeApiClient } from '../../lib/kube/kube-client.js';
import { isKubeStatus, KubeStatus } from '../../lib/kube/kube-errors.js';
import type { Timers } from '../../lib/time/timers.js';
import type { PodJson } from '../injection/inject-pod.js';
import type { ServiceTargetPortDeps } from '../injection/reconcile-service-target-ports.js';
import type { ListWatchApi } from '../resource-informer.js';

/** Where MeshWorkloads are served (crds/accord.dev_meshworkloads.yaml). */
const resourcePath = { group: 'accord.dev', version: 'v1alpha1', plural: 'meshworkloads' } as const;

/** A MeshWorkload as the API server returns it; spec and status stay plain JSON for the parsers. */
export interface MeshWorkloadResource {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    finalizers?: string[];
    deletionTimestamp?: string;
    [field: string]: unknown;
  };
  spec?: unknown;
  status?: unknown;
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
  /** The clients the Service target-port reconcile takes. */
  readonly core: ServiceTargetPortDeps['core'];
}

const fieldManager = 'accord-operator';
/** How long past `timeoutSeconds` a watch may stay open before the client gives up on the server. */
const watchGraceMs = 30_000;
const watchTimeoutSeconds = 300;

/**
 * The MeshWorkload controller's Kubernetes calls for the cluster of `kubeconfigPath`, every call
 * with a deadline (lib/kube's `makeKubeApiClient`); the watch is bounded by its `timeoutSeconds`
 * and a watchdog instead. Mirrors lib/kube's `KubeTrustContractApi` for a namespaced resource.
 */
export function kubeMeshWorkloadApi(
  kubeconfigPath: string | undefined,
  timers: Timers,
  kubeConfig: KubeConfig = loadKubeConfig(kubeconfigPath),
): MeshWorkloadKubeApi {
  const customObjects = makeKubeApiClient(kubeConfig, CustomObjectsApi);
  const core = makeKubeApiClient(kubeConfig, CoreV1Api);
  const watcher = new Watch(kubeConfig);

  const patch = async (
    object: MeshWorkloadResource,
    body: readonly object[],
    target: 'object' | 'status',
  ): Promise<MeshWorkloadResource> => {
    const request = {
      ...resourcePath,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      body,
    };
    const options = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
    try {
      return (await (target === 'status'
        ? customObjects.patchNamespacedCustomObjectStatus(request, options)
        : customObjects.patchNamespacedCustomObject(request, options))) as MeshWorkloadResource;
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.conflict) || isKubeStatus(error, 422)) {
        throw new KubeConflictError(
          `MeshWorkload ${object.metadata.namespace}/${object.metadata.name} changed since resourceVersion ${String(object.metadata.resourceVersion)}`,
          { cause: error },
        );
      }
      throw error;
    }
  };

  return {
    core,
    async list() {
      const items: MeshWorkloadResource[] = [];
      let continueToken: string | undefined;
      let resourceVersion = '';
      do {
        const page = (await customObjects.listClusterCustomObject({
          ...resourcePath,
          limit: 500,
          ...(continueToken === undefined ? {} : { _continue: continueToken }),
        })) as { items?: MeshWorkloadResource[]; metadata?: { resourceVersion?: string; continue?: string } };
        items.push(...(page.items ?? []));
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        continueToken = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
      } while (continueToken !== undefined);
      return { items, resourceVersion };
    },

    watch(resourceVersion, handlers) {
      let controller: AbortController | undefined;
      let isStopped = false;
      let finish: (end: WatchEnd) => void = () => undefined;
      const ended = new Promise<WatchEnd>((resolve) => {
        finish = (end) => {
          timers.clearTimeout(watchdog);
          finish = () => undefined;
          controller?.abort();
          resolve(isStopped ? { kind: 'stopped' } : end);
        };
      });
      const onLine = (type: string, object: unknown): void => {
        if (type === 'ERROR') {
          finish(
            isGone(object)
              ? { kind: 'expired' }
              : { kind: 'failed', error: new Error(`watch error: ${JSON.stringify(object)}`) },
          );
          return;
        }
        const resource = object as MeshWorkloadResource;
        if (typeof resource.metadata !== 'object') return;
        if (type === 'BOOKMARK') {
          if (resource.metadata.resourceVersion !== undefined)
            handlers.onBookmark(resource.metadata.resourceVersion);
          return;
        }
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') handlers.onChange(type, resource);
      };
      const onDone = (error: unknown): void => {
        if (error === null || error === undefined) finish({ kind: 'closed' });
        else finish(isGone(error) ? { kind: 'expired' } : { kind: 'failed', error });
      };
      const watchdog = timers.setTimeout(
        () => finish({ kind: 'failed', error: new Error('watch outlived its timeoutSeconds') }),
        watchTimeoutSeconds * 1000 + watchGraceMs,
      );
      watcher
        .watch(
          `/apis/${resourcePath.group}/${resourcePath.version}/${resourcePath.plural}`,
          { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds },
          onLine,
          onDone,
        )
        .then(
          (started) => {
            controller = started;
            if (isStopped) started.abort();
          },
          (error: unknown) => finish({ kind: 'failed', error }),
        );
      return {
        ended,
        stop: () => {
          isStopped = true;
          finish({ kind: 'stopped' });
        },
      };
    },

    replaceStatus: (object, status) =>
      patch(
        object,
        [
          { op: 'test', path: '/metadata/resourceVersion', value: object.metadata.resourceVersion },
          { op: 'add', path: '/status', value: status },
        ],
        'status',
      ),

    async addFinalizer(object, finalizer) {
      const current = object.metadata.finalizers;
      if (current?.includes(finalizer) === true) return object;
      return patch(
        object,
        current === undefined
          ? [
              { op: 'test', path: '/metadata/resourceVersion', value: object.metadata.resourceVersion },
              { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
            ]
          : [
              { op: 'test', path: '/metadata/finalizers', value: current },
              { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
            ],
        'object',
      );
    },

    async removeFinalizer(object, finalizer) {
      const current = object.metadata.finalizers ?? [];
      const index = current.indexOf(finalizer);
      if (index < 0) return;
      try {
        await patch(
          object,
          [
            { op: 'test', path: '/metadata/finalizers', value: current },
            { op: 'remove', path: `/metadata/finalizers/${String(index)}` },
          ],
          'object',
        );
      } catch (error) {
        if (!isKubeStatus(error, KubeStatus.notFound)) throw error;
      }
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
      return pods.items as unknown as PodJson[];
    },
  };
}

/** 410 Gone, as an HTTP status (client-node's watch error) or as the watch's ERROR Status object. */
function isGone(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { code, statusCode } = value as { code?: unknown; statusCode?: unknown };
  return code === 410 || statusCode === 410;
}
