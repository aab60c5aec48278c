import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { PkiService } from '../../proto/gen/accord/pki/v1/pki_pb.js';
import { silentLogger } from '../log/logger.js';
import { InvalidArgumentError, PermissionDeniedError, UnavailableError } from '../errors/accord-error.js';
import { maxMessageChars } from '../errors/quote-untrusted.js';
import type { TrustBundleSet } from '../spiffe/x509-svid.js';
import { X509SvidVerifier } from '../spiffe/x509-svid-verifier.js';
import { createTestZone, type TestSvid, type TestZone } from '../../test/support/test-zone.js';
import { testTool } from '../../test/support/test-tools.js';
import { registerService, startGrpcServer, type CallContext, type GrpcServer } from './grpc-server.js';
import { createGrpcClient } from './grpc-client.js';

const run = promisify(execFile);

describe('startGrpcServer and createGrpcClient', () => {
  let zoneA: TestZone;
  let zoneB: TestZone;
  let serverSvid: TestSvid;
  let clientSvid: TestSvid;
  let server: GrpcServer;
  const registry = new Registry();
  const seen: { peer: string | undefined; token: string | undefined }[] = [];
  const verifier = new X509SvidVerifier();
  let trustedRoots: TrustBundleSet;
  let handlerStarted: Promise<void>;
  let handlerCancelled: Promise<void>;

  const remember = (context: CallContext) =>
    seen.push({ peer: context.peer?.spiffeId.uri, token: context.bearerToken });

  beforeAll(async () => {
    zoneA = await createTestZone('zone-a');
    zoneB = await createTestZone('zone-b');
    serverSvid = await zoneA.issue('/accord/test-server');
    clientSvid = await zoneA.issue('/workload/client');
    trustedRoots = new Map([[zoneA.trustDomain, [zoneA.root]]]);
    let onHandlerStarted = (): void => undefined;
    let onHandlerCancelled = (): void => undefined;
    handlerStarted = new Promise((resolve) => (onHandlerStarted = resolve));
    handlerCancelled = new Promise((resolve) => (onHandlerCancelled = resolve));
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      identity: { certificatePem: serverSvid.certificatePem, privateKeyPem: serverSvid.privateKeyPem },
      clientCaPems: [zoneA.rootPem, zoneB.rootPem],
      verifyPeer: (leafDer) => verifier.verify(leafDer, trustedRoots, new Date()),
      logger: silentLogger,
      metrics: registry,
      maxReceiveMessageBytes: 256 * 1024,
      services: [
        registerService(PkiService, {
          getCA: (_request, context) => {
            remember(context);
            return Promise.resolve({ trustDomain: zoneA.trustDomain, rootCertificates: [zoneA.rootPem] });
          },
          getBundle: () => Promise.reject(new PermissionDeniedError('not for you')),
          signCSR: (request) => {
            if (request.csr === 'boom') return Promise.reject(new Error('secret internal detail'));
            // A handler that echoes its input without quoting it: the server must still bound it.
            if (request.csr.startsWith('echo-error'))
              return Promise.reject(new InvalidArgumentError(`unreadable CSR ${request.csr}`));
            return Promise.resolve({ spiffeId: `echo:${request.csr.length}` });
          },
          issueWIT: async (request, context) => {
            onHandlerStarted();
            await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));
            onHandlerCancelled();
            return { token: String(request.ttlSeconds) };
          },
          getRootRotation: notUsedHere,
          prepareRootRotation: notUsedHere,
          signRootAnnouncements: notUsedHere,
          activateRootRotation: notUsedHere,
          cancelRootRotation: notUsedHere,
          emergencyRotateRoot: notUsedHere,
          timestampConsent: () => Promise.reject(new PermissionDeniedError('not for you')),
        }),
      ],
    });
  });

  afterAll(() => server.close());

  /** The root rotation calls, which these tests of the server's plumbing never make. */
  function notUsedHere(): Promise<never> {
    return Promise.reject(new Error('not used by these tests'));
  }

  const address = () => `127.0.0.1:${server.port}`;
  const mtlsClient = () =>
    createGrpcClient(PkiService, address(), {
      caPems: [zoneA.rootPem],
      certificatePem: clientSvid.certificatePem,
      privateKeyPem: clientSvid.privateKeyPem,
      expectedServerId: 'spiffe://zone-a.example/accord/test-server',
    });

  it('hands the handler the caller SPIFFE ID verified from its client certificate', async () => {
    const client = mtlsClient();
    const response = await client.getCA({});
    client.close();
    expect(response.trustDomain).toBe('zone-a.example');
    expect(seen.at(-1)).toEqual({ peer: 'spiffe://zone-a.example/workload/client', token: undefined });
  });

  it('identifies every call by its own connection client certificate, however the calls interleave', async () => {
    const other = await zoneA.issue('/workload/other');
    const first = mtlsClient();
    const second = createGrpcClient(PkiService, address(), {
      caPems: [zoneA.rootPem],
      certificatePem: other.certificatePem,
      privateKeyPem: other.privateKeyPem,
      expectedServerId: 'spiffe://zone-a.example/accord/test-server',
    });
    try {
      const peers: (string | undefined)[] = [];
      for (const client of [first, second, first, second, second, first]) {
        await client.getCA({});
        peers.push(seen.at(-1)?.peer);
      }
      const [a, b] = ['spiffe://zone-a.example/workload/client', 'spiffe://zone-a.example/workload/other'];
      expect(peers).toEqual([a, b, a, b, b, a]);
    } finally {
      first.close();
      second.close();
    }
  });

  it('passes a bearer token and no peer when the client has no certificate', async () => {
    const client = createGrpcClient(
      PkiService,
      address(),
      { caPems: [zoneA.rootPem] },
      { bearerToken: 'tok-123' },
    );
    await client.getCA({});
    client.close();
    expect(seen.at(-1)).toEqual({ peer: undefined, token: 'tok-123' });
  });

  it('refuses a certificate from a zone the verifier does not trust with UNAUTHENTICATED', async () => {
    const stranger = await zoneB.issue('/workload/stranger');
    const client = createGrpcClient(PkiService, address(), {
      caPems: [zoneA.rootPem],
      certificatePem: stranger.certificatePem,
      privateKeyPem: stranger.privateKeyPem,
    });
    await expect(client.getCA({})).rejects.toMatchObject({ kind: 'Unauthenticated' });
    client.close();
  });

  it('refuses a caller it verified before once its zone is no longer trusted, on the same connection', async () => {
    const client = mtlsClient();
    await expect(client.getCA({})).resolves.toMatchObject({ trustDomain: 'zone-a.example' });
    const before = trustedRoots;
    trustedRoots = new Map([[zoneB.trustDomain, [zoneB.root]]]);
    try {
      await expect(client.getCA({})).rejects.toMatchObject({
        kind: 'Unauthenticated',
        message: 'X509-SVID rejected: no trust bundle for trust domain zone-a.example',
      });
    } finally {
      trustedRoots = before;
    }
    await expect(client.getCA({})).resolves.toMatchObject({ trustDomain: 'zone-a.example' });
    client.close();
  });

  it('maps domain errors to their status and hides internal errors behind INTERNAL', async () => {
    const client = mtlsClient();
    await expect(client.getBundle({})).rejects.toMatchObject({
      kind: 'PermissionDenied',
      message: 'not for you',
    });
    const internal = client.signCSR({ csr: 'boom' });
    await expect(internal).rejects.toMatchObject({ kind: 'Internal', message: 'internal error' });
    client.close();
  });

  it('answers a malformed request body with INVALID_ARGUMENT', async () => {
    const raw = new Client(
      address(),
      credentials.createSsl(Buffer.from(zoneA.rootPem), null, null, { checkServerIdentity: () => undefined }),
    );
    const code = await new Promise<number>((resolve) => {
      raw.makeUnaryRequest(
        '/accord.pki.v1.PkiService/SignCSR',
        () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        (bytes: Buffer) => bytes,
        {},
        new Metadata(),
        (error) => resolve(error?.code ?? GrpcStatus.OK),
      );
    });
    raw.close();
    expect(code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  it('refuses a request over the size limit with RESOURCE_EXHAUSTED before the handler runs', async () => {
    const client = mtlsClient();
    await expect(client.signCSR({ csr: 'x'.repeat(300 * 1024) })).rejects.toMatchObject({
      kind: 'ResourceExhausted',
    });
    await expect(client.signCSR({ csr: 'x'.repeat(1024) })).resolves.toMatchObject({ spiffeId: 'echo:1024' });
    client.close();
  });

  it('bounds an error message that echoes 200 KB of input, and the connection keeps serving', async () => {
    const client = createGrpcClient(
      PkiService,
      address(),
      {
        caPems: [zoneA.rootPem],
        certificatePem: clientSvid.certificatePem,
        privateKeyPem: clientSvid.privateKeyPem,
      },
      { deadlineMs: 5000 },
    );
    const started = performance.now();
    const error: unknown = await client
      .signCSR({ csr: `echo-error\n${'x'.repeat(200 * 1024)}` })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'InvalidArgument' });
    const message = (error as Error).message;
    expect(message.startsWith('unreadable CSR echo-error\\nxxx')).toBe(true);
    expect(message.endsWith('… (message cut)')).toBe(true);
    expect(message.length).toBe(maxMessageChars);
    // Unbounded, the status trailer outgrew the client's header limit and the call hung until its deadline.
    expect(performance.now() - started).toBeLessThan(4000);
    await expect(client.signCSR({ csr: 'x'.repeat(16) })).resolves.toMatchObject({ spiffeId: 'echo:16' });
    client.close();
  });

  it('fails the handshake when the server is not the expected SPIFFE ID', async () => {
    const client = createGrpcClient(
      PkiService,
      address(),
      { caPems: [zoneA.rootPem], expectedServerId: 'spiffe://zone-a.example/accord/pki' },
      { deadlineMs: 3000 },
    );
    const call = client.getCA({});
    await expect(call).rejects.toBeInstanceOf(UnavailableError);
    client.close();
  });

  it('aborts the handler signal when the client cancels', async () => {
    const client = mtlsClient();
    const abort = new AbortController();
    const call = client.issueWIT({ ttlSeconds: 5 }, { signal: abort.signal });
    await handlerStarted;
    abort.abort();
    await expect(call).rejects.toMatchObject({ kind: 'Cancelled' });
    await handlerCancelled;
    client.close();
  });

  it('counts handled calls by status code', async () => {
    const metrics = await registry.getSingleMetricAsString('grpc_server_handled_total');
    expect(metrics).toMatch(/grpc_method="GetBundle".*grpc_code="PERMISSION_DENIED"\} 1/);
  });

  it('serves health checking and reflection to grpcurl without proto files', async () => {
    const grpcurl = testTool('grpcurl');
    // -insecure: SVIDs carry no DNS name for grpcurl's hostname check; the chain is not what is tested here.
    const list = await run(grpcurl, ['-insecure', address(), 'list']);
    expect(list.stdout.split('\n')).toEqual(
      expect.arrayContaining(['accord.pki.v1.PkiService', 'grpc.health.v1.Health']),
    );
    const describe = await run(grpcurl, ['-insecure', address(), 'describe', 'accord.pki.v1.PkiService']);
    expect(describe.stdout).toContain(
      'rpc SignCSR ( .accord.pki.v1.SignCSRRequest ) returns ( .accord.pki.v1.SignCSRResponse );',
    );
    const health = await run(grpcurl, [
      '-insecure',
      '-d',
      '{"service":"accord.pki.v1.PkiService"}',
      address(),
      'grpc.health.v1.Health/Check',
    ]);
    expect(JSON.parse(health.stdout)).toEqual({ status: 'SERVING' });
  });
});
