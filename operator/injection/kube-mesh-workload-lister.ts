import { errorMessage, UnavailableError } from '../../lib/errors/accord-error.js';
import type { KubeCustomObjectsApi } from '../../lib/kube/kube-custom-objects-api.js';
import { kubeErrorReason } from '../../lib/kube/kube-errors.js';
import type { Logger } from '../../lib/log/logger.js';
import { type MeshWorkload, parseMeshWorkload } from '../mesh-workload/mesh-workload.js';

/**
 * Lists the MeshWorkloads of a namespace from the API server (on a `KubeClient`, so every call
 * has a deadline). A MeshWorkload that does not parse is left
 * out with a warning: it selects nothing, as the reconcile reports on its status. An API failure
 * throws, and the webhook answers 500 rather than admit a pod it could not decide on.
 */
export function kubeMeshWorkloadLister(
  client: Pick<KubeCustomObjectsApi, 'listNamespacedCustomObject'>,
  logger: Logger,
): (namespace: string) => Promise<MeshWorkload[]> {
  return async (namespace) => {
    let list: unknown;
    try {
      list = await client.listNamespacedCustomObject({
        group: 'accord.dev',
        version: 'v1alpha1',
        namespace,
        plural: 'meshworkloads',
      });
    } catch (error) {
      throw new UnavailableError(`cannot list MeshWorkloads in ${namespace}: ${kubeErrorReason(error)}`);
    }
    const items = (list as { items?: unknown[] } | undefined)?.items ?? [];
    return items.flatMap((item) => {
      try {
        return [parseMeshWorkload(item)];
      } catch (error) {
        logger.warn('MeshWorkload ignored', { namespace, reason: errorMessage(error) });
        return [];
      }
    });
  };
}
