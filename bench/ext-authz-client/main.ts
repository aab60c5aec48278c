import { connect, type IncomingHttpHeaders } from 'node:http2';

/**
 * The load side of the ext_authz transport benchmark (`bench/ext-authz-transport.ts`), forked into
 * its own process so the server's CPU time is the server's alone. It sends `Check` calls over one
 * HTTP/2 connection, as Envoy's `accord_translator` cluster does: warm-up, then `ready`, then on
 * `go` the measured calls, answering with the elapsed milliseconds.
 */
interface ClientOrder {
  port: number;
  /** One gRPC length-prefixed CheckRequest, base64. */
  frame: string;
  warmupCalls: number;
  calls: number;
  concurrency: number;
}

const checkPath = '/envoy.service.auth.v3.Authorization/Check';

async function main(): Promise<void> {
  const order = JSON.parse(process.argv[2] ?? '{}') as ClientOrder;
  const frame = Buffer.from(order.frame, 'base64');
  const session = connect(`http://127.0.0.1:${order.port}`);
  const call = () =>
    new Promise<void>((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': checkPath,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '2000m',
      });
      stream.on('trailers', (trailers: IncomingHttpHeaders) => {
        const status = trailers['grpc-status'];
        if (status === '0') resolve();
        else reject(new Error(`grpc-status ${String(status)}`));
      });
      stream.on('data', () => undefined);
      stream.on('error', reject);
      stream.end(frame);
    });
  for (let index = 0; index < order.warmupCalls; index += 1) await call();
  process.send?.('ready');
  await new Promise((resolve) => process.once('message', resolve));
  const started = performance.now();
  let issued = 0;
  const worker = async () => {
    while (issued < order.calls) {
      issued += 1;
      await call();
    }
  };
  await Promise.all(Array.from({ length: order.concurrency }, worker));
  process.send?.(performance.now() - started);
  session.close();
}

main().then(
  () => process.disconnect(),
  (error: unknown) => {
    process.stderr.write(`ext-authz-client: ${String(error)}\n`);
    process.exitCode = 1;
    process.disconnect();
  },
);
