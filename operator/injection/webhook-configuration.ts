import { mutatePodsPath } from './webhook-server.js';

/** The namespace label that opts a namespace into injection (and into failurePolicy Fail). */
export const meshNamespaceLabel = { key: 'accord.dev/mesh', value: 'enabled' } as const;

/** The name of the operator's entry in the MutatingWebhookConfiguration's `webhooks`. */
export const injectionWebhookName = 'inject.accord.dev';

/** How the API server reaches the webhook: a Service in the cluster, or a URL (tests, out of cluster). */
export type WebhookClientConfig =
  { service: { namespace: string; name: string; port: number } } | { url: string };

/** What the registration depends on. */
export interface WebhookConfigurationOptions {
  /** The MutatingWebhookConfiguration's name. */
  name: string;
  clientConfig: WebhookClientConfig;
  /** PEM; the operator's certificate manager keeps it current after creation. */
  caBundlePem: string;
  /** Accord's own namespace: excluded like kube-system, whatever its labels. */
  accordNamespace: string;
  /** How long the API server waits for an answer; default 10 s. */
  timeoutSeconds?: number;
}

/**
 * The MutatingWebhookConfiguration of the injection webhook, as plain JSON: pod CREATE in
 * namespaces labelled `accord.dev/mesh=enabled` (never kube-system nor Accord's own namespace, even
 * if labelled), `failurePolicy: Fail`, no side effects. Fail is deliberate: in a mesh namespace a
 * pod admitted without its sidecars would run outside the mesh, unnoticed; refusing it makes the
 * broken webhook visible at once (docs/injection.md). Namespaces without the label never call the
 * webhook, so a broken webhook cannot block the rest of the cluster.
 */
export function injectionWebhookConfiguration(options: WebhookConfigurationOptions): Record<string, unknown> {
  const caBundle = Buffer.from(options.caBundlePem, 'utf8').toString('base64');
  const clientConfig =
    'url' in options.clientConfig
      ? { url: options.clientConfig.url, caBundle }
      : { service: { ...options.clientConfig.service, path: mutatePodsPath }, caBundle };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: options.name, labels: { 'app.kubernetes.io/name': 'accord' } },
    webhooks: [
      {
        name: injectionWebhookName,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        matchPolicy: 'Equivalent',
        reinvocationPolicy: 'Never',
        timeoutSeconds: options.timeoutSeconds ?? 10,
        clientConfig,
        namespaceSelector: {
          matchLabels: { [meshNamespaceLabel.key]: meshNamespaceLabel.value },
          matchExpressions: [
            {
              key: 'kubernetes.io/metadata.name',
              operator: 'NotIn',
              values: ['kube-system', options.accordNamespace],
            },
          ],
        },
        objectSelector: {
          matchExpressions: [{ key: 'accord.dev/inject', operator: 'NotIn', values: ['false'] }],
        },
        rules: [
          {
            operations: ['CREATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
      },
    ],
  };
}
