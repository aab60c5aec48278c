import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { readTrustBundleDirectory } from './trust-bundle-directory.js';
import { verifyX509Svid, type TrustBundleSet } from '../lib/spiffe/x509-svid.js';
import { errorMessage } from '../lib/errors/accord-error.js';

/** The service's own X509-SVID and its zone's roots. */
export interface ZoneServiceIdentity {
  trustDomain: string;
  certificatePem: string;
  privateKeyPem: string;
  ownRootsPem: string[];
}

export interface ZoneService {
  readonly port: number;
  /** Why the latest refused connection was refused, for the walkthrough's report. */
  lastRefusal(): string | undefined;
  close(): Promise<void>;
}

/**
 * A tiny HTTPS service that only talks to workloads of zones its provider trusts: the client CA
 * set is re-read from the provider's bundle directory for every handshake (so a contract change
 * applies to the next connection), and a certificate that chains to *some* trusted root is still
 * refused unless it chains to the root of the trust domain in its own SPIFFE ID.
 */
export async function startZoneService(
  identity: () => ZoneServiceIdentity,
  bundleDirectory: string,
): Promise<ZoneService> {
  let lastRefusal: string | undefined;
  let handshakeBundles: TrustBundleSet | undefined;
  const trustedBundles = async () => {
    const { bundles } = await readTrustBundleDirectory(bundleDirectory);
    const own = identity();
    return new Map([...bundles, [own.trustDomain, own.ownRootsPem.map((pem) => new X509Certificate(pem))]]);
  };

  const server: Server = createServer(
    {
      requestCert: true,
      rejectUnauthorized: true,
      // Every client sends SNI (see callZoneService), so every handshake gets a fresh context.
      SNICallback: (_servername, done) => {
        trustedBundles().then(
          (bundles) => {
            handshakeBundles = bundles;
            const own = identity();
            const ca = [...bundles.values()].flat().map((root) => root.toString());
            done(null, createSecureContext({ cert: own.certificatePem, key: own.privateKeyPem, ca }));
          },
          (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
        );
      },
      cert: identity().certificatePem,
      key: identity().privateKeyPem,
      ca: identity().ownRootsPem,
    },
    (request, response) => {
      const socket = request.socket;
      if (!(socket instanceof TLSSocket)) throw new Error('an HTTPS server always has a TLS socket');
      const peer = new X509Certificate(socket.getPeerCertificate().raw);
      trustedBundles()
        .then((bundles) => verifyX509Svid(peer, bundles, new Date()))
        .then(
          (caller) => {
            response.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${caller.spiffeId.uri}\n`);
          },
          (error: unknown) => {
            lastRefusal = errorMessage(error);
            socket.destroy();
          },
        );
    },
  );
  // Node only says "socket hang up" when it refuses a client certificate, and the refused
  // certificate is not available any more: say what the server trusted during that handshake.
  server.on('tlsClientError', (error) => {
    lastRefusal =
      handshakeBundles === undefined
        ? errorMessage(error)
        : `client certificate not issued by a trusted root (trusts: ${[...handshakeBundles.keys()].join(', ')})`;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    lastRefusal: () => lastRefusal,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
