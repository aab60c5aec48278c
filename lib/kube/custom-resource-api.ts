import type { Timers } from '../time/timers.js';
import type { KubeCustomObjectsApi } from './kube-custom-objects-api.js';
import { isKubeStatus, KubeStatus } from './kube-errors.js';
import {
  isKubeObject,
  KubeListWatch,
  type ResourceWatch,
  type ResourceWatchHandlers,
  type WatchStarter,
} from './kube-list-watch.js';

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

/**
 * The object changed since it was read (409 Conflict, or 422 from a failed JSON patch `test`):
 * the caller reconciles the newer version instead.
 */
export class KubeConflictError extends Error {
  override readonly name = 'KubeConflictError';
}

/** The calls `KubeCustomResourceApi` makes, narrow so that tests can count them around real clients. */
export type CustomObjectCalls = Pick<
  KubeCustomObjectsApi,
  | 'listClusterCustomObject'
  | 'patchClusterCustomObject'
  | 'patchClusterCustomObjectStatus'
  | 'patchNamespacedCustomObject'
  | 'patchNamespacedCustomObjectStatus'
>;

export interface KubeCustomResourceApiOptions {
  readonly resource: CustomResourceDefinition;
  /** On a `KubeClient`, so every call has a deadline. */
  readonly customObjects: CustomObjectCalls;
  readonly watcher: WatchStarter;
  readonly timers: Timers;
  /** The server ends every watch after this long (`timeoutSeconds`); default 300. */
  readonly watchTimeoutSeconds?: number;
  /** Items per list page; default 500. */
  readonly pageSize?: number;
}

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
  readonly #listWatch: KubeListWatch<R>;

  constructor(options: KubeCustomResourceApiOptions) {
    this.#options = options;
    const { group, version, plural } = options.resource;
    this.#listWatch = new KubeListWatch<R>({
      path: `/apis/${group}/${version}/${plural}`,
      listPage: async (page) => {
        const list = (await options.customObjects.listClusterCustomObject({
          group,
          version,
          plural,
          ...page,
        })) as { items?: R[]; metadata?: { resourceVersion?: string; continue?: string } };
        return {
          items: list.items ?? [],
          resourceVersion: list.metadata?.resourceVersion,
          continueToken: list.metadata?.continue,
        };
      },
      watcher: options.watcher,
      timers: options.timers,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      pageSize: options.pageSize,
    });
  }

  list(): Promise<CustomResourceList<R>> {
    return this.#listWatch.list();
  }

  watch(resourceVersion: string, handlers: ResourceWatchHandlers<R>): ResourceWatch {
    return this.#listWatch.watch(resourceVersion, handlers);
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
    const request = { ...this.#path(), name: object.metadata.name, body: patch };
    try {
      let updated: unknown;
      if (resource.isNamespaced) {
        const namespaced = { ...request, namespace: object.metadata.namespace ?? '' };
        updated =
          target === 'status'
            ? await customObjects.patchNamespacedCustomObjectStatus(namespaced)
            : await customObjects.patchNamespacedCustomObject(namespaced);
      } else {
        updated =
          target === 'status'
            ? await customObjects.patchClusterCustomObjectStatus(request)
            : await customObjects.patchClusterCustomObject(request);
      }
      if (!isKubeObject(updated))
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
