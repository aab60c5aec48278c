import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** Binds `server` to `host:port` (0 picks a free port) and returns the port it got. */
export async function listenHttpServer(
  server: Server | HttpsServer,
  host: string,
  port: number,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return (server.address() as AddressInfo).port;
}

/** Stops accepting, cuts every open connection (keep-alive ones too) and resolves once closed. */
export function closeHttpServer(server: Server | HttpsServer): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * The request body, or undefined as soon as it is (or declares to be) larger than `maxBytes`: the
 * rest is drained without being kept, so an oversized request costs no more memory than the limit.
 * Rejects when the request fails, also when its client leaves before the body ended.
 */
export function readBodyUpTo(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(request.headers['content-length'] ?? '0') > maxBytes) return Promise.resolve(undefined);
  // Events, not `for await`: an async iterator costs more than the small bodies it usually reads.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else {
        request.off('data', onData);
        request.resume();
        resolve(undefined);
      }
    };
    request.on('data', onData);
    request.once('end', () => {
      if (size <= maxBytes) resolve(Buffer.concat(chunks, size));
    });
    // Also a client that goes away mid-body: Node destroys the request with an `aborted` error.
    request.once('error', reject);
  });
}
