import {
  AdmissionregistrationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  ServerConfiguration,
  type Configuration,
} from '@kubernetes/client-node';

/**
 * The Kubernetes client configuration of a component: the kubeconfig file its config names (tests,
 * out-of-cluster runs), else the pod's ServiceAccount when running in a cluster, else the usual
 * `$KUBECONFIG` / `~/.kube/config` lookup.
 */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const config = new KubeConfig();
  if (kubeconfigPath !== undefined && kubeconfigPath !== '') config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  return config;
}

/** The deadline of every Kubernetes API call made through `makeKubeApiClient`. */
export const defaultKubeCallTimeoutMs = 10_000;

/**
 * An API client (e.g. `CoreV1Api`) for `config` whose every call is aborted after `timeoutMs`:
 * client-node's own `makeApiClient` sets no deadline, so a hung API server would hang a store
 * or a sync loop forever.
 */
export function makeKubeApiClient<Api>(
  config: KubeConfig,
  apiClientType: new (configuration: Configuration) => Api,
  timeoutMs = defaultKubeCallTimeoutMs,
): Api {
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  return new apiClientType(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: config },
      promiseMiddleware: [
        {
          pre: (context) => {
            context.setSignal(AbortSignal.timeout(timeoutMs));
            return Promise.resolve(context);
          },
          post: (response) => Promise.resolve(response),
        },
      ],
    }),
  );
}

/** A `CoreV1Api` (Secrets, ConfigMaps, …) for the kubeconfig at `kubeconfigPath`, with deadlines. */
export function coreApiClient(kubeconfigPath?: string): CoreV1Api {
  return makeKubeApiClient(loadKubeConfig(kubeconfigPath), CoreV1Api);
}

/** A `CoordinationV1Api` (Leases, for leader election) for the kubeconfig at `kubeconfigPath`, with deadlines. */
export function coordinationApiClient(kubeconfigPath?: string): CoordinationV1Api {
  return makeKubeApiClient(loadKubeConfig(kubeconfigPath), CoordinationV1Api);
}

/**
 * An `AdmissionregistrationV1Api` (MutatingWebhookConfigurations: the injection webhook's
 * `caBundle`) for the kubeconfig at `kubeconfigPath`, with deadlines.
 */
export function admissionRegistrationApiClient(kubeconfigPath?: string): AdmissionregistrationV1Api {
  return makeKubeApiClient(loadKubeConfig(kubeconfigPath), AdmissionregistrationV1Api);
}
