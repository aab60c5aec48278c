import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeAuditRecord } from '../../lib/contract/audit-chain.js';
import type { ContractRepositoryClient } from '../../lib/contract/contract-repository-client.js';
import { CoreV1Api } from '@kubernetes/client-node';
import { coreApiClient } from '../../lib/kube/kube-client.js';
import type { Logger } from '../../lib/log/logger.js';
import { spiffeIdOf } from '../../lib/spiffe/spiffe-id.js';
import { installAccordCrds } from '../kube/accord-crds.js';
import { clientNodeApi } from '../kube/client-node-api.js';
import { type KubeApiServer, startKubeApiServer } from '../kube/kube-api-server.js';
import {
  type HubStore,
  type LoopbackHub,
  repositoryServerId,
  startLoopbackHub,
  startZoneAdmin,
  startZoneProvider,
} from '../../demo/loopback-hub.js';
import { startZonePki, type StartedZonePki } from '../../demo/loopback-zone-pki.js';
import { accordNamespace, MeshZone, meshNamespace, operatorLeaseName } from './mesh-zone.js';
import { startOperatorReplica, writeOperatorConfig, type OperatorReplica } from './operator-replica.js';
import {
  rootSecretLocation,
  trustContractManifest,
  type TrustContractManifest,
} from './trust-contract-manifest.js';
import { pollUntil } from './poll-until.js';

/** Namespace of zone-a's cluster that holds the repository's audit log (one ConfigMap per entry). */
export const hubNamespace = 'accord-hub';

/** Name of the Secret in each zone's `accord` namespace that holds the zone PKI's CA state. */
export const pkiCaSecretName = 'accord-pki-ca';

const operatorPath = '/accord/operator';
const adminPath = '/accord/admin';
const providerPath = '/accord/contract-provider';
const zoneNames = ['zone-a', 'zone-b'] as const;

/** How the mesh is started. */
export interface TwoClusterMeshOptions {
  /** Receives every file of the run (tokens, config files, SVIDs, operator logs, manifests). */
  readonly directory: string;
  readonly logger: Logger;
  /** Operator replicas per zone (child processes); 0 starts none. Defaults to 2. */
  readonly operatorReplicas?: number;
  /** The operators' periodic resync; short by default so conditions converge within seconds. */
  readonly operatorResyncIntervalMs?: number;
  /** The operators' log level; `info` by default. */
  readonly operatorLogLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** `PkiConfig` fields for both zone PKIs (e.g. short `svidTtl`, `storeReloadInterval`). */
  readonly pki?: Readonly<Record<string, unknown>>;
  /** How often the repository re-reads the zones' roots (a rotation's next root); its default if unset. */
  readonly repositoryReloadInterval?: string;
}

/**
 * Two zone clusters and a hub on loopback: zone-a and zone-b each with a real kube-apiserver + etcd
 * (CRDs installed, namespaces `accord` and `mesh`), a zone PKI whose root CA lives in a Secret of
 * its own cluster, a contract provider writing bundle Secrets into its own `mesh` namespace, and
 * operator replicas as child processes electing a leader over a Lease in `accord`. The hub PKI
 * and the contract repository run in this process; the repository keeps its audit log in
 * zone-a's API server (`kubernetesStore`, namespace `accord-hub`).
 */
export interface TwoClusterMesh {
  readonly directory: string;
  readonly zones: readonly [MeshZone, MeshZone];
  readonly hub: LoopbackHub;
  /** The TrustContract `id` between zone-a and zone-b as `appliedIn` writes it. */
  manifest(id: string, appliedIn: MeshZone): TrustContractManifest;
  /** Starts one more operator replica of `zone` with leader-election identity `identity`. */
  startOperator(zone: MeshZone, identity: string): OperatorReplica;
  /** The audit log's entries about `contractId`, oldest first, as `action actor`. */
  auditTrail(contractId: string): Promise<string[]>;
  /** `wait`'s result, or its error followed by the operators' last 15 log lines. */
  explained<T>(wait: Promise<T>): Promise<T>;
  /** Stops the operators, the providers, the hub, the PKIs and both clusters. */
  close(): Promise<void>;
}

/** Lease timings short enough that a killed leader is replaced within a few seconds. */
const leaderElection = { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '500ms' };
const defaultOperatorResyncIntervalMs = 3000;
const startupTimeoutMs = 60_000;
const auditPageSize = 500;

/** Starts the mesh; see `TwoClusterMesh`. Everything runs on 127.0.0.1 with ports chosen by the OS. */
export async function startTwoClusterMesh(options: TwoClusterMeshOptions): Promise<TwoClusterMesh> {
  const { directory, logger } = options;
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
    closers.length = 0;
  };
  try {
    const clusters = await startClusters(closers);
    const [clusterA] = clusters;
    const cores = clusters.map((cluster) => coreApiClient(cluster.adminKubeconfig));
    await Promise.all(
      clusters.map(async (cluster, index) => {
        await installAccordCrds(cluster.adminKubeconfig);
        const namespaces = [accordNamespace, meshNamespace, ...(index === 0 ? [hubNamespace] : [])];
        const setup = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
        for (const name of namespaces) await setup.createNamespace({ body: { metadata: { name } } });
      }),
    );

    const pkis: StartedZonePki[] = [];
    for (const cluster of clusters) {
      const pki = await startZonePki({
        directory,
        name: cluster.name,
        trustDomain: `${cluster.name}.example`,
        spiffePaths: [providerPath, operatorPath, adminPath],
        logger,
        caSecret: {
          namespace: accordNamespace,
          name: pkiCaSecretName,
          kubeconfig: cluster.adminKubeconfig,
        },
        ...(options.pki === undefined ? {} : { config: options.pki }),
      });
      closers.push(() => pki.pki.close());
      pkis.push(pki);
    }
    const hubStore: HubStore = {
      kubernetesStore: { namespace: hubNamespace, kubeconfig: clusterA.adminKubeconfig },
    };
    const hub = await startLoopbackHub({
      directory,
      logger,
      // zone-a's operator proposes (as in the brief); zone-a's admin only reads the audit log here.
      admins: [spiffeIdOf('zone-a.example', operatorPath).uri, spiffeIdOf('zone-a.example', adminPath).uri],
      zones: pkis,
      store: hubStore,
      ...(options.repositoryReloadInterval === undefined
        ? {}
        : { reloadInterval: options.repositoryReloadInterval }),
    });
    closers.push(() => hub.close());

    const zones: MeshZone[] = [];
    for (const [index, pki] of pkis.entries()) {
      const cluster = clusters[index];
      const core = cores[index];
      if (cluster === undefined || core === undefined) throw new Error('one cluster per zone');
      const zoneDirectory = join(directory, pki.name);
      const provider = await startZoneProvider(
        hub,
        pki,
        {
          kubernetesSecrets: { namespaces: [meshNamespace], kubeconfig: cluster.adminKubeconfig },
          memory: { configMap: { namespace: accordNamespace, name: 'accord-contract-provider-memory' } },
        },
        logger,
      );
      closers.push(() => provider.close());
      const admin = await startZoneAdmin(hub, pki, {
        spiffePath: adminPath,
        directory: join(zoneDirectory, 'admin'),
        logger,
      });
      closers.push(() => admin.close());
      zones.push(
        new MeshZone({
          name: pki.name,
          trustDomain: pki.trustDomain,
          cluster,
          core,
          pki,
          rootPem: await readFile(pki.rootsFile, 'utf8'),
          provider,
          repository: admin.repository,
          adminSigner: () => admin.signer(),
          rootRotation: admin.rootRotation,
          directory: zoneDirectory,
        }),
      );
    }
    const [zoneA, zoneB] = zones;
    if (zoneA === undefined || zoneB === undefined) throw new Error('the mesh has two zones');
    await publishRoot(zoneA, zoneB);
    await publishRoot(zoneB, zoneA);
    await pollUntil(
      'both providers installed their first snapshot',
      () => Promise.resolve(zones.every((zone) => zone.provider.provider.isReady()) || undefined),
      startupTimeoutMs,
    );

    const configFiles = new Map<MeshZone, string>();
    for (const zone of zones) {
      configFiles.set(zone, await writeZoneOperatorConfig(zone, hub, options));
    }
    const startOperator = (zone: MeshZone, identity: string): OperatorReplica => {
      const configFile = configFiles.get(zone);
      if (configFile === undefined) throw new Error(`${zone.name} is not a zone of this mesh`);
      const replica = startOperatorReplica(configFile, identity, join(directory, zone.name));
      zone.operators.push(replica);
      return replica;
    };
    closers.push(async () => {
      await Promise.all(zones.flatMap((zone) => zone.operators.map((replica) => replica.process.stop())));
    });
    const replicas = options.operatorReplicas ?? 2;
    for (const zone of zones) {
      for (let index = 0; index < replicas; index += 1) startOperator(zone, `${zone.name}-operator-${index}`);
    }
    if (replicas > 0) {
      for (const zone of zones) await untilLeaderElected(zone);
    }

    return {
      directory,
      zones: [zoneA, zoneB],
      hub,
      manifest: (id, appliedIn) => trustContractManifest(id, [zoneA, zoneB], appliedIn, accordNamespace),
      startOperator,
      auditTrail: (contractId) => auditTrail(zoneA.repository, contractId),
      explained: async (wait) => {
        try {
          return await wait;
        } catch (error) {
          throw new Error(`${String(error)}\n${await operatorLogTails(zones, 15)}`);
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Waits until each zone's bundle Secret for the other holds the other's root (`isTrusted`) or no
 * longer exists; `intervalMs` is the resolution of a measurement that ends here.
 */
export async function untilMutualTrust(
  mesh: TwoClusterMesh,
  isTrusted: boolean,
  timeoutMs: number,
  intervalMs?: number,
): Promise<void> {
  const [a, b] = mesh.zones;
  await pollUntil(
    `each zone ${isTrusted ? 'trusts' : 'no longer trusts'} the other`,
    async () => {
      const [aTrustsB, bTrustsA] = await Promise.all([a.trustsPartner(b), b.trustsPartner(a)]);
      return aTrustsB === isTrusted && bTrustsA === isTrusted ? true : undefined;
    },
    timeoutMs,
    intervalMs,
  );
}

/** Starts zone-a's and zone-b's API servers at once; if one fails, stops the other. */
async function startClusters(
  closers: (() => Promise<void> | void)[],
): Promise<readonly [KubeApiServer, KubeApiServer]> {
  const started = await Promise.allSettled(zoneNames.map((name) => startKubeApiServer({ name })));
  for (const result of started) if (result.status === 'fulfilled') closers.push(() => result.value.stop());
  const [a, b] = started;
  if (a === undefined || b === undefined) throw new Error('two clusters were started');
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return [a.value, b.value];
}

/** Stores `zone`'s root in `partner`'s cluster, where TrustContracts applied there reference it. */
async function publishRoot(zone: MeshZone, partner: MeshZone): Promise<void> {
  const location = rootSecretLocation(accordNamespace, zone.name);
  await partner.core.createNamespacedSecret({
    namespace: location.namespace,
    body: { metadata: { name: location.name }, stringData: { [location.key]: zone.rootPem } },
  });
}

/**
 * The config file both replicas of `zone` read. The operators use the cluster's admin kubeconfig:
 * this harness tests the control loop across clusters, not the chart's RBAC (charts/accord's tests
 * cover that).
 */
async function writeZoneOperatorConfig(
  zone: MeshZone,
  hub: LoopbackHub,
  options: TwoClusterMeshOptions,
): Promise<string> {
  return writeOperatorConfig(join(options.directory, zone.name, 'operator.yaml'), {
    zone: { name: zone.name, trustDomain: zone.trustDomain },
    repositoryAddress: hub.repositoryAddress,
    repositoryCaFile: hub.rootsFile,
    repositoryServerId,
    pkiAddress: zone.pki.pkiAddress,
    pkiCaFile: zone.pki.rootsFile,
    bootstrapTokenFile: zone.pki.tokenFile(operatorPath),
    kubeconfig: zone.cluster.adminKubeconfig,
    rootNamespace: accordNamespace,
    leaderElection: {
      enabled: true,
      namespace: accordNamespace,
      leaseName: operatorLeaseName,
      ...leaderElection,
    },
    resyncInterval: `${String(options.operatorResyncIntervalMs ?? defaultOperatorResyncIntervalMs)}ms`,
    backoff: { initialDelay: '100ms', maxDelay: '2s' },
    ops: { port: 0 },
    log: { level: options.operatorLogLevel ?? 'info', format: 'json' },
  });
}

/** Waits until one of `zone`'s replicas holds the Lease; fails early if a replica died. */
async function untilLeaderElected(zone: MeshZone): Promise<OperatorReplica> {
  return pollUntil(
    `${zone.name}: an operator replica holds the Lease`,
    async () => {
      const dead = zone.operators.find((replica) => replica.process.exitReason() !== undefined);
      if (dead !== undefined) throw new Error(dead.process.exitReason());
      return zone.leader();
    },
    startupTimeoutMs,
  );
}

/** Reads the whole audit log as an admin and keeps the entries about `contractId`. */
async function auditTrail(repository: ContractRepositoryClient, contractId: string): Promise<string[]> {
  const trail: string[] = [];
  for (let start = 1; ; start += auditPageSize) {
    const page = await repository.auditLog(start, auditPageSize);
    for (const entry of page.entries) {
      const record = decodeAuditRecord(entry.record);
      if (record.contractId === contractId) trail.push(`${record.action} ${record.actor}`);
    }
    if (page.entries.length < auditPageSize || start + auditPageSize > page.headSequence) return trail;
  }
}

async function operatorLogTails(zones: readonly MeshZone[], lineCount: number): Promise<string> {
  const tails = await Promise.all(
    zones.flatMap((zone) =>
      zone.operators.map(async (replica) => {
        const text = await readFile(replica.logFile, 'utf8').catch(() => '');
        const lines = text.trimEnd().split('\n').slice(-lineCount);
        const state = replica.process.exitReason() ?? 'running';
        return `--- ${replica.identity} (${state.split(';')[0] ?? state}):\n${lines.join('\n')}`;
      }),
    ),
  );
  return tails.join('\n');
}
