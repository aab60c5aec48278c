import { isDeepStrictEqual } from 'node:util';
import { errorMessage } from '../../lib/errors/accord-error.js';
import type { Logger } from '../../lib/log/logger.js';
import type { Clock } from '../../lib/time/clock.js';
import { injectedAnnotation, meshWorkloadAnnotation, sidecarConfigMapName } from '../injection/inject-pod.js';
import { type MeshWorkload, parseMeshWorkload, selectorMatches } from './mesh-workload.js';
import { reconcileServiceTargetPorts } from './reconcile-service-target-ports.js';
import { workloadSecretFiles } from '../injection/workload-secret-files.js';
import type { ConfigMapJson, MeshWorkloadKubeApi, MeshWorkloadResource } from './kube-mesh-workload-api.js';
import {
  desiredMeshWorkloadStatus,
  type MeshWorkloadObservation,
  meshWorkloadReasons,
  meshWorkloadStatusChanged,
  readMeshWorkloadStatus,
} from './mesh-workload-status.js';
import { activePartnerZones, routedZones, type RemoteZoneAddress } from './partner-zones.js';
import { renderSidecarConfig, type SidecarConfigSettings } from './sidecar-config.js';

/**
 * Holds a MeshWorkload until its Services point back at the application port (and its sidecar
 * ConfigMap is gone): only the operator knows which target ports it changed.
 */
export const restoreOnDeleteFinalizer = 'accord.dev/restore-services';

/** Labels of every sidecar ConfigMap: who manages it and for which workload. */
export const sidecarConfigLabels = (workloadName: string): Record<string, string> => ({
  'app.kubernetes.io/managed-by': 'accord-operator',
  'app.kubernetes.io/component': 'sidecar-config',
  'accord.dev/mesh-workload': workloadName,
});

export interface MeshWorkloadReconcilerDeps {
  api: MeshWorkloadKubeApi;
  /** The cached TrustContracts (the controller's informer). */
  trustContracts: () => readonly { spec?: unknown; status?: unknown }[];
  /** The valid, not deleting MeshWorkloads of a namespace (the controller's informer). */
  meshWorkloadsOf: (namespace: string) => MeshWorkload[];
  settings: SidecarConfigSettings;
  remoteZones: readonly RemoteZoneAddress[];
  clock: Clock;
  logger: Logger;
}

/** What the controller does after a reconcile: nothing, or come back later (a conflict). */
export interface MeshWorkloadReconcileResult {
  requeue: boolean;
}

/**
 * Level-triggered reconcile of one MeshWorkload:
 *
 * - deleting: restore the namespace's Service target ports without it, delete its ConfigMap (the
 *   owner reference would too, through the garbage collector), then release the finalizer;
 * - otherwise: finalizer first (before any Service can be redirected), parse the spec (invalid →
 *   `Ready False InvalidSpec`, nothing written but the status), check the Secrets it names
 *   (missing → `SecretMissing`, nothing rendered), render ConfigMap `accord-sidecar-<name>` and
 *   write it only when its data, labels or owner differ, count the injected pods, write the status
 *   only when it changed, and reconcile the namespace's Service target ports.
 *
 * A steady state makes no write.
 */
export async function reconcileMeshWorkload(
  resource: MeshWorkloadResource,
  deps: MeshWorkloadReconcilerDeps,
): Promise<MeshWorkloadReconcileResult> {
  const { api, logger } = deps;
  const { namespace, name } = resource.metadata;
  if (resource.metadata.deletionTimestamp !== undefined) {
    if (!(resource.metadata.finalizers ?? []).includes(restoreOnDeleteFinalizer)) return { requeue: false };
    const services = await serviceTargetPorts(namespace, deps, name);
    if (services.conflicted.length > 0) return { requeue: true };
    await api.deleteConfigMap(namespace, sidecarConfigMapName(name));
    await api.removeFinalizer(resource, restoreOnDeleteFinalizer);
    logger.info('MeshWorkload released', { namespace, meshWorkload: name, restored: services.restored });
    return { requeue: false };
  }
  const object = await api.addFinalizer(resource, restoreOnDeleteFinalizer);
  const generation = object.metadata.generation ?? 0;
  const observation = await observe(object, deps);
  const previous = readMeshWorkloadStatus(object.status);
  const status = desiredMeshWorkloadStatus({ generation, ...observation }, previous, deps.clock.now());
  if (meshWorkloadStatusChanged(previous, status)) {
    await api.replaceStatus(object, status);
    logger.info('MeshWorkload status', {
      namespace,
      meshWorkload: name,
      ready: observation.ready,
      reason: observation.reason,
    });
  }
  const services = await serviceTargetPorts(namespace, deps);
  return { requeue: services.conflicted.length > 0 };
}

async function observe(
  object: MeshWorkloadResource,
  deps: MeshWorkloadReconcilerDeps,
): Promise<Omit<MeshWorkloadObservation, 'generation'>> {
  let workload: MeshWorkload;
  try {
    workload = parseMeshWorkload(object);
  } catch (error) {
    return {
      injectedPods: 0,
      ready: false,
      reason: meshWorkloadReasons.invalidSpec,
      message: errorMessage(error),
    };
  }
  const injectedPods = await countInjectedPods(workload, deps.api);
  for (const file of workloadSecretFiles(workload)) {
    const keys = await deps.api.secretKeys(workload.namespace, file.secretName);
    if (keys?.includes(file.key) !== true) {
      return {
        injectedPods,
        ready: false,
        reason: meshWorkloadReasons.secretMissing,
        message:
          keys === undefined
            ? `Secret ${file.secretName} does not exist`
            : `Secret ${file.secretName} has no key ${file.key}`,
      };
    }
  }
  const partners = activePartnerZones(deps.trustContracts(), deps.settings.zoneTrustDomain, deps.remoteZones);
  const routes = routedZones(deps.remoteZones, deps.settings.zoneTrustDomain);
  await applyConfigMap(object, renderSidecarConfig(workload, routes, deps.settings), deps);
  const unaddressed =
    partners.unaddressed.length === 0
      ? ''
      : `; Active partners without an address in injection.remoteZones: ${partners.unaddressed.join(', ')}`;
  if (partners.zones.length === 0) {
    return {
      injectedPods,
      ready: false,
      reason: meshWorkloadReasons.noActiveContracts,
      message: `sidecar config rendered, but no partner zone to call or be called from${unaddressed}`,
    };
  }
  return {
    injectedPods,
    ready: true,
    reason: meshWorkloadReasons.configRendered,
    message: `sidecar config rendered for ${partners.zones.map((zone) => zone.trustDomain).join(', ')}${unaddressed}`,
  };
}

/** Pods of the namespace the workload selects that carry its sidecars. */
async function countInjectedPods(workload: MeshWorkload, api: MeshWorkloadKubeApi): Promise<number> {
  const pods = await api.listPods(workload.namespace);
  return pods.filter((pod) => {
    const annotations = pod.metadata?.annotations ?? {};
    return (
      annotations[meshWorkloadAnnotation] === workload.name &&
      annotations[injectedAnnotation] !== undefined &&
      selectorMatches(workload.selector, pod.metadata?.labels ?? {})
    );
  }).length;
}

/** Creates or replaces the sidecar ConfigMap when it differs from `data`; a steady state writes nothing. */
async function applyConfigMap(
  object: MeshWorkloadResource,
  data: Record<string, string>,
  deps: MeshWorkloadReconcilerDeps,
): Promise<void> {
  const { namespace, name, uid } = object.metadata;
  const configMapName = sidecarConfigMapName(name);
  const labels = sidecarConfigLabels(name);
  const ownerReferences = [
    {
      apiVersion: 'accord.dev/v1alpha1',
      kind: 'MeshWorkload',
      name,
      uid: uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  const current = await deps.api.readConfigMap(namespace, configMapName);
  if (current === undefined) {
    await deps.api.createConfigMap(namespace, {
      metadata: { name: configMapName, namespace, labels, ownerReferences },
      data,
    });
    deps.logger.info('sidecar ConfigMap created', { namespace, configMap: configMapName });
    return;
  }
  const currentLabels = current.metadata?.labels ?? {};
  const isCurrent =
    isDeepStrictEqual(current.data ?? {}, data) &&
    Object.entries(labels).every(([key, value]) => currentLabels[key] === value) &&
    isDeepStrictEqual(
      (current.metadata?.ownerReferences ?? []).map((owner) => owner.uid),
      ownerReferences.map((owner) => owner.uid),
    );
  if (isCurrent) return;
  // Written back with the resourceVersion read: a concurrent change is a 409, retried.
  const replaced: ConfigMapJson = {
    metadata: {
      name: configMapName,
      namespace,
      ...(current.metadata?.resourceVersion === undefined
        ? {}
        : { resourceVersion: current.metadata.resourceVersion }),
      ...(current.metadata?.annotations === undefined ? {} : { annotations: current.metadata.annotations }),
      labels: { ...currentLabels, ...labels },
      ownerReferences,
    },
    data,
  };
  await deps.api.replaceConfigMap(namespace, replaced);
  deps.logger.info('sidecar ConfigMap updated', { namespace, configMap: configMapName });
}

/** The namespace's Service target ports, with the valid workloads minus `leaving`. */
async function serviceTargetPorts(namespace: string, deps: MeshWorkloadReconcilerDeps, leaving?: string) {
  return reconcileServiceTargetPorts(namespace, {
    core: deps.api.core,
    listMeshWorkloads: (listed) =>
      Promise.resolve(deps.meshWorkloadsOf(listed).filter((workload) => workload.name !== leaving)),
    inboundPort: deps.settings.envoy.inboundPort,
    logger: deps.logger,
  });
}
