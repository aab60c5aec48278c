import { UnavailableError } from '../../lib/errors/accord-error.js';
import type { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { isKubeStatus, kubeErrorReason, KubeStatus } from '../../lib/kube/kube-errors.js';
import type { Logger } from '../../lib/log/logger.js';
import type { PodJson } from '../injection/inject-pod.js';
import type { MeshWorkload } from './mesh-workload.js';
import { serviceTargetPortChange } from './service-target-port.js';

/** What the target-port reconcile reads and writes; the clients come from lib/kube's factories. */
export interface ServiceTargetPortDeps {
  core: Pick<KubeCoreApi, 'listNamespacedService' | 'listNamespacedPod' | 'replaceNamespacedService'>;
  listMeshWorkloads: (namespace: string) => Promise<MeshWorkload[]>;
  /** Envoy's inbound listener port (the injection settings' `envoy.inboundPort`). */
  inboundPort: number;
  logger: Logger;
}

/** The Services a reconcile changed, by name. */
export interface ServiceTargetPortResult {
  redirected: string[];
  restored: string[];
  /** Changed by somebody else between list and write: left for the next reconcile. */
  conflicted: string[];
}

const fieldManager = 'accord-operator';

/**
 * Reconciles the target ports of every Service of `namespace` with `serviceTargetPortChange`:
 * list Services, pods and MeshWorkloads, then replace each Service that must change, with the
 * resourceVersion it was listed with (a concurrent change is a 409, left for the next run). A
 * steady state writes nothing. Meant to be triggered by MeshWorkload, Service and pod events
 * and a periodic resync (that trigger loop is not built yet, see docs/injection.md).
 */
export async function reconcileServiceTargetPorts(
  namespace: string,
  deps: ServiceTargetPortDeps,
): Promise<ServiceTargetPortResult> {
  const [services, pods, meshWorkloads] = await Promise.all([
    deps.core.listNamespacedService({ namespace }).catch((error: unknown) => {
      throw new UnavailableError(`cannot list Services in ${namespace}: ${kubeErrorReason(error)}`);
    }),
    deps.core.listNamespacedPod({ namespace }).catch((error: unknown) => {
      throw new UnavailableError(`cannot list pods in ${namespace}: ${kubeErrorReason(error)}`);
    }),
    deps.listMeshWorkloads(namespace),
  ]);
  const podJson = pods.items as unknown as PodJson[];
  const result: ServiceTargetPortResult = { redirected: [], restored: [], conflicted: [] };
  for (const service of services.items) {
    const name = service.metadata?.name ?? '';
    const change = serviceTargetPortChange(service, meshWorkloads, podJson, deps.inboundPort);
    if (change.action === 'none') continue;
    if (service.metadata === undefined || service.spec === undefined) continue;
    service.metadata.annotations = change.annotations;
    service.spec.ports = change.ports;
    try {
      await deps.core.replaceNamespacedService({ name, namespace, fieldManager, body: service });
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.conflict)) {
        result.conflicted.push(name);
        continue;
      }
      throw new UnavailableError(`cannot update Service ${namespace}/${name}: ${kubeErrorReason(error)}`);
    }
    deps.logger.info(
      change.action === 'redirect' ? 'service redirected to envoy' : 'service target port restored',
      {
        namespace,
        service: name,
        ...(change.meshWorkload === undefined ? {} : { meshWorkload: change.meshWorkload }),
      },
    );
    (change.action === 'redirect' ? result.redirected : result.restored).push(name);
  }
  return result;
}
