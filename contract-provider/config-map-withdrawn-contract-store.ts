import type { KubeCoreApi } from '../lib/kube/kube-core-api.js';
import type { V1ConfigMap } from '../lib/kube/kube-objects.js';
import { isKubeStatus, KubeStatus } from '../lib/kube/kube-errors.js';
import type { WithdrawnContractStore } from './withdrawn-contract-store.js';
import { WithdrawnContracts } from './withdrawn-contracts.js';

/** The ConfigMap key holding the memory document. */
export const withdrawnContractsConfigMapKey = 'withdrawn-contracts.json';

/**
 * The calls the store makes: a `KubeCoreApi` in production; narrow so that tests can fail them
 * around a real one.
 */
export type ConfigMapApi = Pick<
  KubeCoreApi,
  'readNamespacedConfigMap' | 'createNamespacedConfigMap' | 'replaceNamespacedConfigMap'
>;

/**
 * Cluster mode's memory: one ConfigMap (`withdrawn-contracts.json`) in the provider's namespace,
 * stored in etcd, so it survives the provider pod. Writes are optimistic: create when absent,
 * otherwise replace under the resourceVersion last read; on a conflict (another writer, or a
 * ConfigMap created meanwhile) the stored memory is read again, merged (a union: withdrawals are
 * only ever added) and written again. RBAC: `get` and `update` on this ConfigMap, `create` on
 * ConfigMaps in the namespace.
 */
export class ConfigMapWithdrawnContractStore implements WithdrawnContractStore {
  readonly #core: ConfigMapApi;
  readonly #namespace: string;
  readonly #name: string;
  #resourceVersion: string | undefined;

  constructor(core: ConfigMapApi, location: { namespace: string; name: string }) {
    this.#core = core;
    this.#namespace = location.namespace;
    this.#name = location.name;
  }

  async load(): Promise<WithdrawnContracts> {
    return (await this.#read()) ?? new WithdrawnContracts();
  }

  async save(memory: WithdrawnContracts): Promise<void> {
    let next = memory;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#write(next);
        return;
      } catch (error) {
        if (!isKubeStatus(error, KubeStatus.conflict) || attempt >= maxWriteAttempts) throw error;
      }
      const stored = await this.#read();
      if (stored !== undefined) next = next.with(stored.entries());
    }
  }

  /** The stored memory (recording its resourceVersion), or undefined when there is no ConfigMap. */
  async #read(): Promise<WithdrawnContracts | undefined> {
    let configMap: V1ConfigMap;
    try {
      configMap = await this.#core.readNamespacedConfigMap({ namespace: this.#namespace, name: this.#name });
    } catch (error) {
      if (!isKubeStatus(error, KubeStatus.notFound)) throw error;
      this.#resourceVersion = undefined;
      return undefined;
    }
    this.#resourceVersion = configMap.metadata?.resourceVersion;
    const source = `ConfigMap ${this.#namespace}/${this.#name}`;
    const text = configMap.data?.[withdrawnContractsConfigMapKey];
    if (text === undefined) throw new Error(`${source}: no ${withdrawnContractsConfigMapKey} key`);
    return WithdrawnContracts.parse(text, source);
  }

  async #write(memory: WithdrawnContracts): Promise<void> {
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.#name,
        namespace: this.#namespace,
        labels: memoryLabels,
        ...(this.#resourceVersion === undefined ? {} : { resourceVersion: this.#resourceVersion }),
      },
      data: { [withdrawnContractsConfigMapKey]: memory.serialize() },
    };
    const written =
      this.#resourceVersion === undefined
        ? await this.#core.createNamespacedConfigMap({ namespace: this.#namespace, body })
        : await this.#core.replaceNamespacedConfigMap({ namespace: this.#namespace, name: this.#name, body });
    this.#resourceVersion = written.metadata?.resourceVersion;
  }
}

/** Enough for any realistic contention between two providers of one zone. */
const maxWriteAttempts = 5;

const memoryLabels = {
  'app.kubernetes.io/name': 'accord',
  'app.kubernetes.io/component': 'contract-provider',
};
