import { readFile } from 'node:fs/promises';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { InvalidConfigError } from '../lib/config/load-config.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { startGrpcServer, type ServerIdentity } from '../lib/grpc/grpc-server.js';
import { startOpsServer } from '../lib/http/ops-server.js';
import type { Logger } from '../lib/log/logger.js';
import type { TrustBundleSet } from '../lib/spiffe/x509-svid.js';
import type { Clock } from '../lib/time/clock.js';
import type { ContractRepoConfig } from './contract-repo-config.js';
import { ContractRepository } from './contract-repository.js';
import { createContractService } from './contract-service.js';
import type { ContractStore } from './contract-store.js';
import { enrolledZonesVerifier, loadEnrolledRoots } from './enrolled-zones.js';
import { FileContractStore } from './file-contract-store.js';

/** A running repository: its bound ports and a clean stop. */
export interface RunningContractRepo {
  readonly grpcPort: number;
  readonly opsPort: number;
  readonly repository: ContractRepository;
  close(): Promise<void>;
}

/**
 * Builds and starts the repository from its configuration: store, domain, gRPC server with
 * per-trust-domain client verification, ops server, and a periodic re-read of the TLS identity and
 * enrolled roots (so rotated certificates apply without a restart). `main.ts` and in-process
 * tests share this.
 */
export async function startContractRepo(
  config: ContractRepoConfig,
  logger: Logger,
  clock: Clock,
): Promise<RunningContractRepo> {
  const repository = await ContractRepository.open({
    store: await createContractStore(config, logger),
    clock,
    logger,
    admins: config.admins,
    limits: {
      maxContracts: config.limits.maxContracts,
      maxWatchers: config.limits.maxWatchers,
      maxApprovalClockSkewMs: config.limits.maxApprovalClockSkewSeconds * 1000,
    },
    ...(config.kubernetesStore === undefined
      ? {}
      : { followIntervalMs: config.kubernetesStore.followIntervalMs }),
  });
  let roots = await loadEnrolledRoots(config.enrolledZones);
  let identity = await readIdentity(config);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const grpc = await startGrpcServer({
    host: config.listen.host,
    port: config.listen.port,
    identity,
    clientCaPems: roots.clientCaPems,
    verifyPeer: enrolledZonesVerifier((): TrustBundleSet => roots.bundles, clock),
    services: [createContractService(repository)],
    logger,
    metrics: registry,
    maxReceiveMessageBytes: config.limits.maxReceiveMessageBytes,
  });
  const ops = await startOpsServer({
    host: config.ops.host,
    port: config.ops.port,
    registry,
    // A replica that refused an unverifiable entry of the shared log leaves the Service.
    isReady: () => repository.isReady,
    logger,
  });

  const reload = async (): Promise<void> => {
    try {
      const nextIdentity = await readIdentity(config);
      if (
        nextIdentity.certificatePem !== identity.certificatePem ||
        nextIdentity.privateKeyPem !== identity.privateKeyPem
      ) {
        identity = nextIdentity;
        grpc.updateIdentity(identity);
        logger.info('tls identity reloaded');
      }
      const nextRoots = await loadEnrolledRoots(config.enrolledZones);
      if (nextRoots.clientCaPems.join('') !== roots.clientCaPems.join('')) {
        roots = nextRoots;
        grpc.updateClientCas(roots.clientCaPems);
        logger.info('enrolled roots reloaded', { zones: config.enrolledZones.length });
      }
    } catch (error) {
      logger.warn('reload failed, keeping current identity and roots', { error: errorMessage(error) });
    }
  };
  const timer = setInterval(() => void reload(), config.reloadIntervalSeconds * 1000);
  timer.unref();

  return {
    grpcPort: grpc.port,
    opsPort: ops.port,
    repository,
    close: async () => {
      clearInterval(timer);
      await grpc.close();
      await ops.close();
      await repository.close();
    },
  };
}

/**
 * The store the config names: the Kubernetes store when `kubernetesStore` is set, else the file
 * store in `dataDir`. The schema allows exactly one; a config built by hand is checked again here.
 * The Kubernetes store and its client are imported only when used.
 */
export async function createContractStore(
  config: ContractRepoConfig,
  logger: Logger,
): Promise<ContractStore> {
  const { kubernetesStore, dataDir } = config;
  if (kubernetesStore !== undefined) {
    const [{ coreApiClient }, { KubeContractStore }] = await Promise.all([
      import('../lib/kube/kube-client.js'),
      import('./kube-contract-store.js'),
    ]);
    return new KubeContractStore(coreApiClient(kubernetesStore.kubeconfig), kubernetesStore, logger);
  }
  if (dataDir === undefined) throw new InvalidConfigError('dataDir or kubernetesStore must be set');
  return new FileContractStore(dataDir, logger);
}

async function readIdentity(config: ContractRepoConfig): Promise<ServerIdentity> {
  const [certificatePem, privateKeyPem] = await Promise.all([
    readFile(config.tls.certificateFile, 'utf8'),
    readFile(config.tls.privateKeyFile, 'utf8'),
  ]);
  return { certificatePem, privateKeyPem };
}
