import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import { silentLogger } from '../lib/log/logger.js';
import { HeaderValueOption_HeaderAppendAction } from '../proto/gen/envoy/config/core/v3/base_pb.js';
import { CheckRequestSchema } from '../proto/gen/envoy/service/auth/v3/external_auth_pb.js';
import { startAuthorizationServer } from '../translator/authorization-server.js';
import type { BenchFigure } from './bench-figure.js';
import type { CpuTimes } from './process-cpu.js';

export interface ExtAuthzTransportOptions {
  /** Measured calls per concurrency. */
  readonly calls: number;
  readonly warmupCalls: number;
  /** Calls in flight; each is measured separately (the translator path uses 1 and 8). */
  readonly concurrencies: readonly number[];
  readonly cpuTimes: () => CpuTimes;
}

/**
 * What the ext_authz transport costs the translator per `Check`, apart from any decision: the
 * translator's own gRPC server (`startAuthorizationServer`: grpc-js on Node's HTTP/2, protobuf-es
 * decode and encode) with a Check that answers a fixed OK at once, fed real CheckRequest bytes
 * (an inbound request as Envoy describes it, about 1.6 KB) by a client in a forked process over
 * one loopback HTTP/2 connection, as Envoy's cluster does. The figure is the server process's
 * CPU time per call, which the client's work does not touch.
 */
export async function runExtAuthzTransportBenchmark(
  options: ExtAuthzTransportOptions,
): Promise<BenchFigure[]> {
  const server = await startAuthorizationServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    check: () =>
      Promise.resolve({
        status: { code: 0 },
        httpResponse: {
          case: 'okResponse',
          value: {
            headers: [
              {
                header: { key: 'authorization', value: 'Basic b3JkZXJzLWFsaWNlOmItc2VjcmV0' },
                appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
              },
            ],
            headersToRemove: ['workload-identity-token', 'signature', 'signature-input'],
          },
        },
      }),
  });
  try {
    const frame = grpcFrame(toBinary(CheckRequestSchema, create(CheckRequestSchema, inboundCheck())));
    const figures: BenchFigure[] = [];
    for (const concurrency of options.concurrencies) {
      const serverUs = await measureServerCpu(server.port, frame, concurrency, options);
      figures.push({
        name: 'translator-ext-authz-transport',
        metric: `server-cpu-per-check-${concurrency}-in-flight`,
        value: serverUs,
        unit: 'us',
      });
    }
    return figures;
  } finally {
    await server.close();
  }
}

async function measureServerCpu(
  port: number,
  frame: Buffer,
  concurrency: number,
  options: ExtAuthzTransportOptions,
): Promise<number> {
  const order = {
    port,
    frame: frame.toString('base64'),
    warmupCalls: options.warmupCalls,
    calls: options.calls,
    concurrency,
  };
  const client = fork(fileURLToPath(new URL('./ext-authz-client/main.js', import.meta.url)), [
    JSON.stringify(order),
  ]);
  try {
    const exited = new Promise<never>((_, reject) =>
      client.once('exit', (code) => reject(new Error(`ext-authz client exited with ${String(code)}`))),
    );
    const message = () => Promise.race([new Promise((resolve) => client.once('message', resolve)), exited]);
    await message();
    const before = options.cpuTimes().selfMs;
    client.send('go');
    await message();
    return ((options.cpuTimes().selfMs - before) / options.calls) * 1000;
  } finally {
    client.kill();
  }
}

/** gRPC's length-prefixed message: no compression flag, 4-byte big-endian length, the bytes. */
function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.byteLength);
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, 5);
  return frame;
}

/** An inbound CheckRequest shaped like Envoy B's: the mTLS peer, the signed request's headers and body. */
function inboundCheck() {
  const signedHeaders: Record<string, string> = {
    ':authority': 'orders.zone-b:8080',
    ':method': 'POST',
    ':path': '/orders?id=1',
    ':scheme': 'https',
    'content-type': 'application/json',
    'content-length': '9',
    'accord-user': 'alice',
    'x-forwarded-proto': 'https',
    'x-request-id': '8c1f6f4e-2b1a-4f7e-9a55-4c0f3f1d2e11',
    'content-digest': `sha-256=:${'A'.repeat(43)}=:`,
    'workload-identity-token': `eyJ${'a'.repeat(600)}`,
    'signature-input': `wimse=("@method" "@request-target" "workload-identity-token" "content-digest" "accord-user");created=1763900000;expires=1763900060;nonce="${'n'.repeat(22)}";tag="wimse-workload-to-workload";wimse-aud="spiffe://zone-b.example"`,
    signature: `wimse=:${'s'.repeat(86)}==:`,
  };
  return {
    attributes: {
      source: { principal: 'spiffe://zone-a.example/ns/shop/sa/frontend' },
      destination: { principal: 'spiffe://zone-b.example/ns/orders/sa/api' },
      request: {
        http: {
          id: '8c1f6f4e-2b1a-4f7e-9a55-4c0f3f1d2e11',
          method: 'POST',
          path: '/orders?id=1',
          host: 'orders.zone-b:8080',
          scheme: 'https',
          protocol: 'HTTP/1.1',
          headers: signedHeaders,
          rawBody: new TextEncoder().encode('{"qty":1}'),
        },
      },
      contextExtensions: { 'accord.direction': 'inbound' },
    },
  };
}
