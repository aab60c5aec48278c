import type { KubeClient } from './kube-client.js';
import type { Timers } from '../time/timers.js';

/** The metadata every listed or watched object has. */
export interface KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
}

/** A change the watch reported. */
export type ResourceChange = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ResourceWatchHandlers<R> {
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

/** A watch starter: a `KubeClient`, or a stand-in that fails it on purpose. */
export type WatchStarter = Pick<KubeClient, 'watch'>;

/** One page of a list, whatever client fetched it. */
export interface KubeListPage<R> {
  readonly items: R[];
  readonly resourceVersion?: string | undefined;
  /** Where the next page starts; absent or empty on the last page. */
  readonly continueToken?: string | undefined;
}

export interface KubeListWatchOptions<R> {
  /** The collection over all namespaces, as the watch requests it, e.g. `/api/v1/services`. */
  readonly path: string;
  /**
   * One page of the same collection, through a typed call of lib/kube's API classes (so with a
   * deadline); the caller passes it because each resource has its own call and item type.
   */
  readonly listPage: (page: { limit: number; continue?: string }) => Promise<KubeListPage<R>>;
  readonly watcher: WatchStarter;
  readonly timers: Timers;
  /** The server ends every watch after this long (`timeoutSeconds`); default 300. */
  readonly watchTimeoutSeconds?: number | undefined;
  /** Items per list page; default 500. */
  readonly pageSize?: number | undefined;
}

/** How long past `timeoutSeconds` a watch may stay open before the client gives up on the server. */
const watchGraceMs = 30_000;

/**
 * List and watch of one resource type over all namespaces, what an informer needs: a paged list
 * (a consistent snapshot and its resourceVersion), then a watch from there that the server ends
 * after `timeoutSeconds` (the caller resumes), with bookmarks, and that tells an expired
 * resourceVersion (410 Gone: relist) from other failures. `KubeCustomResourceApi` lists and watches
 * custom resources with it; the MeshWorkload controller its Services.
 */
export class KubeListWatch<R extends KubeObject> {
  readonly #options: KubeListWatchOptions<R>;
  readonly #watchTimeoutSeconds: number;
  readonly #pageSize: number;

  constructor(options: KubeListWatchOptions<R>) {
    this.#options = options;
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.#pageSize = options.pageSize ?? 500;
  }

  async list(): Promise<{ readonly items: R[]; readonly resourceVersion: string }> {
    const items: R[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.#options.listPage({
        limit: this.#pageSize,
        ...(continueToken === undefined ? {} : { continue: continueToken }),
      });
      items.push(...page.items);
      resourceVersion = page.resourceVersion ?? resourceVersion;
      continueToken = page.continueToken === '' ? undefined : page.continueToken;
    } while (continueToken !== undefined);
    return { items, resourceVersion };
  }

  watch(resourceVersion: string, handlers: ResourceWatchHandlers<R>): ResourceWatch {
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
      if (!isKubeObject(object)) return;
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
    this.#options.watcher.watch(this.#options.path, query, onLine, onDone).then(
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
}

/** Whether the API server's answer is an object (of the resource asked for: its typing is the caller's trust). */
export function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null || !('metadata' in value)) return false;
  const { metadata } = value;
  return typeof metadata === 'object' && metadata !== null && 'name' in metadata;
}

/** 410 Gone, as an HTTP status (`KubeApiError`) or as the watch's ERROR Status object. */
function isGone(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return (value as { code?: unknown }).code === 410;
}

function statusError(object: unknown): Error {
  const message =
    typeof object === 'object' && object !== null && 'message' in object
      ? String(object.message)
      : 'unknown watch error';
  return new Error(`watch error: ${message}`);
}
