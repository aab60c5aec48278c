import type { Registry } from 'prom-client';
import { contractRepositoryOverGrpc } from '../lib/contract/contract-repository-client.js';
import { createGrpcClient } from '../lib/grpc/grpc-client.js';
import { startOpsServer } from '../lib/http/ops-server.js';
import { startZoneIdentity } from '../lib/identity/zone-identity.js';
import { connectKube } from '../lib/kube/kube-client.js';
import { KubeCoordinationApi } from '../lib/kube/kube-coordination-api.js';
import { KubeCoreApi } from '../lib/kube/kube-core-api.js';
import { LeaseLeaderElector } from '../lib/kube/lease-leader-election.js';
import { kubeTrustContractApi } from '../lib/kube/trust-contract-api.js';
import type { Logger } from '../lib/log/logger.js';
import type { Clock } from '../lib/time/clock.js';
import { systemTimers, type Timers } from '../lib/time/timers.js';
import { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import { startInjectionFromConfig } from './injection/start-injection.js';
import { kubeRootReader } from './trust-contract/kube-root-reader.js';
import type { MeshWorkloadController } from './mesh-workload/mesh-workload-controller.js';
import { meshWorkloadControllerFromConfig } from './mesh-workload/start-mesh-workloads.js';
import type { OperatorConfig } from './operator-config.js';
import { OperatorMetrics } from './operator-metrics.js';
import {
  reconcileTrustContract,
  type TrustContractReconcilerDeps,
} from './trust-contract/reconcile-trust-contract.js';
import { svidApprovalSigner } from './trust-contract/svid-approval-signer.js';
import { pkiConsentTimestamper } from '../lib/identity/pki-consent-signer.js';
import { PkiService } from '../proto/gen/accord/pki/v1/pki_pb.js';
import { TrustContractController } from './trust-contract/trust-contract-controller.js';
import { concatenatePems } from '../lib/x509/pem.js';

/** The component name on Events and in logs. */
export const operatorComponent = 'accord-operator';

/** A running operator: its ops port, whether it leads, and how to stop everything it started. */
export interface RunningOperator {
  readonly opsPort: number;
  /** True while this replica reconciles (it holds the Lease, or leader election is off). */
  isLeader(): boolean;
  /** Stops the controller, releases the Lease, then closes the clients and the ops server. */
  close(): Promise<void>;
}

/** What `startOperator` gets from its entrypoint (or a test). */
export interface OperatorDependencies {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
  /** Defaults to the real timers. */
  readonly timers?: Timers;
}

/**
 * Wires the operator from its config: an SVID from the zone PKI (bootstrap token, renewed at 2/3
 * of its life) that both authenticates to the repository and signs this zone's approvals, the
 * Kubernetes clients (every call with a deadline), leader election over a Lease, and the
 * TrustContract controller and (with injection on) the MeshWorkload controller, which run only
 * while this replica leads. Readiness: an SVID, and
 * either following or leading with the TrustContracts listed once. Used by `main.ts` and tests.
 */
export async function startOperator(
  config: OperatorConfig,
  dependencies: OperatorDependencies,
): Promise<RunningOperator> {
  const { logger, registry, clock } = dependencies;
  const timers = dependencies.timers ?? systemTimers;
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const { svids, repositoryTls } = await startZoneIdentity(config, { clock, timers, logger });
    closers.push(() => svids.stop());
    // The zone PKI as the operator (a designated approver): it timestamps the zone's consent.
    const pki = createGrpcClient(PkiService, config.pkiAddress, () => {
      const { rootsPem, certificatePem, privateKeyPem } = svids.current();
      return { caPems: rootsPem, certificatePem, privateKeyPem };
    });
    closers.push(() => pki.close());
    const approvals = await svidApprovalSigner(svids, pkiConsentTimestamper(pki), logger);
    closers.push(approvals.stop);
    const repository = contractRepositoryOverGrpc(
      createGrpcClient(ContractService, config.repositoryAddress, repositoryTls),
    );
    closers.push(() => repository.close());

    const metrics = new OperatorMetrics(registry);
    // One client for every Kubernetes call: its connections are reused by all of them.
    const kube = connectKube(config.kubeconfig);
    closers.push(() => kube.close());
    const api = kubeTrustContractApi(kube, {
      component: operatorComponent,
      instance: config.leaderElection.identity,
      clock,
      timers,
    });
    const reconcilerDeps: TrustContractReconcilerDeps = {
      repository,
      localZone: {
        ...(config.zone.name === undefined ? {} : { name: config.zone.name }),
        trustDomain: config.zone.trustDomain,
        signer: approvals.signer,
      },
      readRoot: kubeRootReader(new KubeCoreApi(kube), config.rootNamespace),
      clock,
      logger: logger.child({ subsystem: 'reconcile' }),
      unavailableBackoff: config.backoff,
    };

    let controller: TrustContractController | undefined;
    let meshWorkloads: MeshWorkloadController | undefined;
    const runController = (): TrustContractController => {
      // Injection on: the sidecar configs, workload status and Service target ports, leader only.
      meshWorkloads = meshWorkloadControllerFromConfig(config, {
        kube,
        trustContracts: api,
        zoneRootsPem: () => concatenatePems(svids.current().rootsPem),
        clock,
        timers,
        logger,
      });
      meshWorkloads?.start();
      const started = new TrustContractController({
        api,
        reconcile: (raw, failedAttempts) => reconcileTrustContract(raw, reconcilerDeps, failedAttempts),
        metrics,
        clock,
        timers,
        logger: logger.child({ subsystem: 'controller' }),
        resyncIntervalMs: config.resyncIntervalMs,
        backoff: config.backoff,
      });
      controller = started;
      started.start();
      return started;
    };
    const stopController = async () => {
      const running = controller;
      const runningMeshWorkloads = meshWorkloads;
      controller = undefined;
      meshWorkloads = undefined;
      await Promise.all([running?.stop(), runningMeshWorkloads?.stop()]);
    };

    let elector: LeaseLeaderElector | undefined;
    if (config.leaderElection.enabled) {
      const election = config.leaderElection;
      if (election.namespace === undefined) throw new Error('leaderElection.namespace is required');
      const started = new LeaseLeaderElector({
        leases: new KubeCoordinationApi(kube),
        namespace: election.namespace,
        leaseName: election.leaseName,
        identity: election.identity,
        leaseDurationMs: election.leaseDurationMs,
        renewDeadlineMs: election.renewDeadlineMs,
        retryPeriodMs: election.retryPeriodMs,
        clock,
        timers,
        logger: logger.child({ subsystem: 'leader-election' }),
      });
      elector = started;
      started.start({
        onStartedLeading: (leadership) => {
          metrics.isLeader(true);
          const leading = runController();
          const leadingMeshWorkloads = meshWorkloads;
          leadership.addEventListener('abort', () => {
            metrics.isLeader(false);
            if (controller === leading) controller = undefined;
            if (meshWorkloads === leadingMeshWorkloads) meshWorkloads = undefined;
            void leading.stop();
            void leadingMeshWorkloads?.stop();
          });
        },
        onStoppedLeading: () => {
          metrics.isLeader(false);
        },
      });
    } else {
      metrics.isLeader(true);
      runController();
    }
    // Order on close (reverse): stop the controller, then release the Lease, then the clients.
    closers.push(async () => {
      await elector?.stop();
      metrics.isLeader(false);
    });
    closers.push(stopController);

    // The injection webhook (off unless configured) runs on every replica, leader or not.
    const injection = await startInjectionFromConfig(config, { kube, logger, registry, clock, timers });
    if (injection !== undefined) closers.push(() => injection.close());

    const isLeader = () => (elector === undefined ? !config.leaderElection.enabled : elector.isLeader());
    const ops = await startOpsServer({
      host: config.ops.host,
      port: config.ops.port,
      registry,
      isReady: () => {
        try {
          svids.current();
        } catch {
          return false;
        }
        if (!isLeader()) return true;
        return controller?.hasSynced() === true && (meshWorkloads?.hasSynced() ?? true);
      },
      logger,
    });
    // Closed first: readiness fails at once while everything else stops.
    closers.push(() => ops.close());
    return {
      opsPort: ops.port,
      isLeader,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
