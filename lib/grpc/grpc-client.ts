import type { PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import {
  Client,
  credentials,
  Metadata,
  status as GrpcStatus,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { methodPath } from './service-definition.js';
import { errorOfStatus } from './grpc-status.js';
import { CancelledError, InternalError } from '../errors/accord-error.js';

/** How a client authenticates the server and, optionally, itself. */
export interface ClientTls {
  /** Roots of the server's trust domain, PEM. */
  caPems: readonly string[];
  /** The caller's own SVID (PEM, leaf first) and key, for mTLS. */
  certificatePem?: string;
  privateKeyPem?: string;
  /**
   * The SPIFFE ID the server must present (`spiffe://zone-a.example/accord/pki`), or only its
   * trust domain (`spiffe://zone-a.example`) to accept any server of that zone. SVIDs carry no DNS
   * names, so this replaces the hostname check.
   */
  expectedServerId?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's default deadline for this call. */
  deadlineMs?: number;
}

export interface GrpcClientOptions {
  /** Deadline of unary calls; streams have none unless a call sets one. Default 10 s. */
  deadlineMs?: number;
  /** Sent as `authorization: Bearer …`, for callers that have no certificate yet. */
  bearerToken?: string;
}

type UnaryMethod<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => Promise<MessageShape<O>>;

type ServerStreamingMethod<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

type ClientMethod<M> = M extends {
  methodKind: 'unary';
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? UnaryMethod<I, O>
  : M extends {
        methodKind: 'server_streaming';
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? ServerStreamingMethod<I, O>
    : never;

/** A typed client for a generated service: one method per RPC, plus `close`. */
export type GrpcClient<S extends DescService> = { [K in keyof S['method']]: ClientMethod<S['method'][K]> } & {
  close(): void;
};

const defaultDeadlineMs = 10_000;

/**
 * Creates a typed gRPC client over TLS. When `tls` is a function it is read before each call, and
 * a changed client certificate (a renewed SVID) opens a new channel, so long-lived clients never
 * present an expired certificate.
 */
export function createGrpcClient<S extends DescService>(
  service: S,
  address: string,
  tls: ClientTls | (() => ClientTls),
  options: GrpcClientOptions = {},
): GrpcClient<S> {
  const channel = new ChannelHolder(address, typeof tls === 'function' ? tls : () => tls);
  const metadata = (): Metadata => {
    const result = new Metadata();
    if (options.bearerToken !== undefined) result.set('authorization', `Bearer ${options.bearerToken}`);
    return result;
  };
  const methods: Record<string, unknown> = { close: () => channel.close() };
  for (const method of service.methods) {
    if (method.methodKind === 'unary') {
      methods[method.localName] = (request: MessageInitShape<DescMessage>, call: CallOptions = {}) =>
        unary(
          channel.current(),
          method,
          request,
          metadata(),
          deadline(call.deadlineMs ?? options.deadlineMs ?? defaultDeadlineMs),
          call.signal,
        );
    } else if (method.methodKind === 'server_streaming') {
      methods[method.localName] = (request: MessageInitShape<DescMessage>, call: CallOptions = {}) =>
        serverStreaming(
          channel.current(),
          method,
          request,
          metadata(),
          call.deadlineMs === undefined ? Infinity : deadline(call.deadlineMs),
          call.signal,
        );
    }
  }
  return methods as GrpcClient<S>;
}

function deadline(milliseconds: number): Date {
  return new Date(Date.now() + milliseconds);
}

function unary(
  client: Client,
  method: DescMethod,
  request: MessageInitShape<DescMessage>,
  metadata: Metadata,
  callDeadline: Date,
  signal: AbortSignal | undefined,
): Promise<MessageShape<DescMessage>> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError('cancelled before start'));
      return;
    }
    const call = client.makeUnaryRequest(
      methodPath(method),
      serializeRequest(method),
      deserializeResponse(method),
      request,
      metadata,
      { deadline: callDeadline },
      (error: ServiceError | null, response?: MessageShape<DescMessage>) => {
        signal?.removeEventListener('abort', cancel);
        if (error) reject(errorOfStatus(error.code, error.details));
        else if (response) resolve(response);
        else reject(new InternalError('empty response'));
      },
    );
    const cancel = () => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
  });
}

function serializeRequest(method: DescMethod): (message: MessageInitShape<DescMessage>) => Buffer {
  return (message) => Buffer.from(toBinary(method.input, create(method.input, message)));
}

function deserializeResponse(method: DescMethod): (bytes: Buffer) => MessageShape<DescMessage> {
  return (bytes) => fromBinary(method.output, bytes);
}

async function* serverStreaming(
  client: Client,
  method: DescMethod,
  request: MessageInitShape<DescMessage>,
  metadata: Metadata,
  callDeadline: Date | number,
  signal: AbortSignal | undefined,
): AsyncGenerator<MessageShape<DescMessage>> {
  const call: ClientReadableStream<MessageShape<DescMessage>> = client.makeServerStreamRequest(
    methodPath(method),
    serializeRequest(method),
    deserializeResponse(method),
    request,
    metadata,
    { deadline: callDeadline },
  );
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const message of call) yield message as MessageShape<DescMessage>;
  } catch (error) {
    const serviceError = error as Partial<ServiceError>;
    throw errorOfStatus(serviceError.code ?? GrpcStatus.UNKNOWN, serviceError.details ?? String(error));
  } finally {
    signal?.removeEventListener('abort', cancel);
    call.cancel();
  }
}

/** Keeps one channel per distinct client identity. */
class ChannelHolder {
  #client: Client | undefined;
  #identityKey = '';

  constructor(
    private readonly address: string,
    private readonly tls: () => ClientTls,
  ) {}

  current(): Client {
    const tls = this.tls();
    const identityKey = `${tls.certificatePem ?? ''}|${tls.caPems.join('')}`;
    if (this.#client === undefined || identityKey !== this.#identityKey) {
      this.#client?.close();
      this.#identityKey = identityKey;
      this.#client = new Client(this.address, channelCredentials(tls), {
        // SVIDs have no DNS names: the server is checked by SPIFFE ID in checkServerIdentity.
        'grpc.ssl_target_name_override': 'accord.invalid',
        'grpc.default_authority': this.address,
        // A Watch stream is long-lived and mostly idle: when the server's pod vanishes without a
        // TCP reset (its network namespace deleted) only a ping notices. 10 s + 5 s bounds that to
        // 15 s instead of the defaults' 30 s + 20 s; grpc-js servers do not refuse such pings.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
      });
    }
    return this.#client;
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }
}

function channelCredentials(tls: ClientTls) {
  const key = tls.privateKeyPem === undefined ? null : Buffer.from(tls.privateKeyPem);
  const cert = tls.certificatePem === undefined ? null : Buffer.from(tls.certificatePem);
  return credentials.createSsl(Buffer.from(tls.caPems.join('\n')), key, cert, {
    checkServerIdentity: (_host: string, certificate: PeerCertificate) =>
      checkServerSpiffeId(certificate, tls.expectedServerId),
  });
}

/** Compares the server certificate's SPIFFE ID with the expected ID or trust domain. */
export function checkServerSpiffeId(
  certificate: PeerCertificate,
  expected: string | undefined,
): Error | undefined {
  if (expected === undefined) return undefined;
  const uris = new X509Certificate(certificate.raw).subjectAltName ?? '';
  const presented = uris
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice('URI:'.length));
  const [only] = presented;
  if (presented.length !== 1 || only === undefined) {
    return new Error(`server certificate must carry exactly one URI SAN, found ${presented.length}`);
  }
  const isTrustDomainOnly = !expected.slice('spiffe://'.length).includes('/');
  const matches = isTrustDomainOnly ? only.startsWith(`${expected}/`) : only === expected;
  return matches ? undefined : new Error(`server is ${only}, expected ${expected}`);
}
