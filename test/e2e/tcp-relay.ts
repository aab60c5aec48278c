import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP relay on 127.0.0.1 whose port is known before the server it forwards to exists. */
export interface TcpRelay {
  readonly port: number;
  /** Where connections go from now on (`127.0.0.1:<port>`); until set, they are closed at once. */
  forwardTo(port: number): void;
  close(): Promise<void>;
}

/**
 * Starts a byte-for-byte TCP relay (TLS passes through untouched). In a full mesh every zone's
 * Envoy must name every partner's inbound port in its static bootstrap before the partners'
 * Envoys are up; each zone's relay gives that port first and is pointed at the Envoy once it
 * listens, without reserving ports that another process could take in between.
 */
export async function startTcpRelay(): Promise<TcpRelay> {
  let targetPort: number | undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer((downstream) => {
    track(downstream);
    if (targetPort === undefined) {
      downstream.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
    downstream.pipe(upstream).pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    forwardTo: (port) => {
      targetPort = port;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
