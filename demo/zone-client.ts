import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { readTrustBundleDirectory } from './trust-bundle-directory.js';
import { verifyX509Svid } from '../lib/spiffe/x509-svid.js';
import { errorMessage } from '../lib/errors/accord-error.js';

export interface CallerIdentity {
  certificatePem: string;
  privateKeyPem: string;
  /** Where the caller zone's provider writes the bundles of the zones it trusts. */
  bundleDirectory: string;
}

export interface CallOutcome {
  isAccepted: boolean;
  /** What happened, in one line: who refused whom and why, or what the service answered. */
  detail: string;
}

/**
 * Calls a zone service over mutual TLS, the way a workload of the calling zone would, and reports
 * each side's verdict. TLS 1.2 is used because there the server verifies the client certificate
 * before the handshake completes, so a completed handshake means the server accepted the caller
 * (in TLS 1.3 the server's verdict arrives after the client considers itself connected). The
 * caller then checks the server against its own provider's bundle for the server's trust domain
 * before sending a byte of the request.
 */
export function callZoneService(
  port: number,
  serverTrustDomain: string,
  caller: CallerIdentity,
  timeoutMs = 5000,
): Promise<CallOutcome> {
  return new Promise((resolve) => {
    let isSettled = false;
    const settle = (outcome: CallOutcome) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ isAccepted: false, detail: 'timed out' }), timeoutMs);
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: serverTrustDomain,
      cert: caller.certificatePem,
      key: caller.privateKeyPem,
      maxVersion: 'TLSv1.2',
      // The server is checked below against the caller's per-zone bundle, not a merged CA pool.
      rejectUnauthorized: false,
    });
    socket.once('error', (error) =>
      settle({
        isAccepted: false,
        detail: `${serverTrustDomain} refused the handshake: ${errorMessage(error)}`,
      }),
    );
    socket.once('secureConnect', () => {
      const serverCertificate = new X509Certificate(socket.getPeerCertificate().raw);
      readTrustBundleDirectory(caller.bundleDirectory)
        .then(({ bundles }) => {
          const server = verifyX509Svid(serverCertificate, bundles, new Date());
          if (server.spiffeId.trustDomain !== serverTrustDomain) {
            throw new Error(`server is ${server.spiffeId.uri}, not of ${serverTrustDomain}`);
          }
        })
        .then(
          () => {
            let response = '';
            socket.setEncoding('utf8');
            socket.on('data', (chunk: string) => (response += chunk));
            socket.once('close', () => {
              const [statusLine = ''] = response.split('\r\n');
              const body = response.split('\r\n\r\n')[1]?.trim() ?? '';
              settle(
                statusLine.includes(' 200 ')
                  ? { isAccepted: true, detail: `${serverTrustDomain} answered: ${body}` }
                  : {
                      isAccepted: false,
                      detail: `${serverTrustDomain} closed the connection without answering`,
                    },
              );
            });
            // HTTP/1.0: the answer comes unchunked and the server closes after it.
            socket.write(`GET / HTTP/1.0\r\nHost: ${serverTrustDomain}\r\n\r\n`);
          },
          (error: unknown) =>
            settle({
              isAccepted: false,
              detail: `the caller does not trust ${serverTrustDomain}: ${errorMessage(error)}`,
            }),
        );
    });
  });
}
