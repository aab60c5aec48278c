import { PatchStrategy, setHeaderOptions, type CustomObjectsApi, type Watch } from '@kubernetes/client-node';
import type { Timers } from '../time/timers.js';
import { isKubeStatus, KubeStatus } from './kube-errors.js';

/** Where a custom resource is served, and whether its objects live in namespaces. */
export interface CustomResourceDefinition {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly isNamespaced: boolean;
}

/**
 * A custom resource object as the API server returns it: only the metadata a controller runtime
 * needs is typed; spec and status stay plain JSON for the component's own parser (one parser per input).
 */
export interface CustomResource {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    /** Present on namespaced resources only. */
    namespace?: string;
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

/** A consistent snapshot of every object (all namespaces), and the resourceVersion to watch from. */
export interface CustomResourceList<R extends CustomResource> {
  readonly items: R[];
  readonly resourceVersion: string;
}

/** A change the watch reported. */
export type ResourceChange = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ResourceWatchHandlers<R extends CustomResource> {
  onChange(change: ResourceChange, object: R): void;
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
export interface ResourceWatch {
  readonly ended: Promise<WatchEnd>;
  /** Ends the watch; `ended` then resolves with `stopped`. */
  stop(): void;
}

/**
 * The object changed since it was read (409 Conflict, or 422 from a failed JSON patch `test`):
 * the caller reconciles the newer version instead.
 */
export class KubeConflictError extends Error {
  override readonly name = 'KubeConflictError';
}

/** The calls `KubeCustomResourceApi` makes, narrow so that tests can count them around real clients. */
export type CustomObjectCalls = Pick<
  CustomObjectsApi,
  | 'listClusterCustomObject'
  | 'patchClusterCustomObject'
  | 'patchClusterCustomObjectStatus'
  | 'patchNamespacedCustomObject'
  | 'patchNamespacedCustomObjectStatus'
>;

/** A watch starter: client-node's `Watch`, or a stand-in that fails it on purpose. */
export type WatchStarter = Pick<Watch, 'watch'>;

export interface KubeCustomResourceApiOptions {
  readonly resource: CustomResourceDefinition;
  /** Made with `makeKubeApiClient`, so every call has a deadline. */
  readonly customObjects: CustomObjectCalls;
  readonly watcher: WatchStarter;
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

/**
 * A custom resource through the Kubernetes API, in a controller's terms: paged lists and watches
 * over all namespaces (the server ends a watch, the caller resumes), and writes that are JSON
 * patches `test`ing what they change, so they fail with `KubeConflictError` when the object changed
 * since it was read and never overwrite what another writer (another finalizer, a newer status)
 * put there.
 */
export class KubeCustomResourceApi<R extends CustomResource> {
  readonly #options: KubeCustomResourceApiOptions;
  readonly #watchTimeoutSeconds: number;
  readonly #pageSize: number;

  constructor(options: KubeCustomResourceApiOptions) {
    this.#options = options;
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.#pageSize = options.pageSize ?? 500;
  }

  async list(): Promise<CustomResourceList<R>> {
    const items: R[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = (await this.#options.customObjects.listClusterCustomObject({
        ...this.#path(),
        limit: this.#pageSize,
        ...(continueToken === undefined ? {} : { _continue: continueToken }),
      })) as { items?: R[]; metadata?: { resourceVersion?: string; continue?: string } };
      items.push(...(page.items ?? []));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (continueToken !== undefined);
    return { items, resourceVersion };
  }

  watch(resourceVersion: string, handlers: ResourceWatchHandlers<R>): ResourceWatch {
    const { timers, resource } = this.#options;
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
    const path = `/apis/${resource.group}/${resource.version}/${resource.plural}`;
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
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') handlers.onChange(type, object as R);
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

  /** Replaces `status` (status subresource) if `object` is still current; returns the updated object. */
  async replaceStatus(object: R, status: unknown): Promise<R> {
    const patch = [
      { op: 'test', path: '/metadata/resourceVersion', value: this.#requireResourceVersion(object) },
      // `add` replaces an existing member, so this works whether or not a status is there yet.
      { op: 'add', path: '/status', value: status },
    ];
    return this.#patch(object, patch, 'status');
  }

  /** Appends `finalizer` unless present, keeping everyone else's; returns the updated object. */
  async addFinalizer(object: R, finalizer: string): Promise<R> {
    const current = object.metadata.finalizers;
    if (current?.includes(finalizer) === true) return object;
    const patch =
      current === undefined
        ? [
            { op: 'test', path: '/metadata/resourceVersion', value: this.#requireResourceVersion(object) },
            { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
          ]
        : [
            { op: 'test', path: '/metadata/finalizers', value: current },
            { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
          ];
    return this.#patch(object, patch, 'object');
  }

  /** Removes `finalizer`, keeping everyone else's; `undefined` when the object is gone (then or as a result). */
  async removeFinalizer(object: R, finalizer: string): Promise<R | undefined> {
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

  #path(): { group: string; version: string; plural: string } {
    const { group, version, plural } = this.#options.resource;
    return { group, version, plural };
  }

  /** `<Kind> <namespace>/<name>` or `<Kind> <name>`, for messages. */
  #describe(object: R): string {
    const { namespace, name } = object.metadata;
    return `${this.#options.resource.kind} ${namespace === undefined ? name : `${namespace}/${name}`}`;
  }

  #requireResourceVersion(object: R): string {
    const { resourceVersion } = object.metadata;
    if (resourceVersion === undefined || resourceVersion === '')
      throw new Error(`${this.#describe(object)} has no resourceVersion to write against`);
    return resourceVersion;
  }

  async #patch(object: R, patch: readonly object[], target: 'object' | 'status'): Promise<R> {
    const { customObjects, resource } = this.#options;
    const options = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
    const request = { ...this.#path(), name: object.metadata.name, body: patch };
    try {
      let updated: unknown;
      if (resource.isNamespaced) {
        const namespaced = { ...request, namespace: object.metadata.namespace ?? '' };
        updated =
          target === 'status'
            ? await customObjects.patchNamespacedCustomObjectStatus(namespaced, options)
            : await customObjects.patchNamespacedCustomObject(namespaced, options);
      } else {
        updated =
          target === 'status'
            ? await customObjects.patchClusterCustomObjectStatus(request, options)
            : await customObjects.patchClusterCustomObject(request, options);
      }
      if (!isResource(updated))
        throw new Error(`the API server answered a ${target} patch without an object`);
      return updated as R;
    } catch (error) {
      if (isConflict(error)) {
        throw new KubeConflictError(
          `${this.#describe(object)} changed since resourceVersion ${String(object.metadata.resourceVersion)}`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** Whether the API server's answer is an object (of the resource asked for: its typing is this module's trust). */
function isResource(value: unknown): value is CustomResource {
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
