import type { Registry } from 'prom-client';
import { KubeAdmissionRegistrationApi } from '../../lib/kube/kube-admission-registration-api.js';
import type { KubeClient } from '../../lib/kube/kube-client.js';
import { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { KubeCustomObjectsApi } from '../../lib/kube/kube-custom-objects-api.js';
import type { Logger } from '../../lib/log/logger.js';
import type { Clock } from '../../lib/time/clock.js';
import type { Timers } from '../../lib/time/timers.js';
import type { OperatorConfig } from '../operator-config.js';
import type { InjectionSettings } from './inject-pod.js';
import { InjectionMetrics } from './injection-metrics.js';
import { type RunningInjectionWebhook, startInjectionWebhook } from './injection-webhook.js';
import { kubeMeshWorkloadLister } from './kube-mesh-workload-lister.js';
import { WebhookCertificateManager } from './webhook-certificate.js';
import { injectionWebhookName } from './webhook-configuration.js';

/**
 * The version of what injection adds to a pod, the value of `accord.dev/injected`: raised when the
 * injected containers or volumes change shape, so that pods injected by an older template can be
 * found (`kubectl get pods -l …` by annotation) and restarted.
 */
export const injectionTemplateVersion = '3';

/**
 * The MeshWorkload list of one admission must leave time for the rest of the call inside the
 * API server's webhook timeout (10 s).
 */
const listTimeoutMs = 5000;

/** Builds the injection settings of the operator config. */
export function injectionSettings(injection: NonNullable<OperatorConfig['injection']>): InjectionSettings {
  const { envoy, translator } = injection;
  return {
    version: injectionTemplateVersion,
    accordNamespace: injection.namespace,
    envoy: {
      image: envoy.image,
      inboundPort: envoy.inboundPort,
      outboundPort: envoy.outboundPort,
      ...(envoy.resources === undefined ? {} : { resources: withoutUndefined(envoy.resources) }),
    },
    translator: {
      image: translator.image,
      ...(translator.resources === undefined ? {} : { resources: withoutUndefined(translator.resources) }),
    },
  };
}

function withoutUndefined(resources: {
  requests?: Record<string, string> | undefined;
  limits?: Record<string, string> | undefined;
}): { requests?: Record<string, string>; limits?: Record<string, string> } {
  return {
    ...(resources.requests === undefined ? {} : { requests: resources.requests }),
    ...(resources.limits === undefined ? {} : { limits: resources.limits }),
  };
}

/**
 * Starts the injection webhook from the operator config, on the operator's Kubernetes client
 * (every call with a deadline). The MeshWorkloads are listed from the API server on each
 * admission; an informer cache is the planned replacement (docs/injection.md).
 */
export async function startInjectionFromConfig(
  config: OperatorConfig,
  dependencies: { kube: KubeClient; logger: Logger; registry: Registry; clock: Clock; timers: Timers },
): Promise<RunningInjectionWebhook | undefined> {
  const injection = config.injection;
  if (injection === undefined) return undefined;
  const logger = dependencies.logger.child({ subsystem: 'injection' });
  const service = `${injection.serviceName}.${injection.namespace}`;
  const certificates = new WebhookCertificateManager({
    core: new KubeCoreApi(dependencies.kube),
    admissionRegistration: new KubeAdmissionRegistrationApi(dependencies.kube),
    location: {
      namespace: injection.namespace,
      secretName: injection.secretName,
      webhookConfigurationName: injection.webhookConfigurationName,
      webhookName: injectionWebhookName,
    },
    subject: { dnsNames: [`${service}.svc`, `${service}.svc.cluster.local`] },
    validityMs: injection.certificateValidityMs,
    now: () => dependencies.clock.now(),
    logger,
  });
  return startInjectionWebhook({
    host: injection.host,
    port: injection.port,
    certificates,
    listMeshWorkloads: kubeMeshWorkloadLister(
      new KubeCustomObjectsApi(dependencies.kube.withTimeout(listTimeoutMs)),
      logger,
    ),
    settings: injectionSettings(injection),
    metrics: new InjectionMetrics(dependencies.registry),
    timers: dependencies.timers,
    logger,
    checkIntervalMs: injection.certificateCheckIntervalMs,
  });
}
