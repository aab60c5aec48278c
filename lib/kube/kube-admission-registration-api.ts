import type { KubeClient } from './kube-client.js';
import type { WriteOptions } from './kube-core-api.js';
import type { V1MutatingWebhookConfiguration } from './kube-objects.js';

function configurationPath(name: string): string {
  return `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(name)}`;
}

/**
 * The `admissionregistration.k8s.io/v1` calls of the injection webhook (keeping its `caBundle`
 * current), with the names and parameters of client-node's `AdmissionregistrationV1Api`.
 */
export class KubeAdmissionRegistrationApi {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  readMutatingWebhookConfiguration(call: { readonly name: string }): Promise<V1MutatingWebhookConfiguration> {
    return this.#client.request({ method: 'GET', path: configurationPath(call.name) });
  }

  /** Replaces the configuration; `body.metadata.resourceVersion` makes it optimistic (409 when it changed). */
  replaceMutatingWebhookConfiguration(
    call: { readonly name: string; readonly body: V1MutatingWebhookConfiguration } & WriteOptions,
  ): Promise<V1MutatingWebhookConfiguration> {
    return this.#client.request({
      method: 'PUT',
      path: configurationPath(call.name),
      body: call.body,
      query: { fieldManager: call.fieldManager },
    });
  }
}
