import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import { errorMessage } from '../errors/accord-error.js';
import { closeHttpServer, listenHttpServer } from './http-server-lifecycle.js';

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  /** Whether the component can do its job now (e.g. has an SVID and its first sync done). */
  isReady: () => boolean;
  logger: Logger;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the operational endpoints every long-running component has: `/healthz` (the process is
 * alive), `/readyz` (it can do its job) and `/metrics` (Prometheus text format).
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/healthz':
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const isReady = options.isReady();
        response
          .writeHead(isReady ? 200 : 503, { 'content-type': 'text/plain' })
          .end(isReady ? 'ready\n' : 'not ready\n');
        return;
      }
      case '/metrics':
        options.registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
          (error: unknown) => {
            options.logger.error('metrics collection failed', { error: errorMessage(error) });
            response.writeHead(500).end();
          },
        );
        return;
      default:
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  const port = await listenHttpServer(server, options.host, options.port);
  options.logger.info('ops server listening', { address: `${options.host}:${port}` });
  return {
    port,
    close: () => closeHttpServer(server),
  };
}
