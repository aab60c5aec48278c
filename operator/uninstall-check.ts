import { type CustomResource, KubeCustomResourceApi } from '../lib/kube/custom-resource-api.js';
import { connectKube } from '../lib/kube/kube-client.js';
import { KubeCustomObjectsApi } from '../lib/kube/kube-custom-objects-api.js';
import { trustContractResource } from '../lib/kube/trust-contract-api.js';
import { systemTimers } from '../lib/time/timers.js';
import { meshWorkloadResource } from './mesh-workload/mesh-workload-crd.js';
import { restoreOnDeleteFinalizer } from './mesh-workload/reconcile-mesh-workload.js';
import { revokeOnDeleteFinalizer } from './trust-contract/trust-contract-spec.js';

/** The objects that still carry one of the operator's finalizers, as `name` or `namespace/name`. */
export interface UninstallBlockers {
  readonly trustContracts: readonly string[];
  readonly meshWorkloads: readonly string[];
}

/** Objects of `objects` that carry `finalizer`, named `namespace/name` when namespaced; sorted. */
function finalized(objects: readonly CustomResource[], finalizer: string): string[] {
  return objects
    .filter((object) => object.metadata.finalizers?.includes(finalizer) === true)
    .map(({ metadata }) =>
      metadata.namespace === undefined ? metadata.name : `${metadata.namespace}/${metadata.name}`,
    )
    .sort();
}

/**
 * What stands in the way of uninstalling the operator cleanly: every TrustContract and MeshWorkload
 * that carries its finalizer. Only the running operator can release those finalizers (revoking
 * the zone's consent at the repository, restoring Services), so once it is uninstalled deleting
 * such an object would hang until someone edits the finalizer away by hand.
 */
export function uninstallBlockers(
  trustContracts: readonly CustomResource[],
  meshWorkloads: readonly CustomResource[],
): UninstallBlockers {
  return {
    trustContracts: finalized(trustContracts, revokeOnDeleteFinalizer),
    meshWorkloads: finalized(meshWorkloads, restoreOnDeleteFinalizer),
  };
}

/** The refusal an uninstall gets while blockers remain (what to delete first), or undefined. */
export function uninstallRefusal(blockers: UninstallBlockers): string | undefined {
  const parts = [
    ...(blockers.trustContracts.length === 0 ? [] : [`TrustContracts ${blockers.trustContracts.join(', ')}`]),
    ...(blockers.meshWorkloads.length === 0 ? [] : [`MeshWorkloads ${blockers.meshWorkloads.join(', ')}`]),
  ];
  if (parts.length === 0) return undefined;
  return (
    `not uninstalling: delete ${parts.join(' and ')} first, while the operator runs; ` +
    'their finalizers (revoking the contracts, restoring the Services) need it, and would hang their deletion afterwards'
  );
}

/**
 * Lists the TrustContracts and, when injection is on, the MeshWorkloads of the cluster, and returns
 * the blockers among them. Uses the operator's own rights (list of both, cluster-wide).
 */
export async function findUninstallBlockers(
  kubeconfigPath: string | undefined,
  includesMeshWorkloads: boolean,
): Promise<UninstallBlockers> {
  const kube = connectKube(kubeconfigPath);
  const customObjects = new KubeCustomObjectsApi(kube);
  const list = async (resource: typeof trustContractResource | typeof meshWorkloadResource) =>
    (
      await new KubeCustomResourceApi<CustomResource>({
        resource,
        customObjects,
        watcher: kube,
        timers: systemTimers,
      }).list()
    ).items;
  try {
    return uninstallBlockers(
      await list(trustContractResource),
      includesMeshWorkloads ? await list(meshWorkloadResource) : [],
    );
  } finally {
    kube.close();
  }
}
