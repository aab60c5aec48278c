import { Registry } from 'prom-client';
import { silentLogger } from '../../lib/log/logger.js';
import type { TimerHandle, Timers } from '../../lib/time/timers.js';
import type { InjectionSettings } from './inject-pod.js';
import { InjectionMetrics } from './injection-metrics.js';
import { type RunningInjectionWebhook, startInjectionWebhook } from './injection-webhook.js';
import { issueWebhookCertificate, type WebhookCertificate } from './webhook-certificate.js';

const settings: InjectionSettings = {
  version: '0.1.0',
  accordNamespace: 'accord-system',
  envoy: { image: 'envoy:1', inboundPort: 15006, outboundPort: 15001 },
  translator: { image: 'accord:1' },
};

/** Timers a test fires by hand: `next()` runs the earliest pending callback. */
class ManualTimers implements Timers {
  readonly pending = new Map<object, { callback: () => void; delayMs: number }>();

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = {};
    this.pending.set(handle, { callback, delayMs });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle as object);
  }

  fire(): number {
    const [entry] = this.pending.entries();
    if (entry === undefined) throw new Error('nothing scheduled');
    this.pending.delete(entry[0]);
    entry[1].callback();
    return entry[1].delayMs;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

const subject = { dnsNames: ['webhook.test'], ipAddresses: ['127.0.0.1'] };
let first: WebhookCertificate;
let second: WebhookCertificate;
let running: RunningInjectionWebhook | undefined;

beforeAll(async () => {
  first = await issueWebhookCertificate(subject, new Date(), 3_600_000);
  second = await issueWebhookCertificate(subject, new Date(), 3_600_000, first.caCertificatePem);
});

afterEach(async () => {
  await running?.close();
  running = undefined;
});

/**
 * Starts the webhook on loopback with a certificate manager that answers `results` in turn (an
 * Error fails that check), then `last` forever; checks every second.
 */
function startWith(
  results: (WebhookCertificate | Error)[],
  last: WebhookCertificate,
  timers: ManualTimers,
  options: { caBundlePropagationMs?: number } = {},
) {
  return startInjectionWebhook({
    host: '127.0.0.1',
    port: 0,
    certificates: {
      ensure: () => {
        const next = results.shift() ?? last;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    },
    listMeshWorkloads: () => Promise.resolve([]),
    settings,
    metrics: new InjectionMetrics(new Registry()),
    timers,
    logger: silentLogger,
    checkIntervalMs: 1000,
    ...options,
  });
}

describe('startInjectionWebhook', () => {
  it('serves a renewed certificate only after the caBundle propagation delay, then keeps checking', async () => {
    const timers = new ManualTimers();
    running = await startWith([first, first, second], second, timers, { caBundlePropagationMs: 50 });
    expect(running.servingCertificatePem()).toBe(first.certificatePem);
    expect(timers.fire()).toBe(1000); // unchanged: check again later
    await settle();
    expect(running.servingCertificatePem()).toBe(first.certificatePem);
    expect(timers.fire()).toBe(1000); // renewed: wait for the caBundle to propagate
    await settle();
    expect(running.servingCertificatePem()).toBe(first.certificatePem);
    expect(timers.fire()).toBe(50);
    expect(running.servingCertificatePem()).toBe(second.certificatePem);
    expect([...timers.pending.values()].map((entry) => entry.delayMs)).toEqual([1000]);
  });

  it('keeps serving and checks again at the next interval when a check fails', async () => {
    const timers = new ManualTimers();
    running = await startWith([first, new Error('API server down')], first, timers);
    timers.fire();
    await settle();
    expect(running.servingCertificatePem()).toBe(first.certificatePem);
    expect([...timers.pending.values()].map((entry) => entry.delayMs)).toEqual([1000]);
  });

  it('cancels its pending check on close', async () => {
    const timers = new ManualTimers();
    running = await startInjectionWebhook({
      host: '127.0.0.1',
      port: 0,
      certificates: { ensure: () => Promise.resolve(first) },
      listMeshWorkloads: () => Promise.resolve([]),
      settings,
      metrics: new InjectionMetrics(new Registry()),
      timers,
      logger: silentLogger,
    });
    await running.close();
    running = undefined;
    expect(timers.pending.size).toBe(0);
  });
});
