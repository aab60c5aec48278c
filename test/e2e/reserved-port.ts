import { createServer, type AddressInfo } from 'node:net';

/** A port on 127.0.0.1 that the OS chose, held until the server meant to bind it starts. */
export interface ReservedPort {
  readonly port: number;
  /** Closes the placeholder listener, right before the real server binds the port. */
  release(): Promise<void>;
}

/**
 * Binds a placeholder listener to port 0 on 127.0.0.1 and keeps it until `release`. In a full mesh
 * every zone's Envoy must name every partner's inbound port in its static bootstrap before the
 * partners' Envoys are up; a reserved port gives it first. Between `release` and the Envoy's bind
 * another process could take the port: Envoy then fails to start, loudly, and nothing is misrouted.
 * (A relay in the test process would avoid that window but put a hop on every call that stalls
 * whenever this process does, failing TLS handshakes on Envoy's 1 s connect timeout.)
 */
export async function reservePort(): Promise<ReservedPort> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    release: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
      }),
  };
}
