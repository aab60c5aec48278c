import { Counter, Gauge, type Registry } from 'prom-client';
import type { RootStatementProblemReason } from '../lib/contract/participant-roots.js';
import type { RejectionReason } from './desired-bundles.js';

/**
 * The provider's Prometheus metrics: together they answer "is this zone's trust current, and if
 * not, why" without reading logs.
 */
export class ProviderMetrics {
  readonly #rejectedContracts: Counter<'reason'>;
  readonly #repositoryConnected: Gauge;
  readonly #lastSyncTimestampSeconds: Gauge;
  readonly #trustedZones: Gauge;
  readonly #refusedRootStatements: Counter<'reason'>;
  readonly #zonesInRootOverlap: Gauge;

  constructor(registry: Registry) {
    this.#rejectedContracts = new Counter({
      name: 'accord_provider_rejected_contracts_total',
      help: 'Contracts the repository offered as active that failed the provider verification, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.#repositoryConnected = new Gauge({
      name: 'accord_provider_repository_connected',
      help: '1 while the Watch stream to the contract repository is established, else 0.',
      registers: [registry],
    });
    this.#lastSyncTimestampSeconds = new Gauge({
      name: 'accord_provider_last_sync_timestamp_seconds',
      help: 'Unix time of the last sync that confirmed the bundles match the repository contracts.',
      registers: [registry],
    });
    this.#trustedZones = new Gauge({
      name: 'accord_provider_trusted_zones',
      help: 'Number of partner trust domains with an installed bundle.',
      registers: [registry],
    });
    this.#refusedRootStatements = new Counter({
      name: 'accord_provider_refused_root_statements_total',
      help: 'Root announcements, activations and revocations carried by trusted contracts that failed the provider verification, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.#zonesInRootOverlap = new Gauge({
      name: 'accord_provider_zones_in_root_overlap',
      help: 'Partner trust domains whose installed bundle holds more than one root (a root rotation in its overlap).',
      registers: [registry],
    });
    this.#repositoryConnected.set(0);
    this.#zonesInRootOverlap.set(0);
    this.#trustedZones.set(0);
  }

  contractRejected(reason: RejectionReason | 'MalformedContract'): void {
    this.#rejectedContracts.inc({ reason });
  }

  /** A root statement a trusted contract carried failed verification (it was not followed). */
  rootStatementRefused(reason: RootStatementProblemReason): void {
    this.#refusedRootStatements.inc({ reason });
  }

  /** Partner zones whose installed bundle holds more than one root. */
  zonesInRootOverlap(count: number): void {
    this.#zonesInRootOverlap.set(count);
  }

  repositoryConnected(isConnected: boolean): void {
    this.#repositoryConnected.set(isConnected ? 1 : 0);
  }

  synced(at: Date, trustedZones: number): void {
    this.#lastSyncTimestampSeconds.set(at.getTime() / 1000);
    this.#trustedZones.set(trustedZones);
  }

  trustedZones(count: number): void {
    this.#trustedZones.set(count);
  }
}
