import type { KubeClient } from './kube-client.js';
import { listQuery, type ListOptions } from './kube-core-api.js';

/** Which custom resource: its API group, version and plural. */
export interface CustomResourcePath {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}

/** A JSON patch (RFC 6902) of one object, cluster-scoped or in `namespace`. */
export interface CustomObjectPatch extends CustomResourcePath {
  readonly name: string;
  readonly body: readonly object[];
}

/** `/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>[/<subresource>]]`, each segment encoded. */
export function customObjectPath(
  resource: CustomResourcePath,
  where: { readonly namespace?: string; readonly name?: string; readonly subresource?: string } = {},
): string {
  const segments = [resource.group, resource.version];
  if (where.namespace !== undefined) segments.push('namespaces', where.namespace);
  segments.push(resource.plural);
  if (where.name !== undefined) segments.push(where.name);
  if (where.subresource !== undefined) segments.push(where.subresource);
  return `/apis/${segments.map(encodeURIComponent).join('/')}`;
}

const jsonPatch = 'application/json-patch+json';

/**
 * The custom resource calls Accord makes (TrustContracts, MeshWorkloads), with the names and
 * parameters of client-node's `CustomObjectsApi`, over a shared `KubeClient`. Objects stay plain
 * JSON for the component's own parser. Patches are JSON patches, the only kind Accord writes
 * (strategic merge does not apply to custom resources).
 */
export class KubeCustomObjectsApi {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  listClusterCustomObject(call: CustomResourcePath & ListOptions): Promise<unknown> {
    return this.#client.request({ method: 'GET', path: customObjectPath(call), query: listQuery(call) });
  }

  listNamespacedCustomObject(
    call: CustomResourcePath & { readonly namespace: string } & ListOptions,
  ): Promise<unknown> {
    return this.#client.request({
      method: 'GET',
      path: customObjectPath(call, { namespace: call.namespace }),
      query: listQuery(call),
    });
  }

  patchClusterCustomObject(call: CustomObjectPatch): Promise<unknown> {
    return this.#patch(customObjectPath(call, { name: call.name }), call.body);
  }

  patchClusterCustomObjectStatus(call: CustomObjectPatch): Promise<unknown> {
    return this.#patch(customObjectPath(call, { name: call.name, subresource: 'status' }), call.body);
  }

  patchNamespacedCustomObject(call: CustomObjectPatch & { readonly namespace: string }): Promise<unknown> {
    return this.#patch(customObjectPath(call, { namespace: call.namespace, name: call.name }), call.body);
  }

  patchNamespacedCustomObjectStatus(
    call: CustomObjectPatch & { readonly namespace: string },
  ): Promise<unknown> {
    return this.#patch(
      customObjectPath(call, { namespace: call.namespace, name: call.name, subresource: 'status' }),
      call.body,
    );
  }

  #patch(path: string, body: readonly object[]): Promise<unknown> {
    return this.#client.request({ method: 'PATCH', path, body, contentType: jsonPatch });
  }
}
