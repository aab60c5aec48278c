import type { KubeClient } from '../../lib/kube/kube-client.js';
import type { TrustContractApi } from '../../lib/kube/trust-contract-api.js';
import type { Logger } from '../../lib/log/logger.js';
import type { Clock } from '../../lib/time/clock.js';
import type { Timers } from '../../lib/time/timers.js';
import type { OperatorConfig } from '../operator-config.js';
import { kubeMeshWorkloadApi } from './kube-mesh-workload-api.js';
import { MeshWorkloadController } from './mesh-workload-controller.js';

/**
 * The MeshWorkload controller of the operator config (not started), or `undefined` when injection
 * is off: without the webhook no pod carries sidecars, so there is nothing to render for.
 */
export function meshWorkloadControllerFromConfig(
  config: OperatorConfig,
  dependencies: {
    /** The operator's Kubernetes client. */
    kube: KubeClient;
    trustContracts: TrustContractApi;
    /** The zone's current roots (PEM), from the operator's SVID. */
    zoneRootsPem: () => string;
    clock: Clock;
    timers: Timers;
    logger: Logger;
  },
): MeshWorkloadController | undefined {
  const injection = config.injection;
  if (injection === undefined) return undefined;
  return new MeshWorkloadController({
    api: kubeMeshWorkloadApi(dependencies.kube, dependencies.timers),
    trustContracts: dependencies.trustContracts,
    settings: {
      zoneTrustDomain: config.zone.trustDomain,
      pkiAddress: injection.pkiAddress ?? config.pkiAddress,
      zoneRootsPem: dependencies.zoneRootsPem,
      envoy: { inboundPort: injection.envoy.inboundPort, outboundPort: injection.envoy.outboundPort },
    },
    remoteZones: injection.remoteZones,
    clock: dependencies.clock,
    timers: dependencies.timers,
    logger: dependencies.logger.child({ subsystem: 'mesh-workloads' }),
    resyncIntervalMs: config.resyncIntervalMs,
    backoff: config.backoff,
  });
}
