import { Counter, Histogram, type Registry } from 'prom-client';

type MethodLabel = 'grpc_service' | 'grpc_method' | 'grpc_type';

/** The labels of one method, as go-grpc-prometheus names them. */
export interface MethodLabels {
  readonly service: string;
  readonly method: string;
  readonly type: string;
}

/**
 * Server-side RPC metrics, named as in go-grpc-prometheus so existing dashboards and alerts apply.
 */
export class GrpcServerMetrics {
  readonly #handled: Counter<MethodLabel | 'grpc_code'>;
  readonly #handlingSeconds: Histogram<MethodLabel>;

  constructor(registry: Registry) {
    this.#handled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed on the server, by status code.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type', 'grpc_code'],
      registers: [registry],
    });
    this.#handlingSeconds = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time from receiving an RPC to sending its status.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    });
  }

  /**
   * The recorder of one method. It resolves its label sets once (and once per status code), so a
   * call pays for two increments, not for hashing label objects: on a cheap RPC served thousands
   * of times a second that lookup was a visible share of the CPU.
   */
  forMethod(call: MethodLabels): MethodMetrics {
    const labels = { grpc_service: call.service, grpc_method: call.method, grpc_type: call.type };
    const handlingSeconds = this.#handlingSeconds.labels(labels);
    const handledByCode = new Map<string, Counter.Internal>();
    return {
      observe: (code, seconds) => {
        let handled = handledByCode.get(code);
        if (handled === undefined) {
          handled = this.#handled.labels({ ...labels, grpc_code: code });
          handledByCode.set(code, handled);
        }
        handled.inc();
        handlingSeconds.observe(seconds);
      },
    };
  }
}

/** Records the calls of one method. */
export interface MethodMetrics {
  /** Counts a completed call with its status code name and how long it took. */
  observe(code: string, seconds: number): void;
}
