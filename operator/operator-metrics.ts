import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** How a reconcile ended, as the `result` label of `accord_operator_reconciles_total`. */
export type ReconcileOutcome = 'success' | 'requeue' | 'conflict' | 'error';

/**
 * The operator's Prometheus metrics: together they answer "is this zone's operator keeping up, and
 * if not, why" (leading? queue growing? repository down? errors?) without reading logs.
 */
export class OperatorMetrics {
  readonly #reconciles: Counter<'result'>;
  readonly #reconcileDuration: Histogram;
  readonly #queueDepth: Gauge;
  readonly #isLeader: Gauge;
  readonly #repositoryUnavailable: Counter;

  constructor(registry: Registry) {
    this.#reconciles = new Counter({
      name: 'accord_operator_reconciles_total',
      help: 'TrustContract reconciles by result: success, requeue (repository unavailable), conflict (object changed meanwhile) or error.',
      labelNames: ['result'],
      registers: [registry],
    });
    this.#reconcileDuration = new Histogram({
      name: 'accord_operator_reconcile_duration_seconds',
      help: 'Duration of one TrustContract reconcile, including its Kubernetes writes.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.#queueDepth = new Gauge({
      name: 'accord_operator_queue_depth',
      help: 'TrustContracts waiting in the work queue.',
      registers: [registry],
    });
    this.#isLeader = new Gauge({
      name: 'accord_operator_is_leader',
      help: '1 while this replica holds the leader Lease and reconciles, else 0.',
      registers: [registry],
    });
    this.#repositoryUnavailable = new Counter({
      name: 'accord_operator_repository_unavailable_total',
      help: 'Reconciles that found the contract repository unreachable.',
      registers: [registry],
    });
    this.#queueDepth.set(0);
    this.#isLeader.set(0);
  }

  reconciled(outcome: ReconcileOutcome, durationSeconds: number): void {
    this.#reconciles.inc({ result: outcome });
    this.#reconcileDuration.observe(durationSeconds);
  }

  repositoryUnavailable(): void {
    this.#repositoryUnavailable.inc();
  }

  queueDepth(depth: number): void {
    this.#queueDepth.set(depth);
  }

  isLeader(isLeading: boolean): void {
    this.#isLeader.set(isLeading ? 1 : 0);
  }
}
