import type { KubeClient, KubeQueryValue } from './kube-client.js';
import type {
  CoreV1Event,
  V1ConfigMap,
  V1ConfigMapList,
  V1DeleteOptions,
  V1PodList,
  V1Secret,
  V1SecretList,
  V1Service,
  V1ServiceList,
} from './kube-objects.js';

/** A namespaced object's address. */
export interface NamespacedName {
  readonly namespace: string;
  readonly name: string;
}

/** Options of a list call: a label selector and a page. */
export interface ListOptions {
  readonly labelSelector?: string;
  /** Items per page; the answer's `metadata.continue` names the next page. */
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
}

/** Options of a write: the field manager recorded in `managedFields`. */
export interface WriteOptions {
  readonly fieldManager?: string;
}

/** `/api/v1/namespaces/<ns>/<resource>[/<name>]`, each segment encoded. */
export function corePath(resource: string, namespace?: string, name?: string): string {
  const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `/api/v1${scope}/${resource}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

/** The query of a list call. */
export function listQuery(options: ListOptions): Record<string, KubeQueryValue> {
  return {
    labelSelector: options.labelSelector,
    limit: options.limit,
    continue: options.continue,
    resourceVersion: options.resourceVersion,
  };
}

/**
 * The core/v1 calls Accord makes (Secrets, ConfigMaps, Events, Services, Pods), with the names
 * and parameters of client-node's `CoreV1Api`, over a shared `KubeClient`. Components take
 * `Pick<KubeCoreApi, …>` of the calls they make, so tests can wrap a real one.
 */
export class KubeCoreApi {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  readNamespacedSecret(call: NamespacedName): Promise<V1Secret> {
    return this.#client.request({ method: 'GET', path: corePath('secrets', call.namespace, call.name) });
  }

  listNamespacedSecret(call: { readonly namespace: string } & ListOptions): Promise<V1SecretList> {
    return this.#client.request({
      method: 'GET',
      path: corePath('secrets', call.namespace),
      query: listQuery(call),
    });
  }

  createNamespacedSecret(
    call: { readonly namespace: string; readonly body: V1Secret } & WriteOptions,
  ): Promise<V1Secret> {
    return this.#write('POST', corePath('secrets', call.namespace), call.body, call);
  }

  /** Replaces the Secret; with `body.metadata.resourceVersion` set, only that version (409 otherwise). */
  replaceNamespacedSecret(
    call: NamespacedName & { readonly body: V1Secret } & WriteOptions,
  ): Promise<V1Secret> {
    return this.#write('PUT', corePath('secrets', call.namespace, call.name), call.body, call);
  }

  deleteNamespacedSecret(call: NamespacedName & { readonly body?: V1DeleteOptions }): Promise<unknown> {
    return this.#delete(corePath('secrets', call.namespace, call.name), call.body);
  }

  readNamespacedConfigMap(call: NamespacedName): Promise<V1ConfigMap> {
    return this.#client.request({ method: 'GET', path: corePath('configmaps', call.namespace, call.name) });
  }

  listNamespacedConfigMap(call: { readonly namespace: string } & ListOptions): Promise<V1ConfigMapList> {
    return this.#client.request({
      method: 'GET',
      path: corePath('configmaps', call.namespace),
      query: listQuery(call),
    });
  }

  createNamespacedConfigMap(
    call: { readonly namespace: string; readonly body: V1ConfigMap } & WriteOptions,
  ): Promise<V1ConfigMap> {
    return this.#write('POST', corePath('configmaps', call.namespace), call.body, call);
  }

  /** Replaces the ConfigMap; with `body.metadata.resourceVersion` set, only that version (409 otherwise). */
  replaceNamespacedConfigMap(
    call: NamespacedName & { readonly body: V1ConfigMap } & WriteOptions,
  ): Promise<V1ConfigMap> {
    return this.#write('PUT', corePath('configmaps', call.namespace, call.name), call.body, call);
  }

  deleteNamespacedConfigMap(call: NamespacedName & { readonly body?: V1DeleteOptions }): Promise<unknown> {
    return this.#delete(corePath('configmaps', call.namespace, call.name), call.body);
  }

  createNamespacedEvent(call: {
    readonly namespace: string;
    readonly body: CoreV1Event;
  }): Promise<CoreV1Event> {
    return this.#write('POST', corePath('events', call.namespace), call.body, {});
  }

  listNamespacedService(call: { readonly namespace: string } & ListOptions): Promise<V1ServiceList> {
    return this.#client.request({
      method: 'GET',
      path: corePath('services', call.namespace),
      query: listQuery(call),
    });
  }

  listServiceForAllNamespaces(call: ListOptions): Promise<V1ServiceList> {
    return this.#client.request({ method: 'GET', path: corePath('services'), query: listQuery(call) });
  }

  /** Replaces the Service; with `body.metadata.resourceVersion` set, only that version (409 otherwise). */
  replaceNamespacedService(
    call: NamespacedName & { readonly body: V1Service } & WriteOptions,
  ): Promise<V1Service> {
    return this.#write('PUT', corePath('services', call.namespace, call.name), call.body, call);
  }

  listNamespacedPod(call: { readonly namespace: string } & ListOptions): Promise<V1PodList> {
    return this.#client.request({
      method: 'GET',
      path: corePath('pods', call.namespace),
      query: listQuery(call),
    });
  }

  #write<T>(method: 'POST' | 'PUT', path: string, body: T, options: WriteOptions): Promise<T> {
    return this.#client.request({ method, path, body, query: { fieldManager: options.fieldManager } });
  }

  #delete(path: string, body: V1DeleteOptions | undefined): Promise<unknown> {
    return this.#client.request({ method: 'DELETE', path, ...(body === undefined ? {} : { body }) });
  }
}
