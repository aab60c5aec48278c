import type { KubeClient } from './kube-client.js';
import type { NamespacedName } from './kube-core-api.js';
import type { V1Lease } from './kube-objects.js';

function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/**
 * The `coordination.k8s.io/v1` Lease calls of leader election, with the names and parameters of
 * client-node's `CoordinationV1Api`, over a shared `KubeClient`.
 */
export class KubeCoordinationApi {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  readNamespacedLease(call: NamespacedName): Promise<V1Lease> {
    return this.#client.request({ method: 'GET', path: leasePath(call.namespace, call.name) });
  }

  createNamespacedLease(call: { readonly namespace: string; readonly body: V1Lease }): Promise<V1Lease> {
    return this.#client.request({ method: 'POST', path: leasePath(call.namespace), body: call.body });
  }

  /** Replaces the Lease; `body.metadata.resourceVersion` makes it optimistic (409 when it changed). */
  replaceNamespacedLease(call: NamespacedName & { readonly body: V1Lease }): Promise<V1Lease> {
    return this.#client.request({
      method: 'PUT',
      path: leasePath(call.namespace, call.name),
      body: call.body,
    });
  }
}
