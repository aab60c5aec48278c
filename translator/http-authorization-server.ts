import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  directionPathPrefix,
  headersToRemoveHeader,
  headersToTranslator,
  peerHeader,
  translatorKeepAliveSeconds,
  type ExtAuthzDirection,
} from '../lib/ext-authz/http-ext-authz-contract.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { listenHttpServer, readBodyUpTo } from '../lib/http/http-server-lifecycle.js';
import type { Logger } from '../lib/log/logger.js';
import type { AuthorizationQuestion, Decider, Decision } from './check-handler.js';
import type { HttpRequestMessage } from './http-message.js';

export interface HttpAuthorizationServerOptions {
  /** A loopback address: the only client is the sidecar Envoy in the same network namespace. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  decide: Decider;
  logger: Logger;
  /** Larger bodies are refused with 413 (Envoy buffers at most its `max_request_bytes`). Default 8 MiB. */
  maxBodyBytes?: number;
}

export interface HttpAuthorizationServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Bounds one authorization request's arrival, so a stalled connection cannot hold a socket. */
const requestTimeoutMs = 30_000;

/**
 * Serves Envoy's HTTP ext_authz service (lib/ext-authz/http-ext-authz-contract.ts): every request
 * is one question, answered 200 with the headers to set (and `x-envoy-auth-headers-to-remove`) or
 * with the denial's status and challenge and an empty body. A failure that is not a decision is a
 * 503 with nothing else, so Envoy fails closed as it does on a gRPC error.
 */
export async function startHttpAuthorizationServer(
  options: HttpAuthorizationServerOptions,
): Promise<HttpAuthorizationServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const server: Server = createServer({ requestTimeout: requestTimeoutMs }, (request, response) => {
    readBodyUpTo(request, maxBodyBytes).then(
      (body) => {
        if (body === undefined) {
          options.logger.warn('authorization request body too large', { limit: maxBodyBytes });
          response.writeHead(413, { connection: 'close' }).end();
          return;
        }
        options.decide(questionOf(request, body)).then(
          (decision) => answer(response, decision),
          () => response.writeHead(503).end(),
        );
      },
      (error: unknown) => {
        options.logger.warn('authorization request unreadable', { error: errorMessage(error) });
        response.destroy();
      },
    );
  });
  // Envoy closes idle connections first (see translatorKeepAliveSeconds).
  server.keepAliveTimeout = translatorKeepAliveSeconds * 1000;
  const port = await listenHttpServer(server, options.host, options.port);
  options.logger.info('ext_authz HTTP server listening', { address: `${options.host}:${port}` });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        // Calls still running get what is left of a short grace period, as on the gRPC server.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}

const forwardedHeaders = new Set(headersToTranslator);
const directions = Object.entries(directionPathPrefix) as [ExtAuthzDirection, string][];

/**
 * The question Envoy's HTTP ext_authz call asks. The direction is the path prefix Envoy's listener
 * config put first (anything else is `unknown`, denied); the original target follows it. Only the
 * contract's headers are read; a header sent more than once is joined with `, `, as Envoy joins
 * repeated headers for gRPC, so a second copy cannot hide behind a verified first one. Read in one
 * pass over `rawHeaders`: Node's `headers` and `headersDistinct` would each build an object of
 * every header first (a few per cent of a translator's CPU per request).
 */
function questionOf(request: IncomingMessage, body: Buffer): AuthorizationQuestion {
  const path = request.url ?? '';
  const match = directions.find(([, prefix]) => path.startsWith(`${prefix}/`));
  const direction = match?.[0] ?? 'unknown';
  const headers: Record<string, string> = {};
  let authority: string | undefined;
  let peerValues = 0;
  let peerValue = '';
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = (raw[index] ?? '').toLowerCase();
    const value = raw[index + 1] ?? '';
    if (forwardedHeaders.has(name)) {
      const earlier = headers[name];
      headers[name] = earlier === undefined ? value : `${earlier}, ${value}`;
    }
    // As Node's `headers.host`: the first one.
    if (name === 'host') authority ??= value;
    if (name === peerHeader) {
      peerValues += 1;
      peerValue = value;
    }
  }
  // Envoy writes `-` without a verified peer; more than one value is not Envoy's and counts as none.
  const peerPrincipal = peerValues === 1 && peerValue !== '-' ? peerValue : '';
  const requestId = headers['x-request-id'];
  delete headers['x-request-id'];
  const httpRequest: HttpRequestMessage | undefined =
    match === undefined || request.method === undefined
      ? undefined
      : {
          method: request.method,
          // As Envoy reports `:scheme` on gRPC: the inbound listener is TLS, the outbound one is not.
          scheme: direction === 'inbound' ? 'https' : 'http',
          authority: authority ?? '',
          target: path.slice(match[1].length),
          headers,
          ...(body.byteLength > 0 ? { body } : {}),
        };
  return { direction, request: httpRequest, peerPrincipal, ...(requestId ? { requestId } : {}) };
}

/**
 * Envoy's reading of the answer: 200 allows with header changes; any other status is the client's.
 * Every answer is empty and says so (`content-length: 0`), so it goes out as one write, not chunked.
 */
function answer(response: ServerResponse, decision: Decision): void {
  if (decision.outcome === 'allow') {
    response
      .writeHead(200, {
        ...decision.setHeaders,
        'content-length': '0',
        ...(decision.removeHeaders.length > 0
          ? { [headersToRemoveHeader]: decision.removeHeaders.join(',') }
          : {}),
      })
      .end();
    return;
  }
  response.writeHead(decision.status, { ...decision.responseHeaders, 'content-length': '0' }).end();
}
