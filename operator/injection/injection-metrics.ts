import { Counter, type Registry } from 'prom-client';
import type { InjectionOutcome } from './inject-pod.js';

/**
 * How an admission request ended, as the `outcome` label of `accord_injection_admissions_total`:
 * an injection decision, `Ignored` (not a pod creation), or a failure: `Malformed` (400),
 * `TooLarge` (413), `Error` (500, the registration's failurePolicy decides).
 */
export type AdmissionOutcome = InjectionOutcome | 'Ignored' | 'Malformed' | 'TooLarge' | 'Error';

/**
 * The webhook's Prometheus metrics: whether pods are being injected, and if not, why (not
 * selected, opted out, or the webhook failing and, with failurePolicy Fail, blocking pods).
 */
export class InjectionMetrics {
  readonly #admissions: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.#admissions = new Counter({
      name: 'accord_injection_admissions_total',
      help: 'Admission requests of the injection webhook by outcome: Injected, AlreadyInjected, NotSelected, OptedOut, ExcludedNamespace, Ignored, Malformed, TooLarge or Error.',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  admission(outcome: AdmissionOutcome): void {
    this.#admissions.inc({ outcome });
  }
}
