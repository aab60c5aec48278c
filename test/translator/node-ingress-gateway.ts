import type { IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ZoneHop } from './two-zone-chain.js';

/** A request as the gateway relays it: what a misbehaving gateway may rewrite. */
export interface RelayedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Key material as PEM. */
export interface PemSvid {
  certificatePem: string;
  privateKeyPem: string;
}

export interface NodeIngressGatewayOptions {
  /** The gateway's own SVID: it presents it to zone A (server) and to Envoy B (client). */
  svid: PemSvid;
  /** Roots a downstream client certificate must chain to (zone A's bundle). */
  downstreamRootPem: string;
  /** Roots Envoy B's certificate must chain to (zone B's bundle). */
  upstreamRootPem: string;
  /** Envoy B's inbound mTLS port on 127.0.0.1. */
  upstreamPort: number;
}

/** A running gateway; `relay` decides what it forwards and is switched by the tests. */
export interface NodeIngressGateway extends ZoneHop {
  /** Rewrites each request before it is forwarded; the identity by default (an honest gateway). */
  relay: (request: RelayedRequest) => RelayedRequest;
  /** Every request as received from zone A, in order. */
  captured: RelayedRequest[];
  /** Sends `request` to Envoy B again, as the gateway; its status. */
  resend(request: RelayedRequest): Promise<number>;
}

const hopByHopHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * A test double of zone B's ingress gateway in Node: terminates zone A's mTLS, then re-originates
 * mTLS to Envoy B with its own zone-B SVID, passing headers through. Its `relay` hook makes it
 * misbehave (change the method, path, body or identity header); `resend` replays a captured request.
 * Node rather than Envoy because Envoy's route config cannot change a request's method.
 */
export async function startNodeIngressGateway(
  options: NodeIngressGatewayOptions,
): Promise<NodeIngressGateway> {
  const forward = (request: RelayedRequest): Promise<{ status: number; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = httpsRequest(
        {
          host: '127.0.0.1',
          port: options.upstreamPort,
          method: request.method,
          path: request.path,
          headers: { ...request.headers, 'content-length': String(request.body.byteLength) },
          cert: options.svid.certificatePem,
          key: options.svid.privateKeyPem,
          ca: options.upstreamRootPem,
          minVersion: 'TLSv1.3',
          // Envoy B's SVID has a URI SAN only; the chain to zone B's root is what counts here.
          checkServerIdentity: () => undefined,
          agent: false,
          timeout: 5_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
          );
          response.on('error', reject);
        },
      );
      upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
      upstream.on('error', reject);
      upstream.end(request.body);
    });

  const server = createHttpsServer(
    {
      cert: options.svid.certificatePem,
      key: options.svid.privateKeyPem,
      ca: options.downstreamRootPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: RelayedRequest = {
          method: request.method ?? 'GET',
          path: request.url ?? '/',
          headers: plainHeaders(request.headers),
          body: Buffer.concat(chunks),
        };
        gateway.captured.push(received);
        forward(gateway.relay(received)).then(
          (answer) => {
            response.statusCode = answer.status;
            response.end(answer.body);
          },
          () => {
            response.statusCode = 502;
            response.end();
          },
        );
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gateway: NodeIngressGateway = {
    port: (server.address() as AddressInfo).port,
    relay: (request) => request,
    captured: [],
    resend: async (request) => (await forward(request)).status,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return gateway;
}

function plainHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHopHeaders.has(name)) continue;
    plain[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return plain;
}
