import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Server-side RPC metrics, named as in go-grpc-prometheus so existing dashboards and alerts apply.
 */
export class GrpcServerMetrics {
  readonly #handled: Counter<'grpc_service' | 'grpc_method' | 'grpc_type' | 'grpc_code'>;
  readonly #handlingSeconds: Histogram<'grpc_service' | 'grpc_method' | 'grpc_type'>;

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

  observe(call: { service: string; method: string; type: string }, code: string, seconds: number): void {
    const labels = { grpc_service: call.service, grpc_method: call.method, grpc_type: call.type };
    this.#handled.inc({ ...labels, grpc_code: code });
    this.#handlingSeconds.observe(labels, seconds);
  }
}
