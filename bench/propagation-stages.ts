import { bundleSecretKeys, bundleSecretName } from '../lib/bundle/bundle-secret-layout.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { connectKube, type KubeClient } from '../lib/kube/kube-client.js';
import { meshNamespace, type MeshZone } from '../test/e2e/mesh-zone.js';
import { hubNamespace, type TwoClusterMesh } from '../test/e2e/two-cluster-mesh.js';

/** The label on every audit entry the repository's Kubernetes store writes (one ConfigMap each). */
const auditLogLabel = 'accord.dev/audit-log';
/** The operator's finalizer: the first thing it writes when it reconciles a new TrustContract. */
const operatorFinalizer = 'accord.dev/revoke-on-delete';

interface WatchedObject {
  readonly metadata?: {
    readonly name?: string;
    readonly finalizers?: readonly string[];
    readonly deletionTimestamp?: string;
  };
  readonly data?: Readonly<Record<string, string>>;
}

/** When (performance.now(), this process's clock) each stage of a contract was first seen. */
interface ContractStages {
  /** This process's watch on zone B saw the TrustContract (the API server's watch delivery). */
  seenMs?: number;
  /** Zone B's operator put its finalizer on the TrustContract: it picked up the watch event. */
  pickedUpMs?: number;
  /** The repository's Watch reported the contract ACTIVE (zone B's approval stored). */
  activeMs?: number;
  /** The repository's Watch reported the contract REVOKED. */
  revokedMs?: number;
}

/** Zone's bundle Secret for its partner: whether it holds the partner's root, and since when. */
interface SecretState {
  isTrusted: boolean;
  sinceMs: number;
}

/**
 * Watches every point of the Kubernetes propagation path from outside the components, as events
 * rather than by polling: the TrustContracts of zone B (its operator's finalizer marks the start of
 * its reconcile), the repository's Watch as zone A's admin sees it (ACTIVE, REVOKED), and each
 * zone's bundle Secret for its partner (the end). The timestamps come from one clock, so one
 * activation splits into watch (apply returns → this process's watch sees the object; negative
 * when the event beats kubectl's exit), pickup (→ the operator's finalizer), reconcile (→ the
 * approval's audit entry is stored: a ConfigMap of the hub's store in zone A), repository (→ ACTIVE
 * on the repository's Watch) and secrets (→ both Secrets hold the partner's root).
 */
export class PropagationStages {
  readonly #contracts = new Map<string, ContractStages>();
  readonly #secrets = new Map<MeshZone, SecretState>();
  readonly #waiters = new Set<() => void>();
  /** When each audit entry ConfigMap of the hub's store was seen created, in order. */
  readonly #auditEntriesMs: number[] = [];
  readonly #stops: (() => void)[] = [];
  readonly #clients: KubeClient[] = [];
  readonly #mesh: TwoClusterMesh;
  #isClosed = false;

  private constructor(mesh: TwoClusterMesh) {
    this.#mesh = mesh;
  }

  /** Starts the watches; every one has answered when this resolves. */
  static async start(mesh: TwoClusterMesh): Promise<PropagationStages> {
    const stages = new PropagationStages(mesh);
    try {
      await stages.#watchAll();
    } catch (error) {
      stages.close();
      throw error;
    }
    return stages;
  }

  /** The stages seen so far of contract `id`. */
  contract(id: string): Readonly<ContractStages> {
    return this.#contracts.get(id) ?? {};
  }

  /**
   * When the last audit entry up to `atMs` was seen stored (runs go one at a time, so before a
   * contract's ACTIVE on the Watch that is its approval's entry).
   */
  auditEntryBefore(atMs: number): number | undefined {
    return this.#auditEntriesMs.findLast((entryMs) => entryMs <= atMs);
  }

  /**
   * Resolves with the time both zones' bundle Secrets were in state `isTrusted` (the later of the
   * two transitions), once both are; rejects after `timeoutMs`.
   */
  async untilMutualTrust(isTrusted: boolean, timeoutMs: number): Promise<number> {
    const [a, b] = this.#mesh.zones;
    const reached = (): number | undefined => {
      const states = [this.#secrets.get(a), this.#secrets.get(b)];
      if (!states.every((state) => state?.isTrusted === isTrusted)) return undefined;
      return Math.max(...states.map((state) => state?.sinceMs ?? 0));
    };
    const now = reached();
    if (now !== undefined) return now;
    return new Promise<number>((resolve, reject) => {
      const check = () => {
        const at = reached();
        if (at === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(at);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `the bundle Secrets did not become ${isTrusted ? 'trusted' : 'untrusted'} in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  close(): void {
    this.#isClosed = true;
    for (const stop of this.#stops) stop();
    for (const client of this.#clients) client.close();
  }

  async #watchAll(): Promise<void> {
    const [a, b] = this.#mesh.zones;
    const repositoryWatch = new AbortController();
    this.#stops.push(() => repositoryWatch.abort());
    void this.#followRepository(a, repositoryWatch.signal);
    await Promise.all([
      this.#watch(b, '/apis/accord.dev/v1alpha1/trustcontracts', {}, (object) => {
        const name = object.metadata?.name;
        if (name === undefined) return;
        const stages = this.#stagesOf(name);
        stages.seenMs ??= performance.now();
        if (object.metadata?.finalizers?.includes(operatorFinalizer) === true)
          stages.pickedUpMs ??= performance.now();
      }),
      this.#watch(
        a,
        `/api/v1/namespaces/${hubNamespace}/configmaps`,
        { labelSelector: auditLogLabel },
        (_, type) => {
          if (type === 'ADDED') this.#auditEntriesMs.push(performance.now());
        },
      ),
      this.#watchBundleSecret(a, b),
      this.#watchBundleSecret(b, a),
    ]);
  }

  async #followRepository(zone: MeshZone, signal: AbortSignal): Promise<void> {
    try {
      for await (const item of zone.repository.watch(undefined, signal)) {
        const { event } = item;
        if (event.kind !== 'change' || !('contract' in event.contract)) continue;
        const { contract } = event.contract;
        const stages = this.#stagesOf(contract.id);
        if (contract.state === 'active') stages.activeMs ??= performance.now();
        if (contract.state === 'revoked') stages.revokedMs ??= performance.now();
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  async #watchBundleSecret(zone: MeshZone, partner: MeshZone): Promise<void> {
    const name = bundleSecretName(partner.trustDomain);
    this.#secrets.set(zone, { isTrusted: false, sinceMs: performance.now() });
    await this.#watch(
      zone,
      `/api/v1/namespaces/${meshNamespace}/secrets`,
      { fieldSelector: `metadata.name=${name}` },
      (object, type) => {
        const encoded = type === 'DELETED' ? undefined : object.data?.[bundleSecretKeys.rootsPem];
        const pem = encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
        const isTrusted = pem?.trim() === partner.rootPem.trim();
        if (this.#secrets.get(zone)?.isTrusted === isTrusted) return;
        this.#secrets.set(zone, { isTrusted, sinceMs: performance.now() });
        for (const waiter of [...this.#waiters]) waiter();
      },
    );
  }

  async #watch(
    zone: MeshZone,
    path: string,
    query: Record<string, string>,
    onObject: (object: WatchedObject, type: string) => void,
  ): Promise<void> {
    const client = connectKube(zone.cluster.adminKubeconfig);
    this.#clients.push(client);
    const controller = await client.watch(
      path,
      query,
      (type, object) => onObject(object as WatchedObject, type),
      (error) => {
        if (error !== null && !this.#isClosed)
          process.stderr.write(`propagation stages: watch ${path} ended: ${errorMessage(error)}\n`);
      },
    );
    this.#stops.push(() => controller.abort());
  }

  #stagesOf(id: string): ContractStages {
    let stages = this.#contracts.get(id);
    if (stages === undefined) {
      stages = {};
      this.#contracts.set(id, stages);
    }
    return stages;
  }
}
