import { errorMessage } from '../../lib/errors/accord-error.js';
import type { Logger } from '../../lib/log/logger.js';
import type { TimerHandle, Timers } from '../../lib/time/timers.js';
import type { InjectionSettings } from './inject-pod.js';
import type { InjectionMetrics } from './injection-metrics.js';
import type { MeshWorkload } from '../mesh-workload/mesh-workload.js';
import type { WebhookCertificate, WebhookCertificateManager } from './webhook-certificate.js';
import { startWebhookServer, type WebhookServer } from './webhook-server.js';

/** What the running webhook needs: the certificate manager and the server's inputs. */
export interface InjectionWebhookOptions {
  host: string;
  port: number;
  certificates: Pick<WebhookCertificateManager, 'ensure'>;
  listMeshWorkloads: (namespace: string) => Promise<MeshWorkload[]>;
  settings: InjectionSettings;
  metrics: InjectionMetrics;
  timers: Timers;
  logger: Logger;
  /** How often the certificate and the caBundle are checked (and repaired); default 1 h. */
  checkIntervalMs?: number;
  /**
   * How long a renewed certificate waits before it is served, so that every API server has seen
   * the new caBundle first (it trusts old and new CA meanwhile); default 30 s.
   */
  caBundlePropagationMs?: number;
}

/** A running injection webhook. */
export interface RunningInjectionWebhook {
  readonly port: number;
  /** The certificate being served now. */
  servingCertificatePem(): string;
  close(): Promise<void>;
}

/**
 * Runs the injection webhook on every operator replica (not only the leader: the Service spreads
 * admission calls over all of them). At start it makes sure the serving certificate exists and
 * the caBundle trusts it, then serves; every `checkIntervalMs` it runs the manager's `ensure()`
 * again, which renews before expiry and repairs a drifted caBundle, and switches to a renewed
 * certificate after `caBundlePropagationMs`. A failed check is logged and retried at the next one:
 * the served certificate stays valid for a third of its life after renewal is due.
 */
export async function startInjectionWebhook(
  options: InjectionWebhookOptions,
): Promise<RunningInjectionWebhook> {
  const log = options.logger;
  const checkIntervalMs = options.checkIntervalMs ?? 3_600_000;
  const propagationMs = options.caBundlePropagationMs ?? 30_000;
  let serving: WebhookCertificate = await options.certificates.ensure();
  const server: WebhookServer = await startWebhookServer({
    host: options.host,
    port: options.port,
    certificate: serving,
    listMeshWorkloads: options.listMeshWorkloads,
    settings: options.settings,
    metrics: options.metrics,
    logger: log,
  });
  let isClosed = false;
  let timer: TimerHandle | undefined;
  const schedule = (callback: () => void, delayMs: number): void => {
    if (!isClosed) timer = options.timers.setTimeout(callback, delayMs);
  };
  const check = (): void => {
    options.certificates.ensure().then(
      (current) => {
        if (current.certificatePem === serving.certificatePem) {
          schedule(check, checkIntervalMs);
          return;
        }
        schedule(() => {
          serving = current;
          server.setCertificate(current);
          log.info('webhook serving certificate switched');
          schedule(check, checkIntervalMs);
        }, propagationMs);
      },
      (error: unknown) => {
        log.warn('webhook certificate check failed', { error: errorMessage(error) });
        schedule(check, checkIntervalMs);
      },
    );
  };
  schedule(check, checkIntervalMs);
  return {
    port: server.port,
    servingCertificatePem: () => serving.certificatePem,
    close: async () => {
      isClosed = true;
      if (timer !== undefined) options.timers.clearTimeout(timer);
      await server.close();
    },
  };
}
