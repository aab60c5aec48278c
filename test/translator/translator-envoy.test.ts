import 'reflect-metadata';
import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { spiffeBundleFileName } from '../../lib/bundle/bundle-file-names.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { httpCall, type HttpCallResult } from '../support/http-call.js';
import { signedWithParameters } from '../support/wimse-signature-with-parameters.js';
import { renderEnvoyYaml } from '../../lib/sidecar/render-envoy-yaml.js';
import { sidecarBootstrap } from '../../operator/envoy/sidecar-bootstrap.js';
import { basicAuthorization } from '../../translator/basic-credentials.js';
import type { HttpRequestMessage } from '../../translator/http-message.js';
import { signRequest } from '../../translator/sign-request.js';
import { startTranslator, type RunningTranslator } from '../../translator/start-translator.js';
import { translatorConfigSchema } from '../../translator/translator-config.js';
import {
  testWit,
  testWorkloadKey,
  testZone,
  type TestWorkloadKey,
  type TestZone,
} from '../support/wit-test-fixtures.js';
import {
  createSidecarFiles,
  createTestZoneCa,
  startEnvoy,
  type RunningEnvoy,
  type SidecarFiles,
  type TestZoneCa,
} from '../envoy/envoy-harness.js';
import { inboundDecisions } from './translator-decisions.js';

// Zone B's sidecar for real: Envoy (inbound listener, mTLS, ext_authz) -> accord-translator ->
// an app on 127.0.0.1 that only knows its own Basic credentials. Zone A is played by this test: an
// mTLS client with a zone-A SVID that signs its requests with a WIT from zone A's WIT key.
jest.setTimeout(60_000);

const frontendPath = '/ns/shop/sa/frontend';

interface Svid {
  certificatePem: string;
  privateKeyPem: string;
}

interface AppCall {
  authorization: string | undefined;
  headers: Record<string, unknown>;
  body: string;
  bodyBytes: Buffer;
}

let directory: string;
let caA: TestZoneCa;
let caB: TestZoneCa;
let witZoneA: TestZone;
let workloadKey: TestWorkloadKey;
let wit: string;
let clientSvid: Svid;
let files: SidecarFiles;
let translator: RunningTranslator;
let envoy: RunningEnvoy;
let inboundPort: number;
let app: Server;
const appCalls: AppCall[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-translator-envoy-'));
  [caA, caB, witZoneA, workloadKey] = await Promise.all([
    createTestZoneCa('zone-a.example'),
    createTestZoneCa('zone-b.example'),
    testZone('zone-a.example'),
    testWorkloadKey(),
  ]);
  wit = await testWit(witZoneA, workloadKey, { path: frontendPath, issuedAt: new Date(Date.now() - 60_000) });
  clientSvid = await caA.issue(frontendPath);
  files = await createSidecarFiles(directory, await caB.issue('/ns/orders/sa/api'), [caA, caB]);
  await writeFile(
    join(files.bundleDirectory, spiffeBundleFileName('zone-a.example')),
    JSON.stringify(witZoneA.bundle),
  );
  const credentialsFile = join(directory, 'credentials.yaml');
  await writeFile(
    credentialsFile,
    `mappings:\n  - { workload: "spiffe://zone-a.example${frontendPath}", user: alice, username: orders-alice, password: b-secret }\n`,
  );

  app = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const bodyBytes = Buffer.concat(chunks);
      appCalls.push({
        authorization: request.headers.authorization,
        headers: request.headers,
        body: bodyBytes.toString('utf8'),
        bodyBytes,
      });
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ authorization: request.headers.authorization ?? null }));
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = (app.address() as AddressInfo).port;

  translator = await startTranslator(
    translatorConfigSchema.parse({
      trustDomain: 'zone-b.example',
      listen: { port: 0 },
      ops: { port: 0 },
      bundleDirectory: files.bundleDirectory,
      envoySecretsDirectory: files.secretsDirectory,
      inbound: { services: ['orders'], credentialsFile },
    }),
    { logger: silentLogger, registry: new Registry(), clock: systemClock },
  );

  const configPath = join(directory, 'envoy.yaml');
  await writeFile(
    configPath,
    renderEnvoyYaml(
      sidecarBootstrap({
        node: { id: 'orders-0', cluster: 'orders' },
        adminPort: 0,
        secretsDirectory: files.secretsDirectory,
        inbound: { address: '127.0.0.1', port: 0, appPort },
        extAuthz: { translatorPort: translator.port, timeoutMs: 2_000, maxRequestBytes: 65_536 },
      }),
    ),
  );
  envoy = await startEnvoy(configPath, directory);
  inboundPort = await envoy.listenerPort('inbound');
});

afterAll(async () => {
  await envoy.process.stop();
  await translator.close();
  app.close();
  await rm(directory, { recursive: true, force: true });
});

beforeEach(() => {
  appCalls.length = 0;
});

interface Call {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** What zone A's outbound translator would send: alice's request, signed for zone B (with `witToken`). */
function signedCall(overrides: Partial<Call> = {}, witToken = wit): Call {
  const call: Call = {
    method: 'POST',
    path: '/orders?id=1',
    headers: { 'content-type': 'application/json', 'accord-user': 'alice' },
    body: '{"qty":1}',
    ...overrides,
  };
  const message: HttpRequestMessage = {
    method: call.method,
    scheme: 'https',
    authority: `127.0.0.1:${inboundPort}`,
    target: call.path,
    headers: call.headers,
    body: typeof call.body === 'string' ? new TextEncoder().encode(call.body) : call.body,
  };
  const signed = signRequest(
    message,
    { wit: witToken, privateKey: workloadKey.privateKey, clock: systemClock, signatureLifetimeSeconds: 10 },
    { audience: 'spiffe://zone-b.example/orders', identityHeaders: ['accord-user'] },
  );
  return { ...call, headers: { ...call.headers, ...signed } };
}

/** Sends `call` to zone B's inbound listener with mTLS as `svid`. */
function send(call: Call, svid: Svid = clientSvid): Promise<HttpCallResult> {
  return httpCall({
    port: inboundPort,
    ...call,
    tls: { caPem: caB.rootPem, certificatePem: svid.certificatePem, privateKeyPem: svid.privateKeyPem },
  });
}

async function translatorMetrics(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${translator.opsPort}/metrics`);
  return response.text();
}

describe('accord-translator behind a real Envoy (inbound)', () => {
  it('forwards a correctly signed request with a valid WIT, and the app sees its own Basic credentials', async () => {
    const response = await send(signedCall());
    expect(response.status).toBe(200);
    expect(appCalls).toHaveLength(1);
    expect(appCalls[0]?.authorization).toBe(basicAuthorization('orders-alice', 'b-secret'));
    expect(appCalls[0]?.headers['workload-identity-token']).toBeUndefined();
    expect(appCalls[0]?.headers.signature).toBeUndefined();
    expect(appCalls[0]?.body).toBe('{"qty":1}');
  });

  it('forwards a signed binary (non-UTF-8) body, and the app receives the exact bytes', async () => {
    // Invalid UTF-8 throughout: Envoy would replace these bytes unless ext_authz packs the body as bytes.
    const body = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]);
    const call = signedCall({
      headers: { 'content-type': 'application/octet-stream', 'accord-user': 'alice' },
      body,
    });
    const response = await send(call);
    expect(response.status).toBe(200);
    expect(appCalls).toHaveLength(1);
    expect(appCalls[0]?.bodyBytes.equals(Buffer.from(body))).toBe(true);
  });

  it('answers 501 to a request whose client requires a signed response, and never lets the app answer it unsigned', async () => {
    const call = signedCall();
    const message: HttpRequestMessage = {
      method: call.method,
      scheme: 'https',
      authority: `127.0.0.1:${inboundPort}`,
      target: call.path,
      headers: { 'content-type': 'application/json', 'accord-user': 'alice' },
      body: new TextEncoder().encode('{"qty":1}'),
    };
    const requiringSignedResponse = signedWithParameters(message, {
      wit,
      privateKey: workloadKey.privateKey,
      createdSeconds: Math.floor(Date.now() / 1000),
      lifetimeSeconds: 10,
      audience: 'spiffe://zone-b.example/orders',
      extraParameters: new Map([['wimse-sign-response', true]]),
    });
    expect(requiringSignedResponse.headers['signature-input']).toContain(';wimse-sign-response');
    const before = await inboundDecisions(translator.opsPort, 'response_signing_unsupported');
    const response = await send({ ...call, headers: requiringSignedResponse.headers });
    expect(response.status).toBe(501);
    expect(response.body).toBe('');
    expect(appCalls).toHaveLength(0);
    expect(await inboundDecisions(translator.opsPort, 'response_signing_unsupported')).toBe(before + 1);
    // The same client, not requiring a signed response, is served.
    expect((await send(call)).status).toBe(200);
    expect(appCalls).toHaveLength(1);
  });

  it('refuses a request whose path was changed after signing, without reaching the app', async () => {
    const call = signedCall();
    const response = await send({ ...call, path: '/orders?id=2' });
    expect(response.status).toBe(403);
    expect(response.body).toBe('');
    expect(appCalls).toHaveLength(0);
  });

  it('refuses a request whose body was changed after signing', async () => {
    const response = await send({ ...signedCall(), body: '{"qty":100}' });
    expect(response.status).toBe(403);
    expect(appCalls).toHaveLength(0);
  });

  it('refuses a replayed request', async () => {
    const call = signedCall();
    expect((await send(call)).status).toBe(200);
    expect((await send(call)).status).toBe(403);
    expect(appCalls).toHaveLength(1);
  });

  it('refuses an unsigned request even with Basic credentials the app would accept', async () => {
    const response = await send({
      method: 'GET',
      path: '/orders',
      headers: { authorization: basicAuthorization('orders-alice', 'b-secret') },
      body: '',
    });
    expect(response.status).toBe(403);
    expect(appCalls).toHaveLength(0);
  });

  it('refuses a request signed by zone A but relayed by a peer of another zone', async () => {
    const response = await send(signedCall(), await caB.issue('/ns/other/sa/relay'));
    expect(response.status).toBe(403);
    expect(appCalls).toHaveLength(0);
  });

  it.each<[string, () => Promise<string>, string]>([
    [
      'a WIT of zone C, which zone B has no contract with',
      async () =>
        testWit(await testZone('zone-c.example'), workloadKey, { path: frontendPath, issuedAt: new Date() }),
      'wit_untrusted_domain',
    ],
    [
      'an expired WIT',
      () =>
        testWit(witZoneA, workloadKey, {
          path: frontendPath,
          issuedAt: new Date(Date.now() - 7_200_000),
          ttlSeconds: 60,
        }),
      'wit_expired',
    ],
    [
      "a WIT of zone A's trust domain signed by a key not in zone A's bundle",
      async () =>
        testWit(await testZone('zone-a.example'), workloadKey, { path: frontendPath, issuedAt: new Date() }),
      'wit_unknown_key',
    ],
  ])('refuses %s, with its own reason in the metrics', async (_case, makeWit, reason) => {
    const before = await inboundDecisions(translator.opsPort, reason);
    const response = await send(signedCall({}, await makeWit()));
    expect(response.status).toBe(403);
    expect(appCalls).toHaveLength(0);
    expect(await inboundDecisions(translator.opsPort, reason)).toBe(before + 1);
    // The legitimate request right after it still passes.
    expect((await send(signedCall())).status).toBe(200);
  });

  it('counts every decision by reason in its metrics', async () => {
    const metrics = await translatorMetrics();
    for (const reason of [
      'ok',
      'signature_mismatch',
      'digest_mismatch',
      'nonce_replayed',
      'wit_missing',
      'peer_not_allowed',
    ])
      expect(metrics).toContain(`reason="${reason}"`);
  });

  it("stops accepting zone A once the provider removes its bundle: the translator rewrites Envoy's trust SDS file", async () => {
    await rm(join(files.bundleDirectory, 'zone-a.example.pem'));
    await rm(join(files.bundleDirectory, spiffeBundleFileName('zone-a.example')));
    // The directory watch triggers the reload; bounded wait until Envoy refuses the handshake.
    const deadline = Date.now() + 10_000;
    let isRefused = false;
    while (!isRefused && Date.now() < deadline) {
      isRefused = await send(signedCall()).then(
        () => false,
        () => true,
      );
      if (!isRefused) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(isRefused).toBe(true);
    expect(await readFile(join(files.secretsDirectory, 'accord-trust-bundles.yaml'), 'utf8')).not.toContain(
      'zone-a.example',
    );
  });

  it('fails closed with 503 when the translator is down', async () => {
    await translator.close();
    // A zone-B caller: zone A's bundle is gone by now, and the handshake must succeed to reach ext_authz.
    const response = await send(signedCall(), await caB.issue('/ns/orders/sa/client'));
    expect(response.status).toBe(503);
    expect(appCalls).toHaveLength(0);
  });
});
