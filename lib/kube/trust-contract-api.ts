import type { Clock } from '../time/clock.js';
import {
  KubeCustomResourceApi,
  type CustomResource,
  type CustomResourceDefinition,
  type CustomResourceList,
  type KubeCustomResourceApiOptions,
} from './custom-resource-api.js';
import type { KubeClient } from './kube-client.js';
import { KubeCoreApi } from './kube-core-api.js';
import { KubeCustomObjectsApi } from './kube-custom-objects-api.js';
import { kubeTime, type CoreV1Event } from './kube-objects.js';
import type { ResourceChange, ResourceWatch, ResourceWatchHandlers } from './kube-list-watch.js';

/** Where TrustContracts are served (crds/accord.dev_trustcontracts.yaml). */
export const trustContractResource = {
  group: 'accord.dev',
  version: 'v1alpha1',
  plural: 'trustcontracts',
  kind: 'TrustContract',
  isNamespaced: false,
} as const satisfies CustomResourceDefinition;

/**
 * The namespace of every Event about a TrustContract. TrustContracts are cluster-scoped and Events
 * are namespaced; the API server's Event validation (ValidateEventCreate) accepts a core/v1 Event
 * like ours (no eventTime) whose involvedObject has no namespace only in `default` (anywhere else:
 * "involvedObject.namespace … does not match event.namespace"), so this is not configurable.
 * client-go's recorder does the same, and it is where `kubectl describe trustcontract` looks.
 */
export const clusterScopedEventNamespace = 'default';

/** A TrustContract as the API server returns it (cluster-scoped: no namespace). */
export type TrustContractResource = CustomResource;

/** A change the watch reported. */
export type TrustContractChange = ResourceChange;

/** A Kubernetes Event about a TrustContract. */
export interface TrustContractEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * Every call the operator makes about TrustContracts, in the operator's terms. Writes are
 * optimistic: they fail with a `KubeConflictError` when the object changed since it was read,
 * and never overwrite what another writer (another finalizer, a newer status) put there.
 */
export interface TrustContractApi {
  list(): Promise<CustomResourceList<TrustContractResource>>;
  watch(resourceVersion: string, handlers: ResourceWatchHandlers<TrustContractResource>): ResourceWatch;
  /** Replaces `status` (status subresource) if `object` is still current; returns the updated object. */
  replaceStatus(object: TrustContractResource, status: unknown): Promise<TrustContractResource>;
  /** Appends `finalizer` unless present, keeping everyone else's; returns the updated object. */
  addFinalizer(object: TrustContractResource, finalizer: string): Promise<TrustContractResource>;
  /** Removes `finalizer`, keeping everyone else's; `undefined` when the object is gone (then or as a result). */
  removeFinalizer(
    object: TrustContractResource,
    finalizer: string,
  ): Promise<TrustContractResource | undefined>;
  /** Records a core/v1 Event about `object`. */
  recordEvent(object: TrustContractResource, event: TrustContractEvent): Promise<void>;
}

/** The calls `KubeTrustContractApi` makes besides the custom resource's own. */
export type TrustContractEventsApi = Pick<KubeCoreApi, 'createNamespacedEvent'>;

export interface KubeTrustContractApiOptions extends Omit<KubeCustomResourceApiOptions, 'resource'> {
  readonly events: TrustContractEventsApi;
  /** `source.component` / `reportingComponent` of every Event. */
  readonly component: string;
  /** `reportingInstance` of every Event, e.g. the pod name. */
  readonly instance: string;
  readonly clock: Clock;
}

/** Longest Event message the API server accepts. */
const maxEventMessageLength = 1024;

/**
 * TrustContracts through the Kubernetes API: the custom resource calls of `KubeCustomResourceApi`
 * (paged lists, resumable watches, JSON patches that `test` what they change) and core/v1 Events.
 */
export class KubeTrustContractApi implements TrustContractApi {
  readonly #options: KubeTrustContractApiOptions;
  readonly #resource: KubeCustomResourceApi<TrustContractResource>;

  constructor(options: KubeTrustContractApiOptions) {
    this.#options = options;
    this.#resource = new KubeCustomResourceApi({ ...options, resource: trustContractResource });
  }

  list(): Promise<CustomResourceList<TrustContractResource>> {
    return this.#resource.list();
  }

  watch(resourceVersion: string, handlers: ResourceWatchHandlers<TrustContractResource>): ResourceWatch {
    return this.#resource.watch(resourceVersion, handlers);
  }

  replaceStatus(object: TrustContractResource, status: unknown): Promise<TrustContractResource> {
    return this.#resource.replaceStatus(object, status);
  }

  addFinalizer(object: TrustContractResource, finalizer: string): Promise<TrustContractResource> {
    return this.#resource.addFinalizer(object, finalizer);
  }

  removeFinalizer(
    object: TrustContractResource,
    finalizer: string,
  ): Promise<TrustContractResource | undefined> {
    return this.#resource.removeFinalizer(object, finalizer);
  }

  async recordEvent(object: TrustContractResource, event: TrustContractEvent): Promise<void> {
    const { component, instance, clock } = this.#options;
    const now = kubeTime(clock.now());
    const body: CoreV1Event = {
      metadata: { generateName: `${object.metadata.name}.`, namespace: clusterScopedEventNamespace },
      involvedObject: {
        apiVersion: `${trustContractResource.group}/${trustContractResource.version}`,
        kind: trustContractResource.kind,
        name: object.metadata.name,
        ...(object.metadata.uid === undefined ? {} : { uid: object.metadata.uid }),
        ...(object.metadata.resourceVersion === undefined
          ? {}
          : { resourceVersion: object.metadata.resourceVersion }),
      },
      type: event.type,
      reason: event.reason,
      message: truncate(event.message, maxEventMessageLength),
      source: { component },
      reportingComponent: component,
      reportingInstance: instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await this.#options.events.createNamespacedEvent({ namespace: clusterScopedEventNamespace, body });
  }
}

/**
 * The TrustContract API of the cluster `kube` talks to, on its connections: every call with a
 * deadline; the watch is bounded by `watchTimeoutSeconds` instead.
 */
export function kubeTrustContractApi(
  kube: KubeClient,
  options: Omit<KubeTrustContractApiOptions, 'customObjects' | 'events' | 'watcher'>,
): KubeTrustContractApi {
  return new KubeTrustContractApi({
    ...options,
    customObjects: new KubeCustomObjectsApi(kube),
    events: new KubeCoreApi(kube),
    watcher: kube,
  });
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
