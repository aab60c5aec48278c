import { Counter, Histogram, type Registry } from 'prom-client';

/** Which way a request crosses the sidecar, or `unknown` when Envoy did not say. */
export type MetricDirection = 'inbound' | 'outbound' | 'unknown';

/** `allow`, `deny` (a decision with a reason) or `error` (no decision: Envoy answers 503). */
export type DecisionOutcome = 'allow' | 'deny' | 'error';

/**
 * The translator's decisions by direction, outcome and stable reason (`ok` when allowed), and how
 * long each took: operators alert on reasons such as `nonce_replayed` or `wit_untrusted_domain`.
 */
export class TranslatorMetrics {
  readonly #decisions: Counter<'direction' | 'outcome' | 'reason'>;
  readonly #durationSeconds: Histogram<'direction' | 'outcome'>;

  constructor(registry: Registry) {
    this.#decisions = new Counter({
      name: 'accord_translator_decisions_total',
      help: 'ext_authz decisions, by direction, outcome and reason.',
      labelNames: ['direction', 'outcome', 'reason'],
      registers: [registry],
    });
    this.#durationSeconds = new Histogram({
      name: 'accord_translator_decision_duration_seconds',
      help: 'Time to decide one ext_authz Check, by direction and outcome.',
      labelNames: ['direction', 'outcome'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5],
      registers: [registry],
    });
  }

  observe(direction: MetricDirection, outcome: DecisionOutcome, reason: string, seconds: number): void {
    this.#decisions.inc({ direction, outcome, reason });
    this.#durationSeconds.observe({ direction, outcome }, seconds);
  }
}
