import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a server, so a test can take that server "down" (connections
 * refused, open ones cut) and bring it back at the same address without restarting it.
 */
export interface TcpRelay {
  /** `127.0.0.1:<port>`: stays the same across `stop()` and `start()`. */
  readonly address: string;
  /** Closes the listener and cuts every relayed connection. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** How many connections the relay has accepted so far: a client's connection reuse, counted. */
  acceptedConnections(): number;
  close(): Promise<void>;
}

export async function startTcpRelay(target: string): Promise<TcpRelay> {
  const [targetHost = '127.0.0.1', targetPort = '0'] = target.split(':');
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let accepted = 0;
  const listen = async () => {
    const listening = createServer((client) => {
      accepted += 1;
      const upstream = connect(Number(targetPort), targetHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', resolve);
    });
    const address = listening.address();
    if (address === null || typeof address === 'string') throw new Error('the relay has no port');
    port = address.port;
    server = listening;
  };
  const stop = async () => {
    const listening = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (listening !== undefined) await new Promise<void>((resolve) => listening.close(() => resolve()));
  };
  await listen();
  return {
    address: `127.0.0.1:${String(port)}`,
    stop,
    start: listen,
    acceptedConnections: () => accepted,
    close: stop,
  };
}
