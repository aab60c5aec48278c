import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type CoreV1Event,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Clock } from '../time/clock.js';
import type { Timers } from '../time/timers.js';
import { loadKubeConfig, makeKubeApiClient } from './kube-client.js';
import { isKubeStatus, KubeStatus } from './kube-errors.js';

/** Where TrustContracts are served (crds/accord.dev_trustcontracts.yaml). */
export const trustContractResource = {
  group: 'accord.dev',
  version: 'v1alpha1',
  plural: 'trustcontracts',
  kind: 'TrustContract',
} as const;

/**
 * The namespace of every Event about a TrustContract. TrustContracts are cluster-scoped and Events
 * are namespaced; the API server's Event validation (ValidateEventCreate) accepts a core/v1 Event
 * like ours (no eventTime) whose involvedObject has no namespace only in `default` (anywhere else:
 * "involvedObject.namespace … does not match event.namespace"), so this is not configurable.
 * client-go's recorder does the same, and it is where `kubectl describe trustcontract` looks.
 */
export const clusterScopedEventNamespace = 'default';

/**
 * A TrustContract as the API server returns it: only the metadata the runtime needs is typed, spec
 * and status stay plain JSON for the operator's own parser (one parser per input).
 */
export interface TrustContractResource {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    finalizers?: string[];
    deletionTimestamp?: string;
    [field: string]: unknown;
  };
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** A consistent snapshot of every TrustContract, and the resourceVersion to watch from. */
export interface TrustContractList {
  readonly items: TrustContractResource[];
  readonly resourceVersion: string;
}

/** A change the watch reported. */
export type TrustContractChange = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface TrustContractWatchHandlers {
  onChange(change: TrustContractChange, object: TrustContractResource): void;
  /** A bookmark: nothing changed up to `resourceVersion`, resume from there. */
  onBookmark(resourceVersion: string): void;
}

/**
 * Why a watch ended: the server closed it (its `timeoutSeconds` ran out; resume from the last
 * resourceVersion), the resourceVersion expired (410 Gone: relist), it failed (retry with
 * backoff), or `stop()` was called.
 */
export type WatchEnd =
  | { readonly kind: 'closed' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'stopped' };

/** A running watch. */
export interface TrustContractWatch {
  readonly ended: Promise<WatchEnd>;
  /** Ends the watch; `ended` then resolves with `stopped`. */
  stop(): void;
}

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
  list(): Promise<TrustContractList>;
  watch(resourceVersion: string, handlers: TrustContractWatchHandlers): TrustContractWatch;
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

/**
 * The object changed since it was read (409 Conflict, or 422 from a failed JSON patch `test`):
 * the caller reconciles the newer version instead.
 */
export class KubeConflictError extends Error {
  override readonly name = 'KubeConflictError';
}

/** The calls `KubeTrustContractApi` makes, narrow so that tests can count them around real clients. */
export type TrustContractCustomObjects = Pick<
  CustomObjectsApi,
  'listClusterCustomObject' | 'patchClusterCustomObject' | 'patchClusterCustomObjectStatus'
>;
export type TrustContractEventsApi = Pick<CoreV1Api, 'createNamespacedEvent'>;

/** A watch starter: client-node's `Watch`, or a stand-in that fails it on purpose. */
export type WatchStarter = Pick<Watch, 'watch'>;

export interface KubeTrustContractApiOptions {
  /** Made with `makeKubeApiClient`, so every call has a deadline. */
  readonly customObjects: TrustContractCustomObjects;
  readonly events: TrustContractEventsApi;
  readonly watcher: WatchStarter;
  /** `source.component` / `reportingComponent` of every Event. */
  readonly component: string;
  /** `reportingInstance` of every Event, e.g. the pod name. */
  readonly instance: string;
  readonly clock: Clock;
  readonly timers: Timers;
  /** The server ends every watch after this long (`timeoutSeconds`); default 300. */
  readonly watchTimeoutSeconds?: number;
  /** Items per list page; default 500. */
  readonly pageSize?: number;
}

/** How long past `timeoutSeconds` a watch may stay open before the client gives up on the server. */
const watchGraceMs = 30_000;

/** What the API server answers a JSON patch whose `test` failed. */
const unprocessable = 422;

/** Longest Event message the API server accepts. */
const maxEventMessageLength = 1024;

/**
 * TrustContracts through the Kubernetes API: paged lists, watches the server ends and the
 * caller resumes, JSON patches that `test` what they change, and core/v1 Events.
 */
export class KubeTrustContractApi implements TrustContractApi {
  readonly #options: KubeTrustContractApiOptions;
  readonly #watchTimeoutSeconds: number;
  readonly #pageSize: number;

  constructor(options: KubeTrustContractApiOptions) {
    this.#options = options;
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.#pageSize = options.pageSize ?? 500;
  }

  async list(): Promise<TrustContractList> {
    const items: TrustContractResource[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = (await this.#options.customObjects.listClusterCustomObject({
        ...resourcePath,
        limit: this.#pageSize,
        ...(continueToken === undefined ? {} : { _continue: continueToken }),
      })) as { items?: TrustContractResource[]; metadata?: { resourceVersion?: string; continue?: string } };
      items.push(...(page.items ?? []));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (continueToken !== undefined);
    return { items, resourceVersion };
  }

  watch(resourceVersion: string, handlers: TrustContractWatchHandlers): TrustContractWatch {
    const { timers } = this.#options;
    let controller: AbortController | undefined;
    let isStopped = false;
    let finish: (end: WatchEnd) => void = () => undefined;
    const ended = new Promise<WatchEnd>((resolve) => {
      finish = (end) => {
        timers.clearTimeout(watchdog);
        finish = () => undefined;
        controller?.abort();
        resolve(isStopped ? { kind: 'stopped' } : end);
      };
    });
    const path = `/apis/${resourcePath.group}/${resourcePath.version}/${resourcePath.plural}`;
    const query = {
      resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: this.#watchTimeoutSeconds,
    };
    const onLine = (type: string, object: unknown): void => {
      if (type === 'ERROR') {
        finish(isGone(object) ? { kind: 'expired' } : { kind: 'failed', error: statusError(object) });
        return;
      }
      if (!isResource(object)) return;
      if (type === 'BOOKMARK') {
        const bookmarked = object.metadata.resourceVersion;
        if (bookmarked !== undefined) handlers.onBookmark(bookmarked);
        return;
      }
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') handlers.onChange(type, object);
    };
    const onDone = (error: unknown): void => {
      if (error === null || error === undefined) finish({ kind: 'closed' });
      else finish(isGone(error) ? { kind: 'expired' } : { kind: 'failed', error });
    };
    // A server that stops sending without closing would otherwise hold the watch forever.
    const watchdog = timers.setTimeout(
      () => finish({ kind: 'failed', error: new Error('watch outlived its timeoutSeconds') }),
      this.#watchTimeoutSeconds * 1000 + watchGraceMs,
    );
    this.#options.watcher.watch(path, query, onLine, onDone).then(
      (started) => {
        controller = started;
        if (isStopped) started.abort();
      },
      (error: unknown) => finish({ kind: 'failed', error }),
    );
    return {
      ended,
      stop: () => {
        isStopped = true;
        finish({ kind: 'stopped' });
      },
    };
  }

  async replaceStatus(object: TrustContractResource, status: unknown): Promise<TrustContractResource> {
    const patch = [
      { op: 'test', path: '/metadata/resourceVersion', value: requireResourceVersion(object) },
      // `add` replaces an existing member, so this works whether or not a status is there yet.
      { op: 'add', path: '/status', value: status },
    ];
    return this.#patch(object, patch, 'status');
  }

  async addFinalizer(object: TrustContractResource, finalizer: string): Promise<TrustContractResource> {
    const current = object.metadata.finalizers;
    if (current?.includes(finalizer) === true) return object;
    const patch =
      current === undefined
        ? [
            { op: 'test', path: '/metadata/resourceVersion', value: requireResourceVersion(object) },
            { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
          ]
        : [
            { op: 'test', path: '/metadata/finalizers', value: current },
            { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
          ];
    return this.#patch(object, patch, 'object');
  }

  async removeFinalizer(
    object: TrustContractResource,
    finalizer: string,
  ): Promise<TrustContractResource | undefined> {
    const current = object.metadata.finalizers ?? [];
    const index = current.indexOf(finalizer);
    if (index < 0) return object;
    const patch = [
      { op: 'test', path: '/metadata/finalizers', value: current },
      { op: 'remove', path: `/metadata/finalizers/${String(index)}` },
    ];
    try {
      return await this.#patch(object, patch, 'object');
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.notFound)) return undefined;
      throw error;
    }
  }

  async recordEvent(object: TrustContractResource, event: TrustContractEvent): Promise<void> {
    const { component, instance, clock } = this.#options;
    const now = clock.now();
    const body: CoreV1Event = {
      metadata: { generateName: `${object.metadata.name}.`, namespace: clusterScopedEventNamespace },
      involvedObject: {
        apiVersion: `${resourcePath.group}/${resourcePath.version}`,
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

  async #patch(
    object: TrustContractResource,
    patch: readonly object[],
    target: 'object' | 'status',
  ): Promise<TrustContractResource> {
    const request = { ...resourcePath, name: object.metadata.name, body: patch };
    const options = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
    try {
      const updated: unknown =
        target === 'status'
          ? await this.#options.customObjects.patchClusterCustomObjectStatus(request, options)
          : await this.#options.customObjects.patchClusterCustomObject(request, options);
      if (!isResource(updated))
        throw new Error(`the API server answered a ${target} patch without an object`);
      return updated;
    } catch (error) {
      if (isConflict(error)) {
        throw new KubeConflictError(
          `TrustContract ${object.metadata.name} changed since resourceVersion ${String(object.metadata.resourceVersion)}`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/**
 * The TrustContract API of the cluster in `kubeconfigPath` (the pod's ServiceAccount when absent),
 * every call with a deadline; the watch is bounded by `watchTimeoutSeconds` instead.
 */
export function kubeTrustContractApi(
  kubeconfigPath: string | undefined,
  options: Omit<KubeTrustContractApiOptions, 'customObjects' | 'events' | 'watcher'>,
  kubeConfig: KubeConfig = loadKubeConfig(kubeconfigPath),
): KubeTrustContractApi {
  return new KubeTrustContractApi({
    ...options,
    customObjects: makeKubeApiClient(kubeConfig, CustomObjectsApi),
    events: makeKubeApiClient(kubeConfig, CoreV1Api),
    watcher: new Watch(kubeConfig),
  });
}

const resourcePath = {
  group: trustContractResource.group,
  version: trustContractResource.version,
  plural: trustContractResource.plural,
};

function requireResourceVersion(object: TrustContractResource): string {
  const { resourceVersion } = object.metadata;
  if (resourceVersion === undefined || resourceVersion === '') {
    throw new Error(`TrustContract ${object.metadata.name} has no resourceVersion to write against`);
  }
  return resourceVersion;
}

function isResource(value: unknown): value is TrustContractResource {
  if (typeof value !== 'object' || value === null || !('metadata' in value)) return false;
  const { metadata } = value;
  return typeof metadata === 'object' && metadata !== null && 'name' in metadata;
}

/**
 * 409, or the 422 the API server answers when a JSON patch cannot be applied: for the patches made
 * here that is a failed `test` (the generic "error in our request", without the field causes
 * that a schema violation lists).
 */
function isConflict(error: unknown): boolean {
  if (isKubeStatus(error, KubeStatus.conflict)) return true;
  if (!isKubeStatus(error, unprocessable)) return false;
  return !hasFieldCauses((error as { body?: unknown }).body);
}

function hasFieldCauses(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    const status = JSON.parse(body) as { details?: { causes?: unknown[] } };
    return (status.details?.causes?.length ?? 0) > 0;
  } catch {
    return false;
  }
}

/** 410 Gone, as an HTTP status (client-node's watch error) or as the watch's ERROR Status object. */
function isGone(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { code, statusCode } = value as { code?: unknown; statusCode?: unknown };
  return code === 410 || statusCode === 410;
}

function statusError(object: unknown): Error {
  const message =
    typeof object === 'object' && object !== null && 'message' in object
      ? String(object.message)
      : 'unknown watch error';
  return new Error(`watch error: ${message}`);
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
