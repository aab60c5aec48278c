import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** The status and text body of a test request's response. */
export interface HttpCallResult {
  status: number;
  body: string;
}

/** One test request to a listener on 127.0.0.1. */
export interface HttpCall {
  port: number;
  /** The request target: a path, or an absolute URL when calling a forward proxy. */
  path: string;
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Uint8Array;
  /** Present for HTTPS: the roots to trust and, for mTLS, the client's certificate and key. */
  tls?: { caPem: string; certificatePem?: string; privateKeyPem?: string };
}

/**
 * Sends one request without connection reuse (each call is its own handshake, so a test sees
 * the current trust) and resolves with the response, or rejects on a refused handshake or after
 * 5 s. The server's certificate is checked against `tls.caPem` only: an X509-SVID names a SPIFFE
 * ID, not a host name.
 */
export function httpCall(call: HttpCall): Promise<HttpCallResult> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port: call.port,
      path: call.path,
      method: call.method ?? 'GET',
      headers: call.headers ?? {},
      agent: false as const,
      timeout: 5_000,
    };
    const onResponse = (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    };
    const { tls } = call;
    const request =
      tls === undefined
        ? httpRequest(options, onResponse)
        : httpsRequest(
            {
              ...options,
              ca: tls.caPem,
              ...(tls.certificatePem === undefined ? {} : { cert: tls.certificatePem }),
              ...(tls.privateKeyPem === undefined ? {} : { key: tls.privateKeyPem }),
              checkServerIdentity: () => undefined,
            },
            onResponse,
          );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(call.body);
  });
}
