import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import {
  Authorization,
  CheckRequestSchema,
  CheckResponseSchema,
  type CheckResponse,
} from '../../proto/gen/envoy/service/auth/v3/external_auth_pb.js';
import { methodPath } from '../../lib/grpc/service-definition.js';

/** An outbound decision as the app's request leaves it: allowed with Envoy's header mutation, or denied. */
export type OutboundDecision =
  { allowed: true; headers: Record<string, string> } | { allowed: false; status: number; body: string };

/**
 * Plays the sidecar Envoy towards a running translator: sends `Check` over plaintext loopback gRPC,
 * as the `accord_translator` cluster does, for an outbound request to `orders.zone-b`.
 */
export class ExtAuthzClient {
  readonly #client: Client;

  constructor(port: number) {
    this.#client = new Client(`127.0.0.1:${String(port)}`, credentials.createInsecure());
  }

  async outbound(headers: Readonly<Record<string, string>>): Promise<OutboundDecision> {
    const request = create(CheckRequestSchema, {
      attributes: {
        request: {
          http: {
            method: 'GET',
            path: '/orders',
            host: 'orders.zone-b:8080',
            scheme: 'http',
            headers: { ':method': 'GET', ':path': '/orders', ':authority': 'orders.zone-b:8080', ...headers },
          },
        },
        contextExtensions: { 'accord.direction': 'outbound' },
      },
    });
    const response = await new Promise<CheckResponse>((resolve, reject) => {
      this.#client.makeUnaryRequest(
        methodPath(Authorization.method.check),
        (message: Uint8Array) => Buffer.from(toBinary(CheckRequestSchema, message as never)),
        (bytes: Buffer) => fromBinary(CheckResponseSchema, bytes),
        request as never,
        { deadline: Date.now() + 10_000 },
        (error: ServiceError | null, value?: CheckResponse) => {
          if (error !== null || value === undefined) reject(error ?? new Error('no CheckResponse'));
          else resolve(value);
        },
      );
    });
    if (response.httpResponse.case === 'okResponse') {
      const mutated: Record<string, string> = {};
      for (const option of response.httpResponse.value.headers)
        if (option.header !== undefined) mutated[option.header.key] = option.header.value;
      return { allowed: true, headers: mutated };
    }
    if (response.httpResponse.case === 'deniedResponse') {
      const denied = response.httpResponse.value;
      return { allowed: false, status: denied.status?.code ?? 0, body: denied.body };
    }
    throw new Error('the CheckResponse carries no decision');
  }

  close(): void {
    this.#client.close();
  }
}
