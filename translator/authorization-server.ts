import { create, fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import {
  Authorization,
  CheckRequestSchema,
  CheckResponseSchema,
  type CheckRequest,
} from '../proto/gen/envoy/service/auth/v3/external_auth_pb.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import {
  bindGrpcServer,
  serveHealthAndReflection,
  shutDownGrpcServer,
} from '../lib/grpc/server-lifecycle.js';
import { serverServiceDefinition } from '../lib/grpc/service-definition.js';
import type { Logger } from '../lib/log/logger.js';

/** Decides one Check; a rejection fails the call (Envoy then answers its `status_on_error`). */
export type CheckFunction = (check: CheckRequest) => Promise<MessageInitShape<typeof CheckResponseSchema>>;

export interface AuthorizationServerOptions {
  /** A loopback address: the server speaks plaintext gRPC to the Envoy in the same pod. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  check: CheckFunction;
  logger: Logger;
  /** Larger CheckRequests (headers plus the buffered body) are refused. Default 8 MiB. */
  maxReceiveMessageBytes?: number;
}

export interface AuthorizationServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves Envoy's `envoy.service.auth.v3.Authorization` plus gRPC health and reflection. Unlike
 * Accord's other gRPC servers (lib/grpc, mTLS between components) this one is plaintext on
 * loopback: its only client is the sidecar Envoy's `accord_translator` cluster in the same network
 * namespace. Internal details of a failure go to the log; the wire gets INTERNAL only.
 */
export async function startAuthorizationServer(
  options: AuthorizationServerOptions,
): Promise<AuthorizationServer> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? 8 * 1024 * 1024,
    'grpc.keepalive_permit_without_calls': 1,
    // Two Check calls per proxied request: channelz's per-call bookkeeping is pure overhead here.
    'grpc.enable_channelz': 0,
  });
  server.addService(serverServiceDefinition(Authorization), {
    check: (call: ServerUnaryCall<Buffer, unknown>, callback: sendUnaryData<unknown>) => {
      let request: CheckRequest;
      try {
        request = fromBinary(CheckRequestSchema, call.request);
      } catch (error) {
        options.logger.warn('malformed check request', { error: errorMessage(error) });
        callback({ code: GrpcStatus.INVALID_ARGUMENT, details: 'malformed CheckRequest' });
        return;
      }
      options.check(request).then(
        (response) => callback(null, create(CheckResponseSchema, response)),
        () => callback({ code: GrpcStatus.INTERNAL, details: 'internal error' }),
      );
    },
  });
  const health = serveHealthAndReflection(server, [Authorization]);
  const port = await bindGrpcServer(server, options.host, options.port, ServerCredentials.createInsecure());
  options.logger.info('ext_authz server listening', { address: `${options.host}:${port}` });
  return {
    port,
    close: () => shutDownGrpcServer(server, health, [Authorization]),
  };
}
