import { errorMessage } from '../../lib/errors/accord-error.js';
import { isKubeStatus, KubeStatus } from '../../lib/kube/kube-errors.js';
import { KubeConflictError } from '../../lib/kube/custom-resource-api.js';
import type { TrustContractResource } from '../../lib/kube/trust-contract-api.js';
import type { Logger } from '../../lib/log/logger.js';
import type { BackoffPolicy } from '../../lib/time/backoff.js';
import type { Clock } from '../../lib/time/clock.js';
import type { TimerHandle, Timers } from '../../lib/time/timers.js';
import { type MeshWorkload, parseMeshWorkload } from './mesh-workload.js';
import { type ListWatchApi, ResourceInformer } from '../../lib/kube/resource-informer.js';
import { WorkQueue, type WorkResult } from '../../lib/kube/work-queue.js';
import type { MeshWorkloadKubeApi, MeshWorkloadResource, ServiceMetadata } from './kube-mesh-workload-api.js';
import type { RemoteZoneAddress } from './partner-zones.js';
import { reconcileMeshWorkload } from './reconcile-mesh-workload.js';
import type { SidecarConfigSettings } from './sidecar-config.js';

export interface MeshWorkloadControllerOptions {
  readonly api: MeshWorkloadKubeApi;
  /** TrustContracts: their Active partner zones go into every workload's sidecar config. */
  readonly trustContracts: ListWatchApi<TrustContractResource>;
  readonly settings: SidecarConfigSettings;
  readonly remoteZones: readonly RemoteZoneAddress[];
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /**
   * How often every MeshWorkload is reconciled again: pods are not watched (a cluster-wide pod
   * watch is costly), so the injected-pod count, and the target ports while pods turn injected,
   * follow them at this pace.
   */
  readonly resyncIntervalMs: number;
  readonly backoff: BackoffPolicy;
  readonly random?: () => number;
}

/**
 * The MeshWorkload controller's runtime: an informer over MeshWorkloads (every namespace) feeds a
 * work queue keyed `namespace/name`; a second informer over TrustContracts requeues every workload
 * when a contract changes, so a partner zone turning Active (or leaving) re-renders the sidecar
 * configs; a third over Services (every namespace, metadata only) requeues the workloads of a
 * Service's namespace when it is created, changed or deleted, so its target ports follow at once
 * (the controller's own Service writes come back this way too, and find nothing left to change).
 * Runs only while the replica leads (start-operator.ts), since it writes.
 */
export class MeshWorkloadController {
  readonly #options: MeshWorkloadControllerOptions;
  readonly #workloads: ResourceInformer<MeshWorkloadResource>;
  readonly #contracts: ResourceInformer<TrustContractResource>;
  readonly #services: ResourceInformer<ServiceMetadata>;
  readonly #queue: WorkQueue;
  #resync: TimerHandle | undefined;
  #isStopped = false;

  constructor(options: MeshWorkloadControllerOptions) {
    this.#options = options;
    const shared = {
      backoff: options.backoff,
      timers: options.timers,
      logger: options.logger,
      ...(options.random === undefined ? {} : { random: options.random }),
    };
    this.#queue = new WorkQueue({
      ...shared,
      handler: (key, failedAttempts) => this.#process(key, failedAttempts),
      clock: options.clock,
    });
    this.#workloads = new ResourceInformer({
      ...shared,
      api: options.api,
      kind: 'MeshWorkload',
      onChange: (key) => this.#queue.add(key),
    });
    this.#contracts = new ResourceInformer({
      ...shared,
      api: options.trustContracts,
      kind: 'TrustContract',
      onChange: () => this.#requeueAll(),
    });
    this.#services = new ResourceInformer({
      ...shared,
      api: options.api.services,
      kind: 'Service',
      onChange: (key) => this.#requeueNamespace(key),
    });
  }

  /** Starts the informers and the periodic resync. */
  start(): void {
    this.#options.logger.info('MeshWorkload controller started', {
      resyncIntervalMs: this.#options.resyncIntervalMs,
    });
    this.#contracts.start();
    this.#workloads.start();
    this.#services.start();
    this.#scheduleResync();
  }

  /** True once every informer listed once. */
  hasSynced(): boolean {
    return this.#workloads.hasSynced() && this.#contracts.hasSynced() && this.#services.hasSynced();
  }

  /** Stops the watches, the resync and the queue, waiting for reconciles in flight. */
  async stop(): Promise<void> {
    if (this.#isStopped) return;
    this.#isStopped = true;
    if (this.#resync !== undefined) this.#options.timers.clearTimeout(this.#resync);
    await Promise.all([
      this.#workloads.stop(),
      this.#contracts.stop(),
      this.#services.stop(),
      this.#queue.stop(),
    ]);
    this.#options.logger.info('MeshWorkload controller stopped', {});
  }

  #requeueAll(): void {
    // Before the TrustContracts are listed, every workload would render without its partners.
    if (!this.#contracts.hasSynced()) return;
    for (const key of this.#workloads.keys()) this.#queue.add(key);
  }

  /** Queues the MeshWorkloads of the namespace of `serviceKey` (`namespace/name`). */
  #requeueNamespace(serviceKey: string): void {
    const prefix = `${serviceKey.slice(0, serviceKey.indexOf('/'))}/`;
    for (const key of this.#workloads.keys()) if (key.startsWith(prefix)) this.#queue.add(key);
  }

  #scheduleResync(): void {
    if (this.#isStopped) return;
    this.#resync = this.#options.timers.setTimeout(() => {
      this.#requeueAll();
      this.#scheduleResync();
    }, this.#options.resyncIntervalMs);
  }

  async #process(key: string, failedAttempts: number): Promise<WorkResult> {
    const cached = this.#workloads.get(key);
    if (cached === undefined) {
      this.#queue.forget(key);
      return {};
    }
    if (!this.#contracts.hasSynced()) return { requeueAfterMs: this.#options.backoff.initialDelayMs };
    const logger = this.#options.logger.child({ meshWorkload: key });
    try {
      const result = await reconcileMeshWorkload(cached, {
        api: this.#options.api,
        trustContracts: () => this.#contracts.values(),
        meshWorkloadsOf: (namespace) => this.#validWorkloads(namespace),
        settings: this.#options.settings,
        remoteZones: this.#options.remoteZones,
        clock: this.#options.clock,
        logger,
      });
      return result.requeue ? { requeueAfterMs: this.#options.backoff.initialDelayMs } : {};
    } catch (error) {
      if (!(error instanceof KubeConflictError) && !isKubeStatus(error, KubeStatus.conflict)) throw error;
      // A newer version is on its way through the watch; try again shortly with it.
      logger.debug('changed during reconcile', { error: errorMessage(error), failedAttempts });
      return { requeueAfterMs: this.#options.backoff.initialDelayMs };
    }
  }

  /** The namespace's MeshWorkloads that select pods: parsed, not being deleted. */
  #validWorkloads(namespace: string): MeshWorkload[] {
    return this.#workloads.values().flatMap((resource) => {
      if (resource.metadata.namespace !== namespace || resource.metadata.deletionTimestamp !== undefined)
        return [];
      try {
        return [parseMeshWorkload(resource)];
      } catch {
        return [];
      }
    });
  }
}
