import {
  ApiException,
  createConfiguration,
  KubeConfig,
  ServerConfiguration,
  type Configuration,
} from '@kubernetes/client-node';

/** A kubeconfig loaded by `@kubernetes/client-node`, for tests that set a cluster up with it. */
export function clientNodeConfig(kubeconfigPath: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return config;
}

/**
 * A `@kubernetes/client-node` API client (e.g. `CoreV1Api`, `RbacAuthorizationV1Api`) for the
 * kubeconfig at `kubeconfigPath`, whose calls are aborted after `timeoutMs`. Tests set clusters up
 * and read what Accord wrote with it: a second, independent client beside Accord's own
 * (`lib/kube/kube-client.ts`), which the product code uses and which has no calls for RBAC,
 * namespaces or pods.
 */
export function clientNodeApi<Api>(
  kubeconfigPath: string,
  apiClientType: new (configuration: Configuration) => Api,
  timeoutMs = 10_000,
): Api {
  const config = clientNodeConfig(kubeconfigPath);
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error(`${kubeconfigPath} has no current cluster`);
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

/** True when a client-node call failed with the API server answering `status` (client-node's `isKubeStatus`). */
export function isClientNodeStatus(error: unknown, status: number): boolean {
  return error instanceof ApiException && error.code === status;
}
