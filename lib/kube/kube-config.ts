import { ApiException, KubeConfig } from '@kubernetes/client-node';

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

/** HTTP status codes the Kubernetes backends branch on. */
export const KubeStatus = {
  notFound: 404,
  /** AlreadyExists on create, or a stale resourceVersion on update. */
  conflict: 409,
} as const;

/** True when `error` is the API server answering with `status` (e.g. `KubeStatus.conflict`). */
export function isKubeStatus(error: unknown, status: number): boolean {
  return error instanceof ApiException && error.code === status;
}
