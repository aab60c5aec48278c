import type { KubeCoreApi } from '../lib/kube/kube-core-api.js';
import type { V1OwnerReference, V1Secret } from '../lib/kube/kube-objects.js';
import { spiffeBundleFileName, trustBundlePemFileName } from '../lib/bundle/bundle-file-names.js';
import { isKubeStatus, kubeErrorReason, KubeStatus } from '../lib/kube/kube-errors.js';
import type { Logger } from '../lib/log/logger.js';
import { renderBundleFiles } from './bundle-files.js';
import type { BundleSyncOptions, BundleSyncResult, BundleWriter, DesiredBundles } from './bundle-writer.js';
import {
  bundleMapSecretName,
  bundleSecretKeys,
  bundleSecretLabels,
  bundleSecretName,
  bundleSecretSelector,
  trustDomainAnnotation,
} from '../lib/bundle/bundle-secret-layout.js';

/**
 * The object whose deletion garbage-collects the bundle Secrets. Kubernetes ignores (and garbage
 * collects against) an owner in another namespace, so a namespaced owner is referenced only by the
 * Secrets in its own namespace; a cluster-scoped owner (no `namespace`) by all of them.
 */
export interface BundleSecretOwner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** The owner's namespace; absent for a cluster-scoped owner. */
  namespace?: string | undefined;
}

/**
 * The calls the writer makes: a `KubeCoreApi` in production; narrow so that tests can count or fail
 * them around a real one.
 */
export type SecretApi = Pick<
  KubeCoreApi,
  'listNamespacedSecret' | 'createNamespacedSecret' | 'replaceNamespacedSecret' | 'deleteNamespacedSecret'
>;

/** Where the Secrets go and who owns them. */
export interface SecretBundleWriterOptions {
  /** The namespaces of the mesh: each gets every bundle Secret. */
  namespaces: readonly string[];
  owner?: BundleSecretOwner | undefined;
  log: Logger;
}

/** A bundle Secret as the desired state has it: the fields the provider manages, data base64. */
interface ExpectedSecret {
  name: string;
  /** Absent for the bundle map Secret. */
  trustDomain?: string;
  data: Record<string, string>;
}

/**
 * Cluster mode's bundle writer: in every mesh namespace, one Opaque Secret per trusted zone (its
 * PEM roots and SPIFFE bundle) plus `accord-bundle-map`, which holds local mode's whole directory
 * (every zone's files and `bundle-map.json`; layout in docs/provider.md). The Secrets labelled
 * `accord.dev/trust-bundle=true` are the provider's: it creates the missing ones, replaces (under
 * their resourceVersion) only those whose data differs, and deletes (under their resourceVersion)
 * those of zones no longer trusted. Unlabelled Secrets are never touched; a name taken by one makes
 * the create fail instead. Any other API error aborts the sync before the next call, so an error
 * never leads to a deletion; the provider retries later.
 *
 * It compares with the Secrets as it last listed them or as its own creates and replaces returned
 * them, so a change costs its writes alone, not a list first (one round trip per namespace on the
 * propagation path). A namespace is listed again at the first sync, at every resync (which repairs
 * a Secret changed or deleted by someone else) and after any failed call. A write from memory that
 * meets a changed Secret fails on its resourceVersion (409) or finds it gone (404): the writer then
 * lists and writes once more from what it read, so the desired state is never lost to a conflict.
 * The provider runs one sync at a time, so this writer is the only one using its memory.
 */
export class SecretBundleWriter implements BundleWriter {
  readonly #core: SecretApi;
  readonly #options: SecretBundleWriterOptions;
  /** Per namespace, its bundle Secrets by name as last listed or written; absent: list first. */
  readonly #known = new Map<string, Map<string, V1Secret>>();

  constructor(core: SecretApi, options: SecretBundleWriterOptions) {
    this.#core = core;
    this.#options = options;
  }

  async sync(desired: DesiredBundles, options: BundleSyncOptions = {}): Promise<BundleSyncResult> {
    if (options.isResync === true) this.#known.clear();
    const written = new Set<string>();
    const removed = new Set<string>();
    for (const namespace of this.#options.namespaces) {
      const changes = await this.#syncNamespace(namespace, desired);
      for (const trustDomain of changes.written) written.add(trustDomain);
      for (const trustDomain of changes.removed) if (!desired.has(trustDomain)) removed.add(trustDomain);
    }
    return { written: [...written].sort(), removed: [...removed].sort() };
  }

  /**
   * Writes what differs from the Secrets this writer knows, listing them first when it knows none.
   * The namespace is forgotten until the writes succeed, so a failed call makes the next sync list.
   */
  async #syncNamespace(namespace: string, desired: DesiredBundles): Promise<BundleSyncResult> {
    const changes: BundleSyncResult = { written: [], removed: [] };
    const remembered = this.#known.get(namespace);
    this.#known.delete(namespace);
    if (remembered !== undefined) {
      try {
        await this.#write(namespace, desired, remembered, changes);
        this.#known.set(namespace, remembered);
        return changes;
      } catch (error) {
        if (!isKubeStatus(error, KubeStatus.conflict) && !isKubeStatus(error, KubeStatus.notFound))
          throw error;
        this.#options.log.info('bundle secrets changed elsewhere', {
          namespace,
          error: kubeErrorReason(error),
        });
      }
    }
    const listed = await this.#core.listNamespacedSecret({ namespace, labelSelector: bundleSecretSelector });
    const installed = new Map(listed.items.map((secret) => [secret.metadata?.name ?? '', secret]));
    await this.#write(namespace, desired, installed, changes);
    this.#known.set(namespace, installed);
    return changes;
  }

  /**
   * Brings `installed` to the desired state through the API, keeping it up to date with each
   * answer, and adds what changed to `changes`.
   */
  async #write(
    namespace: string,
    desired: DesiredBundles,
    installed: Map<string, V1Secret>,
    changes: BundleSyncResult,
  ): Promise<void> {
    const owner = ownerReferenceIn(namespace, this.#options.owner);
    const expected = expectedSecrets(desired, installed);
    // Zones first and the map last (expectedSecrets' order), removals after: the map never names
    // a zone whose Secret is missing.
    const writes = expected.filter((secret) => !isCurrent(installed.get(secret.name), secret, owner));
    const removals = [...installed.values()].filter(
      (secret) => !expected.some((wanted) => wanted.name === secret.metadata?.name),
    );
    for (const secret of writes) {
      const current = installed.get(secret.name);
      const body = secretBody(namespace, secret, current, owner);
      const stored =
        current === undefined
          ? await this.#core.createNamespacedSecret({ namespace, body })
          : await this.#core.replaceNamespacedSecret({ name: secret.name, namespace, body });
      installed.set(secret.name, stored);
      if (secret.trustDomain !== undefined) changes.written.push(secret.trustDomain);
    }
    for (const secret of removals) {
      await this.#delete(namespace, secret);
      installed.delete(secret.metadata?.name ?? '');
      const trustDomain = secret.metadata?.annotations?.[trustDomainAnnotation];
      if (trustDomain !== undefined) changes.removed.push(trustDomain);
    }
    if (writes.length > 0 || removals.length > 0) {
      this.#options.log.debug('bundle secrets changed', {
        namespace,
        writes: writes.length,
        removals: removals.length,
      });
    }
  }

  /** Deletes exactly the revision known; one already gone is as good as deleted. */
  async #delete(namespace: string, secret: V1Secret): Promise<void> {
    const name = secret.metadata?.name ?? '';
    const resourceVersion = secret.metadata?.resourceVersion;
    try {
      await this.#core.deleteNamespacedSecret({
        name,
        namespace,
        body: resourceVersion === undefined ? {} : { preconditions: { resourceVersion } },
      });
    } catch (error) {
      if (!isKubeStatus(error, KubeStatus.notFound)) throw error;
    }
  }
}

/**
 * The Secrets a namespace should hold, zones sorted then the map, rendered by the same builder as
 * local mode's files. A zone's installed SPIFFE bundle is passed back so that its
 * `spiffe_sequence` moves only when its roots change.
 */
function expectedSecrets(
  desired: DesiredBundles,
  installed: ReadonlyMap<string, V1Secret>,
): ExpectedSecret[] {
  const previous = new Map<string, string>();
  for (const trustDomain of desired.keys()) {
    const encoded = installed.get(bundleSecretName(trustDomain))?.data?.[bundleSecretKeys.spiffeBundle];
    if (encoded !== undefined) previous.set(spiffeBundleFileName(trustDomain), fromBase64(encoded));
  }
  const files = renderBundleFiles(desired, previous);
  const file = (name: string): string => toBase64(files.get(name) ?? '');
  const zones = [...desired.keys()].sort().map((trustDomain) => ({
    name: bundleSecretName(trustDomain),
    trustDomain,
    data: {
      [bundleSecretKeys.rootsPem]: file(trustBundlePemFileName(trustDomain)),
      [bundleSecretKeys.spiffeBundle]: file(spiffeBundleFileName(trustDomain)),
    },
  }));
  // The map Secret holds every file of local mode's directory, so mounted whole it IS that
  // directory: what an injected translator reads, whichever zones come and go.
  const directory = Object.fromEntries([...files.keys()].sort().map((name) => [name, file(name)]));
  return [...zones, { name: bundleMapSecretName, data: directory }];
}

/** Whether `current` already has the expected data, labels, annotation and owner. */
function isCurrent(
  current: V1Secret | undefined,
  expected: ExpectedSecret,
  owner: V1OwnerReference | undefined,
): boolean {
  if (current === undefined) return false;
  const data = current.data ?? {};
  const labels = current.metadata?.labels ?? {};
  const isSameData =
    Object.keys(data).length === Object.keys(expected.data).length &&
    Object.entries(expected.data).every(([key, value]) => data[key] === value);
  return (
    isSameData &&
    Object.entries(bundleSecretLabels).every(([key, value]) => labels[key] === value) &&
    (expected.trustDomain === undefined ||
      current.metadata?.annotations?.[trustDomainAnnotation] === expected.trustDomain) &&
    (owner === undefined || (current.metadata?.ownerReferences ?? []).some((ref) => ref.uid === owner.uid))
  );
}

/**
 * The object to create, or to replace `current` with: the provider's data, labels, annotation and
 * owner, keeping what others added to `current` (labels, annotations, owners, finalizers) and its
 * resourceVersion, which makes the replace fail on a concurrent change instead of overwriting it.
 */
function secretBody(
  namespace: string,
  expected: ExpectedSecret,
  current: V1Secret | undefined,
  owner: V1OwnerReference | undefined,
): V1Secret {
  const metadata = current?.metadata;
  const existingOwners = metadata?.ownerReferences ?? [];
  const ownerReferences =
    owner === undefined || existingOwners.some((ref) => ref.uid === owner.uid)
      ? existingOwners
      : [...existingOwners, owner];
  const annotation =
    expected.trustDomain === undefined ? {} : { [trustDomainAnnotation]: expected.trustDomain };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: current?.type ?? 'Opaque',
    metadata: {
      name: expected.name,
      namespace,
      labels: { ...metadata?.labels, ...bundleSecretLabels },
      annotations: { ...metadata?.annotations, ...annotation },
      ...(metadata?.resourceVersion === undefined ? {} : { resourceVersion: metadata.resourceVersion }),
      ...(ownerReferences.length === 0 ? {} : { ownerReferences }),
      ...(metadata?.finalizers === undefined ? {} : { finalizers: metadata.finalizers }),
    },
    data: expected.data,
  };
}

function ownerReferenceIn(
  namespace: string,
  owner: BundleSecretOwner | undefined,
): V1OwnerReference | undefined {
  if (owner === undefined || (owner.namespace !== undefined && owner.namespace !== namespace))
    return undefined;
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid };
}

function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function fromBase64(encoded: string): string {
  return Buffer.from(encoded, 'base64').toString('utf8');
}
