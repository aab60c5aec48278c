import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, type CoreV1Event } from '@kubernetes/client-node';
import type { ConsentSigner } from '../../lib/contract/zone-approvers.js';
import type { ContractRepositoryClient } from '../../lib/contract/contract-repository-client.js';
import type { PkiRootRotationClient } from '../../lib/identity/pki-root-rotation-client.js';
import { isKubeStatus, KubeStatus } from '../../lib/kube/kube-errors.js';
import type { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { clusterScopedEventNamespace } from '../../lib/kube/trust-contract-api.js';
import {
  bundleSecretName,
  bundleSecretKeys,
  bundleSecretSelector,
} from '../../lib/bundle/bundle-secret-layout.js';
import type { RunningProvider } from '../../contract-provider/start-contract-provider.js';
import { clientNodeApi, isClientNodeStatus } from '../kube/client-node-api.js';
import type { KubeApiServer } from '../kube/kube-api-server.js';
import { kubectl } from '../kube/kubectl.js';
import type { StartedZonePki } from '../../demo/loopback-zone-pki.js';
import type { ParticipantRootsStatus } from '../../operator/trust-contract/trust-contract-crd.js';
import type { OperatorReplica } from './operator-replica.js';
import type { TrustContractManifest } from './trust-contract-manifest.js';

/** The operator's namespace in every zone cluster: Lease, root Secrets, the PKI's CA Secret. */
export const accordNamespace = 'accord';
/** The mesh namespace: where each zone's provider writes the bundle Secrets. */
export const meshNamespace = 'mesh';
/** The Lease the replicas of a zone's operator elect their leader with. */
export const operatorLeaseName = 'accord-operator';

/** What the API server stores of a TrustContract that the tests read. */
export interface TrustContractResource {
  metadata: { name: string; generation?: number; finalizers?: string[]; deletionTimestamp?: string };
  status?: {
    observedGeneration?: number;
    state?: string;
    approvedBy?: string[];
    approvalSummary?: string;
    participants?: ParticipantRootsStatus[];
    rotatingParticipants?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

/** `type → "<status> <reason>"` of every condition of `resource` (none when it is absent). */
export function conditionsOf(resource: TrustContractResource | undefined): Record<string, string> {
  return Object.fromEntries(
    (resource?.status?.conditions ?? []).map((condition) => [
      condition.type,
      `${condition.status} ${condition.reason}`,
    ]),
  );
}

/** The parts of a zone the harness started, from which `MeshZone` is built. */
export interface MeshZoneParts {
  readonly name: string;
  readonly trustDomain: string;
  readonly cluster: KubeApiServer;
  /** Accord's client (keep-alive): the Secret reads a measurement polls. */
  readonly core: KubeCoreApi;
  readonly pki: StartedZonePki;
  readonly rootPem: string;
  readonly provider: RunningProvider;
  /** The repository as this zone's `/accord/admin`: approvals without the operator, audit reads. */
  readonly repository: ContractRepositoryClient;
  /** The admin's current SVID as a consent signer. */
  readonly adminSigner: () => Promise<ConsentSigner>;
  /** The zone PKI's root rotation calls, made as the zone's `/accord/admin`. */
  readonly rootRotation: PkiRootRotationClient;
  /** Where manifests this zone applies are written. */
  readonly directory: string;
}

/**
 * One zone of the two-cluster mesh as a test sees it: its own API server (applied with the real
 * kubectl, read with the API client), its PKI and provider in this process, and its operator
 * replicas as child processes.
 */
export class MeshZone {
  readonly name: string;
  readonly trustDomain: string;
  readonly cluster: KubeApiServer;
  readonly core: KubeCoreApi;
  readonly pki: StartedZonePki;
  readonly rootPem: string;
  readonly provider: RunningProvider;
  readonly repository: ContractRepositoryClient;
  readonly adminSigner: () => Promise<ConsentSigner>;
  readonly rootRotation: PkiRootRotationClient;
  /** The running replicas; the harness replaces one it restarts. */
  readonly operators: OperatorReplica[] = [];
  readonly #objects: CustomObjectsApi;
  readonly #coordination: CoordinationV1Api;
  readonly #events: CoreV1Api;
  readonly #directory: string;

  constructor(parts: MeshZoneParts) {
    this.name = parts.name;
    this.trustDomain = parts.trustDomain;
    this.cluster = parts.cluster;
    this.core = parts.core;
    this.pki = parts.pki;
    this.rootPem = parts.rootPem;
    this.provider = parts.provider;
    this.repository = parts.repository;
    this.adminSigner = parts.adminSigner;
    this.rootRotation = parts.rootRotation;
    this.#directory = parts.directory;
    const kubeconfig = parts.cluster.adminKubeconfig;
    this.#objects = clientNodeApi(kubeconfig, CustomObjectsApi);
    this.#coordination = clientNodeApi(kubeconfig, CoordinationV1Api);
    this.#events = clientNodeApi(kubeconfig, CoreV1Api);
  }

  /** `kubectl apply -f <file>` of the manifest, as the zone's admin; throws with kubectl's message. */
  async apply(manifest: TrustContractManifest): Promise<void> {
    const directory = join(this.#directory, 'manifests');
    await mkdir(directory, { recursive: true });
    const file = join(directory, `${manifest.metadata.name}.json`);
    await writeFile(file, JSON.stringify(manifest));
    await this.#kubectl('apply', '-f', file);
  }

  /** `kubectl delete trustcontract <id> --wait=false`: returns once deletion is requested. */
  async deleteTrustContract(id: string): Promise<void> {
    await this.#kubectl('delete', 'trustcontract', id, '--wait=false');
  }

  /** Creates a TrustContract through the API (bulk loads, where a kubectl process per object would dominate). */
  async createTrustContract(manifest: TrustContractManifest): Promise<void> {
    await this.#objects.createClusterCustomObject({
      group: 'accord.dev',
      version: 'v1alpha1',
      plural: 'trustcontracts',
      body: manifest,
    });
  }

  /** The TrustContract as stored, or undefined once it is gone. */
  async trustContract(id: string): Promise<TrustContractResource | undefined> {
    try {
      return (await this.#objects.getClusterCustomObject({
        group: 'accord.dev',
        version: 'v1alpha1',
        plural: 'trustcontracts',
        name: id,
      })) as TrustContractResource;
    } catch (error) {
      if (isClientNodeStatus(error, KubeStatus.notFound)) return undefined;
      throw error;
    }
  }

  /** Every TrustContract of the cluster, page by page. */
  async trustContracts(): Promise<TrustContractResource[]> {
    const items: TrustContractResource[] = [];
    let next: string | undefined;
    do {
      const page = (await this.#objects.listClusterCustomObject({
        group: 'accord.dev',
        version: 'v1alpha1',
        plural: 'trustcontracts',
        limit: 500,
        ...(next === undefined ? {} : { _continue: next }),
      })) as { items: TrustContractResource[]; metadata?: { _continue?: string; continue?: string } };
      items.push(...page.items);
      const token = page.metadata?.continue ?? page.metadata?._continue;
      next = token === undefined || token === '' ? undefined : token;
    } while (next !== undefined);
    return items;
  }

  /** Reads a root PEM from a Secret key of this cluster, as the operator's `ReadRoot` does. */
  async readSecretKey(namespace: string, name: string, key: string): Promise<string | undefined> {
    try {
      const encoded = (await this.core.readNamespacedSecret({ namespace, name })).data?.[key];
      return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.notFound)) return undefined;
      throw error;
    }
  }

  /** The roots PEM of `partner` in this zone's bundle Secret, or undefined while there is none. */
  async partnerBundlePem(partner: MeshZone): Promise<string | undefined> {
    return this.readSecretKey(
      meshNamespace,
      bundleSecretName(partner.trustDomain),
      bundleSecretKeys.rootsPem,
    );
  }

  /** Whether this zone's bundle Secret for `partner` holds exactly the partner's root. */
  async trustsPartner(partner: MeshZone): Promise<boolean> {
    return (await this.partnerBundlePem(partner))?.trim() === partner.rootPem.trim();
  }

  /** name → resourceVersion of every bundle Secret (the provider's label) in the mesh namespace. */
  async bundleSecretVersions(): Promise<Record<string, string | undefined>> {
    const list = await this.core.listNamespacedSecret({
      namespace: meshNamespace,
      labelSelector: bundleSecretSelector,
    });
    return Object.fromEntries(
      list.items.map((secret) => [secret.metadata?.name ?? '', secret.metadata?.resourceVersion]),
    );
  }

  /** The Lease's `holderIdentity`: the replica that leads now, if any. */
  async leaseHolder(): Promise<string | undefined> {
    try {
      const lease = await this.#coordination.readNamespacedLease({
        name: operatorLeaseName,
        namespace: accordNamespace,
      });
      const holder = lease.spec?.holderIdentity;
      return holder === undefined || holder === '' ? undefined : holder;
    } catch (error) {
      if (isClientNodeStatus(error, KubeStatus.notFound)) return undefined;
      throw error;
    }
  }

  /** The replica holding the Lease, if it is one of the running ones. */
  async leader(): Promise<OperatorReplica | undefined> {
    const holder = await this.leaseHolder();
    return this.operators.find((replica) => replica.identity === holder);
  }

  /** The Events about TrustContract `id` (the operator records them in `default`), oldest first. */
  async events(id: string): Promise<CoreV1Event[]> {
    const list = await this.#events.listNamespacedEvent({ namespace: clusterScopedEventNamespace });
    return list.items
      .filter((event) => event.involvedObject.kind === 'TrustContract' && event.involvedObject.name === id)
      .sort((left, right) => eventTime(left) - eventTime(right));
  }

  async #kubectl(...args: string[]): Promise<void> {
    const result = await kubectl(this.cluster.adminKubeconfig, ...args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} in ${this.name}: ${result.stderr}`);
  }
}

function eventTime(event: CoreV1Event): number {
  const time =
    event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  return time === undefined ? 0 : new Date(time).getTime();
}
