import { Registry } from 'prom-client';
import type { BundleWriter } from '../../contract-provider/bundle-writer.js';
import { ContractProvider } from '../../contract-provider/contract-provider.js';
import { ProviderMetrics } from '../../contract-provider/provider-metrics.js';
import type { WithdrawnContractStore } from '../../contract-provider/withdrawn-contract-store.js';
import type { Logger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { systemTimers } from '../../lib/time/timers.js';
import type { TestZone } from '../support/test-zone.js';
import { ScriptedContractSource } from './scripted-contract-source.js';

/** A started provider whose repository is a scripted Watch stream. */
export interface ScriptedProvider {
  readonly provider: ContractProvider;
  readonly source: ScriptedContractSource;
  readonly registry: Registry;
}

/**
 * Starts a real `ContractProvider` for `ownZone` (real clock and timers, short backoff) with the
 * given writer and memory, fed by a `ScriptedContractSource` that plays the repository: a
 * compromised one, in the tests that use it.
 */
export function startScriptedProvider(options: {
  ownZone: TestZone;
  writer: BundleWriter;
  memory: WithdrawnContractStore;
  logger: Logger;
}): ScriptedProvider {
  const { ownZone } = options;
  const source = new ScriptedContractSource();
  const registry = new Registry();
  const provider = new ContractProvider({
    source,
    loadOwnZone: () =>
      Promise.resolve({ trustDomain: ownZone.trustDomain, rootSha256s: new Set([ownZone.rootSha256]) }),
    acknowledgeRoot: () => Promise.resolve(),
    writer: options.writer,
    memory: options.memory,
    metrics: new ProviderMetrics(registry),
    logger: options.logger,
    clock: systemClock,
    timers: systemTimers,
    random: Math.random,
    resyncIntervalMs: 600_000,
    backoff: { initialDelayMs: 20, maxDelayMs: 100 },
  });
  provider.start();
  return { provider, source, registry };
}
