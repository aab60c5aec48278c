import {
  Server,
  status as GrpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  create,
  fromBinary,
  type DescMessage,
  type DescMethod,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { Registry } from 'prom-client';
import type { VerifiedSvid } from '../spiffe/x509-svid.js';
import type { LogFields, Logger } from '../log/logger.js';
import { errorMessage, InvalidArgumentError, UnauthenticatedError } from '../errors/accord-error.js';
import { serverServiceDefinition } from './service-definition.js';
import { statusName, toWireStatus } from './grpc-status.js';
import { GrpcServerMetrics, type MethodMetrics } from './grpc-metrics.js';
import { EncodedMessage } from './encoded-message.js';
import { bindGrpcServer, serveHealthAndReflection, shutDownGrpcServer } from './server-lifecycle.js';
import { ServerTlsSource, type ServerIdentity } from './server-tls.js';
import { peerCertificateDer } from './peer-certificate.js';

export type { ServerIdentity } from './server-tls.js';

/** The authenticated caller: a client certificate that passed per-trust-domain SVID verification. */
export type PeerIdentity = VerifiedSvid;

/**
 * Verifies a presented client certificate (its DER, as TLS received it); throws
 * `UnauthenticatedError` to refuse it. Runs on every call: `X509SvidVerifier` keeps it cheap.
 */
export type PeerVerifier = (leafDer: Uint8Array) => PeerIdentity;

/** What a handler knows about its call besides the request. */
export interface CallContext {
  /** The caller, when it presented a client certificate the verifier accepted. */
  readonly peer: PeerIdentity | undefined;
  /** The token of an `authorization: Bearer …` header, for callers without a certificate yet. */
  readonly bearerToken: string | undefined;
  /** Aborted when the caller cancels or the deadline passes: pass it to every store call. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

type UnaryImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: CallContext,
) => Promise<MessageInitShape<O> | EncodedMessage<O>>;

type ServerStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: CallContext,
  send: (response: MessageInitShape<O>) => Promise<void>,
) => Promise<void>;

type MethodImpl<M> = M extends {
  methodKind: 'unary';
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? UnaryImpl<I, O>
  : M extends {
        methodKind: 'server_streaming';
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? ServerStreamingImpl<I, O>
    : never;

/** Handlers for every method of a generated service, keyed by the method's local (camelCase) name. */
export type ServiceImpl<S extends DescService> = { [K in keyof S['method']]: MethodImpl<S['method'][K]> };

/** A service with its handlers, ready to be served. */
export interface RegisteredService {
  readonly service: DescService;
  readonly implementation: Record<string, unknown>;
}

/** Pairs a generated service with its handlers; the types make sure every method is implemented. */
export function registerService<S extends DescService>(
  service: S,
  implementation: ServiceImpl<S>,
): RegisteredService {
  return { service, implementation };
}

export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  identity: ServerIdentity;
  /** Roots offered to clients for their certificate; acceptance is decided by `verifyPeer`. */
  clientCaPems: readonly string[];
  verifyPeer: PeerVerifier;
  services: readonly RegisteredService[];
  logger: Logger;
  metrics?: Registry;
  /** Larger requests are refused with RESOURCE_EXHAUSTED before any handler runs. Default 1 MiB. */
  maxReceiveMessageBytes?: number;
}

export interface GrpcServer {
  readonly port: number;
  /** Serves a renewed certificate to new connections. */
  updateIdentity(identity: ServerIdentity): void;
  /** Changes the roots offered for client certificates (e.g. after a root rotation). */
  updateClientCas(clientCaPems: readonly string[]): void;
  /** Stops accepting calls, lets running unary calls finish briefly, then ends streams. */
  close(): Promise<void>;
}

const defaultMaxReceiveMessageBytes = 1024 * 1024;

/**
 * Starts a TLS gRPC server for the given services plus gRPC health checking (every service
 * SERVING) and server reflection. Authentication, error mapping, logging and metrics happen here,
 * once, so handlers only decode, call the domain and encode.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? defaultMaxReceiveMessageBytes;
  const server = new Server({
    'grpc.max_receive_message_length': maxReceiveMessageBytes,
    // Channelz is not served (no admin service), but collecting it costs every call.
    'grpc.enable_channelz': 0,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
  const metrics = new GrpcServerMetrics(options.metrics ?? new Registry());
  const streams = new Set<ServerWritableStream<unknown, unknown>>();

  for (const { service, implementation } of options.services) {
    const handlers: UntypedServiceImplementation = {};
    for (const method of service.methods) {
      const impl = implementation[method.localName];
      if (typeof impl !== 'function') throw new Error(`no handler for ${service.typeName}.${method.name}`);
      const call = new CallRunner(method, options, metrics);
      handlers[method.localName] =
        method.methodKind === 'server_streaming'
          ? (stream: ServerWritableStream<Buffer, unknown>) => {
              streams.add(stream);
              void call
                .serverStreaming(stream, impl as ServerStreamingImpl<DescMessage, DescMessage>)
                .finally(() => streams.delete(stream));
            }
          : (unary: ServerUnaryCall<Buffer, unknown>, callback: sendUnaryData<unknown>) => {
              void call.unary(unary, callback, impl as UnaryImpl<DescMessage, DescMessage>);
            };
    }
    server.addService(serverServiceDefinition(service), handlers);
  }

  const services = options.services.map(({ service }) => service);
  const health = serveHealthAndReflection(server, services);

  const tls = new ServerTlsSource(options.identity, options.clientCaPems);
  const port = await bindGrpcServer(server, options.host, options.port, tls.credentials());
  options.logger.info('grpc server listening', {
    address: `${options.host}:${port}`,
    services: options.services.map((s) => s.service.typeName),
  });

  return {
    port,
    updateIdentity: (identity) => tls.updateIdentity(identity),
    updateClientCas: (pems) => tls.updateClientCas(pems),
    close: () =>
      shutDownGrpcServer(server, health, services, () => {
        for (const stream of streams) stream.end();
      }),
  };
}

/** Aborts a controller when the call is cancelled or its deadline passes, until disposed. */
function watchCancellation(call: ServerUnaryCall<Buffer, unknown> | ServerWritableStream<Buffer, unknown>): {
  abort: AbortController;
  dispose: () => void;
} {
  const abort = new AbortController();
  const onCancelled = () => abort.abort();
  if (call.cancelled) abort.abort();
  call.on('cancelled', onCancelled);
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  const timer = Number.isFinite(deadlineMs)
    ? setTimeout(onCancelled, Math.max(0, deadlineMs - Date.now()))
    : undefined;
  return {
    abort,
    dispose: () => {
      clearTimeout(timer);
      call.off('cancelled', onCancelled);
    },
  };
}

/** The cross-cutting part of every call: decode, authenticate, run, map errors, log, count. */
class CallRunner {
  readonly #method: DescMethod;
  readonly #options: GrpcServerOptions;
  readonly #metrics: MethodMetrics;
  readonly #rpcName: string;

  constructor(method: DescMethod, options: GrpcServerOptions, metrics: GrpcServerMetrics) {
    this.#method = method;
    this.#options = options;
    this.#metrics = metrics.forMethod({
      service: method.parent.typeName,
      method: method.name,
      type: method.methodKind,
    });
    this.#rpcName = `${method.parent.typeName}/${method.name}`;
  }

  async unary(
    call: ServerUnaryCall<Buffer, unknown>,
    callback: sendUnaryData<unknown>,
    impl: UnaryImpl<DescMessage, DescMessage>,
  ): Promise<void> {
    const started = performance.now();
    const { context, peerError, dispose } = this.#context(call);
    try {
      if (peerError) throw peerError;
      const request = this.#decode(call.request);
      const response = await impl(request, context);
      callback(
        null,
        response instanceof EncodedMessage
          ? response.forSchema(this.#method.output)
          : create(this.#method.output, response),
      );
      this.#finish(context, GrpcStatus.OK, started);
    } catch (error) {
      const code = this.#fail(context, error, (status) => callback(status));
      this.#finish(context, code, started);
    } finally {
      dispose();
    }
  }

  async serverStreaming(
    stream: ServerWritableStream<Buffer, unknown>,
    impl: ServerStreamingImpl<DescMessage, DescMessage>,
  ): Promise<void> {
    const started = performance.now();
    const { context, peerError, dispose } = this.#context(stream);
    const send = (response: MessageInitShape<DescMessage>): Promise<void> =>
      new Promise((resolve, reject) => {
        if (context.signal.aborted) {
          reject(new Error('stream cancelled'));
          return;
        }
        stream.write(create(this.#method.output, response), (error?: Error | null) => {
          if (error) reject(error);
          else resolve();
        });
      });
    try {
      if (peerError) throw peerError;
      await impl(this.#decode(stream.request), context, send);
      if (!context.signal.aborted) stream.end();
      this.#finish(context, GrpcStatus.OK, started);
    } catch (error) {
      if (context.signal.aborted) {
        this.#finish(context, GrpcStatus.CANCELLED, started);
      } else {
        const code = this.#fail(context, error, (status) =>
          stream.destroy(Object.assign(new Error(status.details), status)),
        );
        this.#finish(context, code, started);
      }
    } finally {
      dispose();
    }
  }

  #decode(bytes: Buffer): MessageShape<DescMessage> {
    try {
      return fromBinary(this.#method.input, bytes);
    } catch (error) {
      throw new InvalidArgumentError(`malformed ${this.#method.input.typeName}: ${errorMessage(error)}`);
    }
  }

  /**
   * Builds the call's context. A client certificate that fails verification fails the call: it is
   * never downgraded to an anonymous caller. The cancellation signal and the call's child logger
   * are made when a handler first asks for them: a cheap read served thousands of times a second
   * uses neither.
   */
  #context(call: ServerUnaryCall<Buffer, unknown> | ServerWritableStream<Buffer, unknown>): {
    context: CallContext;
    peerError: UnauthenticatedError | undefined;
    dispose: () => void;
  } {
    let cancellation: { abort: AbortController; dispose: () => void } | undefined;
    let log: Logger | undefined;
    let peer: PeerIdentity | undefined;
    let peerError: UnauthenticatedError | undefined;
    const raw = peerCertificateDer(call);
    if (raw) {
      try {
        peer = this.#options.verifyPeer(raw);
      } catch (error) {
        peerError =
          error instanceof UnauthenticatedError ? error : new UnauthenticatedError(errorMessage(error));
      }
    }
    const authorization = call.metadata.get('authorization')[0];
    const bearerToken =
      typeof authorization === 'string' ? /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined;
    const logFields = this.#logFields(peer);
    const logger = this.#options.logger;
    return {
      context: {
        peer,
        bearerToken,
        get signal() {
          cancellation ??= watchCancellation(call);
          return cancellation.abort.signal;
        },
        get log() {
          log ??= logger.child(logFields);
          return log;
        },
      },
      peerError,
      dispose: () => cancellation?.dispose(),
    };
  }

  #logFields(peer: PeerIdentity | undefined): LogFields {
    return { rpc: this.#rpcName, ...(peer ? { peer: peer.spiffeId.uri } : {}) };
  }

  #fail(
    context: CallContext,
    error: unknown,
    send: (status: { code: GrpcStatus; details: string }) => void,
  ): GrpcStatus {
    const status = toWireStatus(error);
    if (status.isInternal) {
      context.log.error('rpc failed', {
        error: errorMessage(error),
        stack: error instanceof Error ? error.stack : undefined,
      });
    } else {
      context.log.debug('rpc refused', { code: statusName(status.code), reason: status.details });
    }
    send({ code: status.code, details: status.details });
    return status.code;
  }

  #finish(context: CallContext, code: GrpcStatus, startedMs: number): void {
    const seconds = (performance.now() - startedMs) / 1000;
    this.#metrics.observe(statusName(code), seconds);
    // Through the server's logger with the call's fields, so a dropped debug line makes no child logger.
    this.#options.logger.debug('rpc handled', {
      ...this.#logFields(context.peer),
      code: statusName(code),
      durationMs: Math.round(seconds * 1e4) / 10,
    });
  }
}
