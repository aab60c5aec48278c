import 'reflect-metadata';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { spiffeBundleFileName } from '../../lib/bundle/bundle-file-names.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { renderEnvoyYaml } from '../../operator/envoy/render-envoy-yaml.js';
import { sidecarBootstrap, type SidecarBootstrapOptions } from '../../operator/envoy/sidecar-bootstrap.js';
import { basicAuthorization, hashBasicPassword } from '../../translator/basic-credentials.js';
import { startTranslator, type RunningTranslator } from '../../translator/start-translator.js';
import { translatorConfigSchema } from '../../translator/translator-config.js';
import { testWit, testWorkloadKey, testZone } from '../../translator/wit-test-fixtures.js';
import {
  createSidecarFiles,
  createTestZoneCa,
  startEnvoy,
  type RunningEnvoy,
} from '../envoy/envoy-harness.js';

// The whole data path on loopback with two real Envoys: a legacy client in zone A that only knows
// Basic credentials of zone A -> Envoy A (outbound, ext_authz: Basic -> WIT + WIMSE signature) ->
// mTLS -> Envoy B (inbound, ext_authz: verify -> zone B's Basic credentials) -> zone B's app.
jest.setTimeout(60_000);

const frontendPath = '/ns/shop/sa/frontend';
let directory: string;
const envoys: RunningEnvoy[] = [];
const translators: RunningTranslator[] = [];
const servers: Server[] = [];
let outboundPortA: number;
const appCalls: { authorization: string | undefined; user: string | undefined; body: string }[] = [];

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-translator-two-zones-'));
  const [caA, caB, witZoneA, witZoneB, workloadKey] = await Promise.all([
    createTestZoneCa('zone-a.example'),
    createTestZoneCa('zone-b.example'),
    testZone('zone-a.example'),
    testZone('zone-b.example'),
    testWorkloadKey(),
  ]);
  const [dirA, dirB] = [join(directory, 'a'), join(directory, 'b')];
  await Promise.all([mkdir(dirA), mkdir(dirB)]);
  const filesA = await createSidecarFiles(dirA, await caA.issue(frontendPath), [caA, caB]);
  const filesB = await createSidecarFiles(dirB, await caB.issue('/ns/orders/sa/api'), [caA, caB]);
  for (const [files, zone] of [
    [filesA, witZoneA],
    [filesA, witZoneB],
    [filesB, witZoneA],
    [filesB, witZoneB],
  ] as const) {
    await writeFile(
      join(files.bundleDirectory, spiffeBundleFileName(zone.trustDomain)),
      JSON.stringify(zone.bundle),
    );
  }

  // Zone A's workload identity and local users; zone B's mapping to its own API's credentials.
  const witFile = join(dirA, 'wit.jwt');
  const privateKeyFile = join(dirA, 'wit-key.pem');
  await writeFile(
    witFile,
    await testWit(witZoneA, workloadKey, { path: frontendPath, issuedAt: new Date(Date.now() - 60_000) }),
  );
  await writeFile(privateKeyFile, workloadKey.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const basicUsersFile = join(dirA, 'users.yaml');
  await writeFile(basicUsersFile, `users:\n  alice: "${await hashBasicPassword('wonderland')}"\n`);
  const credentialsFile = join(dirB, 'credentials.yaml');
  await writeFile(
    credentialsFile,
    `mappings:\n  - { workload: "spiffe://zone-a.example${frontendPath}", user: alice, username: orders-alice, password: b-secret }\n`,
  );

  const appPortB = await listen(
    createHttpServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const user = request.headers['accord-user'];
        appCalls.push({
          authorization: request.headers.authorization,
          user: typeof user === 'string' ? user : undefined,
          body,
        });
        response.end('ok');
      });
    }),
  );
  const unusedAppPort = await listen(createHttpServer((_, response) => response.end()));

  const start = async (config: Record<string, unknown>) => {
    const translator = await startTranslator(
      translatorConfigSchema.parse({ listen: { port: 0 }, ops: { port: 0 }, ...config }),
      { logger: silentLogger, registry: new Registry(), clock: systemClock },
    );
    translators.push(translator);
    return translator;
  };
  const translatorB = await start({
    trustDomain: 'zone-b.example',
    bundleDirectory: filesB.bundleDirectory,
    inbound: { credentialsFile },
  });
  const translatorA = await start({
    trustDomain: 'zone-a.example',
    bundleDirectory: filesA.bundleDirectory,
    outbound: { basicUsersFile, zones: [{ hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' }] },
    workloadIdentity: { witFile, privateKeyFile },
  });

  const launch = async (name: string, options: SidecarBootstrapOptions) => {
    const configPath = join(directory, name, 'envoy.yaml');
    await writeFile(configPath, renderEnvoyYaml(sidecarBootstrap(options)));
    const envoy = await startEnvoy(configPath, join(directory, name));
    envoys.push(envoy);
    return envoy;
  };
  const extAuthz = (translator: RunningTranslator) => ({
    translatorPort: translator.port,
    timeoutMs: 2_000,
    maxRequestBytes: 65_536,
  });
  const envoyB = await launch('b', {
    node: { id: 'orders-0', cluster: 'orders' },
    adminPort: 0,
    secretsDirectory: filesB.secretsDirectory,
    inbound: { address: '127.0.0.1', port: 0, appPort: appPortB },
    extAuthz: extAuthz(translatorB),
  });
  const envoyA = await launch('a', {
    node: { id: 'frontend-0', cluster: 'frontend' },
    adminPort: 0,
    secretsDirectory: filesA.secretsDirectory,
    inbound: { address: '127.0.0.1', port: 0, appPort: unusedAppPort },
    outbound: {
      address: '127.0.0.1',
      port: 0,
      zones: [
        {
          hostSuffix: 'zone-b',
          trustDomain: 'zone-b.example',
          endpoint: { host: '127.0.0.1', port: await envoyB.listenerPort('inbound') },
        },
      ],
    },
    extAuthz: extAuthz(translatorA),
  });
  outboundPortA = await envoyA.listenerPort('outbound');
});

afterAll(async () => {
  await Promise.all(envoys.map((envoy) => envoy.process.stop()));
  await Promise.all(translators.map((translator) => translator.close()));
  for (const server of servers) server.close();
  await rm(directory, { recursive: true, force: true });
});

beforeEach(() => {
  appCalls.length = 0;
});

/** The legacy client in zone A: HTTP_PROXY to Envoy A, absolute URL, Basic credentials of zone A. */
function callZoneB(authorization: string | undefined, body = '{"qty":1}'): Promise<{ status: number }> {
  const url = 'http://orders.zone-b:8080/orders?id=1';
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port: outboundPortA,
        method: 'POST',
        path: url,
        headers: {
          host: new URL(url).host,
          'content-type': 'application/json',
          ...(authorization === undefined ? {} : { authorization }),
        },
        agent: false,
        timeout: 5_000,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(body);
  });
}

describe('zone A Basic client -> Envoy A -> Envoy B -> zone B Basic API', () => {
  it("delivers alice's request and zone B's app sees its own Basic credentials for her", async () => {
    const response = await callZoneB(basicAuthorization('alice', 'wonderland'));
    expect(response.status).toBe(200);
    expect(appCalls).toEqual([
      { authorization: basicAuthorization('orders-alice', 'b-secret'), user: 'alice', body: '{"qty":1}' },
    ]);
  });

  it('answers 401 in zone A for a wrong password, and nothing reaches zone B', async () => {
    expect((await callZoneB(basicAuthorization('alice', 'queen'))).status).toBe(401);
    expect((await callZoneB(undefined)).status).toBe(401);
    expect(appCalls).toHaveLength(0);
  });
});
