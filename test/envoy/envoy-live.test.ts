import 'reflect-metadata';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from '@peculiar/x509';
import { httpCall, type HttpCallResult } from '../support/http-call.js';
import { renderEnvoyYaml } from '../../lib/sidecar/render-envoy-yaml.js';
import { sidecarBootstrap, type SidecarBootstrapOptions } from '../../operator/envoy/sidecar-bootstrap.js';
import {
  createSidecarFiles,
  createTestZoneCa,
  startEnvoy,
  waitFor,
  type RunningEnvoy,
  type SidecarFiles,
  type TestZoneCa,
} from './envoy-harness.js';

// A real Envoy on a rendered bootstrap, everything on 127.0.0.1 with kernel-chosen ports: zone A's
// sidecar, its app, and stand-ins for zone B's and zone C's inbound side (Node TLS servers). Only
// zone A and zone B are trusted. The tests then change the SDS files and watch Envoy follow.
jest.setTimeout(60_000);

interface Svid {
  certificatePem: string;
  privateKeyPem: string;
}

let directory: string;
let zoneA: TestZoneCa;
let zoneB: TestZoneCa;
let zoneC: TestZoneCa;
let files: SidecarFiles;
let envoy: RunningEnvoy;
/** Every Envoy started here, stopped in afterAll whatever happened. */
const envoys: RunningEnvoy[] = [];
let inboundPort: number;
let outboundPort: number;
const servers: Server[] = [];

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Zone B's or C's inbound side: mTLS, trusting zone A, answering with the caller's SPIFFE ID. */
async function remoteZoneServer(svid: Svid): Promise<number> {
  const server = createHttpsServer(
    {
      cert: svid.certificatePem,
      key: svid.privateKeyPem,
      ca: zoneA.rootPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (request, response) => {
      const peer = (request.socket as TLSSocket).getPeerCertificate().subjectaltname ?? '';
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ peer, host: request.headers.host }));
    },
  );
  return listen(server);
}

/** Normalised certificate serial, as Envoy's admin /certs prints it (lower-case hex, no leading zeros). */
function serialOf(pem: string): string {
  return new X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+/, '');
}

async function certSerials(target: RunningEnvoy): Promise<string[]> {
  const certs = JSON.parse(await target.admin('/certs')) as {
    certificates: { ca_cert: { serial_number: string }[]; cert_chain: { serial_number: string }[] }[];
  };
  return certs.certificates.flatMap((entry) =>
    [...entry.ca_cert, ...entry.cert_chain].map((cert) => cert.serial_number.replace(/^0+/, '')),
  );
}

async function statValue(target: RunningEnvoy, name: string): Promise<number> {
  const escaped = name.replace(/[.]/g, '\\.');
  const line = (await target.admin(`/stats?filter=^${escaped}$`)).trim();
  const value = Number(line.split(': ')[1]);
  if (!line.startsWith(`${name}: `) || Number.isNaN(value)) throw new Error(`no stat ${name}: ${line}`);
  return value;
}

/** Calls zone A's inbound listener with mTLS as `svid` (or without a client certificate). */
function callInbound(svid: Svid | undefined, port = inboundPort): Promise<HttpCallResult> {
  return httpCall({
    port,
    path: '/hello',
    tls: {
      caPem: zoneA.rootPem,
      ...(svid === undefined
        ? {}
        : { certificatePem: svid.certificatePem, privateKeyPem: svid.privateKeyPem }),
    },
  });
}

/** Calls `url` the way an app with HTTP_PROXY does: absolute URL to the outbound listener. */
function callThroughProxy(port: number, url: string): Promise<HttpCallResult> {
  return httpCall({ port, path: url, headers: { host: new URL(url).host } });
}

async function isRefused(svid: Svid): Promise<boolean> {
  return callInbound(svid).then(
    () => false,
    () => true,
  );
}

let webSvid: Svid;
let zoneBClient: Svid;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-envoy-live-'));
  [zoneA, zoneB, zoneC] = await Promise.all([
    createTestZoneCa('zone-a.example'),
    createTestZoneCa('zone-b.example'),
    createTestZoneCa('zone-c.example'),
  ]);
  webSvid = await zoneA.issue('/ns/app/sa/web');
  zoneBClient = await zoneB.issue('/ns/shop/sa/client');
  files = await createSidecarFiles(directory, webSvid, [zoneA, zoneB]);

  const appPort = await listen(
    createHttpServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ xfcc: request.headers['x-forwarded-client-cert'] ?? null }));
    }),
  );
  const zoneBPort = await remoteZoneServer(await zoneB.issue('/ns/shop/sa/api'));
  const zoneCPort = await remoteZoneServer(await zoneC.issue('/ns/x/sa/api'));
  // A zone-A workload answering where zone B is expected: a valid SVID, but of the wrong zone.
  const impostorPort = await remoteZoneServer(await zoneA.issue('/ns/app/sa/impostor'));
  const options: SidecarBootstrapOptions = {
    node: { id: 'web-0', cluster: 'web' },
    adminPort: 0,
    secretsDirectory: files.secretsDirectory,
    // Short, so that connections pooled before a revocation end within the test's bounded wait.
    maxConnectionDurationMs: 1_000,
    inbound: { address: '127.0.0.1', port: 0, appPort },
    outbound: {
      address: '127.0.0.1',
      port: 0,
      zones: [
        {
          hostSuffix: 'zone-b',
          trustDomain: 'zone-b.example',
          endpoint: { host: '127.0.0.1', port: zoneBPort },
        },
        {
          hostSuffix: 'zone-c',
          trustDomain: 'zone-c.example',
          endpoint: { host: '127.0.0.1', port: zoneCPort },
        },
        {
          hostSuffix: 'impostor',
          trustDomain: 'zone-b.example',
          endpoint: { host: '127.0.0.1', port: impostorPort },
        },
      ],
    },
  };
  const configPath = join(directory, 'envoy.yaml');
  await writeFile(configPath, renderEnvoyYaml(sidecarBootstrap(options)));
  envoy = await startEnvoy(configPath, directory);
  envoys.push(envoy);
  inboundPort = await envoy.listenerPort('inbound');
  outboundPort = await envoy.listenerPort('outbound');
});

afterAll(async () => {
  await Promise.all(envoys.map((started) => started.process.stop()));
  for (const server of servers) server.close();
  await rm(directory, { recursive: true, force: true });
});

describe('a live sidecar Envoy', () => {
  it('loads its SVID and every trusted zone bundle from the SDS files', async () => {
    const serials = await certSerials(envoy);
    expect(serials).toEqual(
      expect.arrayContaining([
        serialOf(zoneA.rootPem),
        serialOf(zoneB.rootPem),
        serialOf(webSvid.certificatePem),
      ]),
    );
    expect(serials).not.toContain(serialOf(zoneC.rootPem));
  });

  it('accepts a workload of a trusted zone and hands its SPIFFE ID to the app', async () => {
    const response = await callInbound(zoneBClient);
    expect(response.status).toBe(200);
    // Envoy sets the header itself (SANITIZE_SET): By is zone A's own SVID, URI the caller's.
    const { xfcc } = JSON.parse(response.body) as { xfcc: string };
    expect(xfcc).toContain('URI=spiffe://zone-b.example/ns/shop/sa/client');
    expect(xfcc).toContain('By=spiffe://zone-a.example/ns/app/sa/web');
  });

  it('refuses a client without a certificate', async () => {
    await expect(callInbound(undefined)).rejects.toThrow();
  });

  it('refuses a workload of a zone without a contract', async () => {
    expect(await isRefused(await zoneC.issue('/ns/x/sa/client'))).toBe(true);
  });

  it("refuses a zone-B SPIFFE ID signed by zone A's CA (bundles are never pooled)", async () => {
    expect(await isRefused(await zoneA.issue('/ns/shop/sa/client', 'zone-b.example'))).toBe(true);
  });

  it('calls a trusted zone through the outbound proxy with the workload SVID', async () => {
    const response = await callThroughProxy(outboundPort, 'http://api.zone-b:8443/orders');
    expect(response.body).not.toContain('upstream connect error');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      peer: 'URI:spiffe://zone-a.example/ns/app/sa/web',
      host: 'api.zone-b:8443',
    });
  });

  it('refuses to send a request to a zone whose certificate it cannot verify', async () => {
    const response = await callThroughProxy(outboundPort, 'http://api.zone-c:8443/orders');
    expect(response.status).toBe(503);
    expect(await statValue(envoy, 'cluster.zone_zone-c.ssl.fail_verify_error')).toBeGreaterThan(0);
  });

  it("refuses a trusted zone's server standing in for another zone (the SAN is pinned per zone)", async () => {
    const response = await callThroughProxy(outboundPort, 'http://api.impostor:8443/orders');
    expect(response.status).toBe(503);
    expect(await statValue(envoy, 'cluster.zone_impostor.ssl.fail_verify_san')).toBeGreaterThan(0);
  });

  it('answers 403 for a host of no known zone', async () => {
    const response = await callThroughProxy(outboundPort, 'http://example.com/');
    expect(response.status).toBe(403);
  });

  it('applies a revoked and a restored contract without a restart', async () => {
    await files.setBundle('zone-b.example', undefined);
    await waitFor('zone B to be refused', envoy.process, async () =>
      (await isRefused(zoneBClient)) ? true : undefined,
    );
    expect(await certSerials(envoy)).not.toContain(serialOf(zoneB.rootPem));
    // New handshakes fail at once; a connection pooled before the revocation ends within
    // maxConnectionDurationMs, after which zone B is unreachable.
    await waitFor('calls to zone B to fail', envoy.process, async () => {
      const outbound = await callThroughProxy(outboundPort, 'http://api.zone-b:8443/orders');
      return outbound.status === 503 ? true : undefined;
    });

    await files.setBundle('zone-b.example', zoneB.rootPem);
    await waitFor('zone B to be accepted again', envoy.process, async () =>
      (await isRefused(zoneBClient)) ? undefined : true,
    );
    expect(envoy.process.exitReason()).toBeUndefined();
  });

  it('follows a rotated zone root in the watched directory without a restart', async () => {
    const rotatedZoneB = await createTestZoneCa('zone-b.example');
    await files.setBundle('zone-b.example', rotatedZoneB.rootPem);
    await waitFor('the rotated root in /certs', envoy.process, async () =>
      (await certSerials(envoy)).includes(serialOf(rotatedZoneB.rootPem)) ? true : undefined,
    );
    const serials = await certSerials(envoy);
    expect(serials).not.toContain(serialOf(zoneB.rootPem));
    expect((await callInbound(await rotatedZoneB.issue('/ns/shop/sa/client'))).status).toBe(200);
    expect(await isRefused(zoneBClient)).toBe(true);
    expect(envoy.process.exitReason()).toBeUndefined();
  });

  it('serves a renewed SVID without a restart', async () => {
    const renewed = await zoneA.issue('/ns/app/sa/web');
    await files.writeSvid(renewed);
    await waitFor('the renewed SVID in /certs', envoy.process, async () =>
      (await certSerials(envoy)).includes(serialOf(renewed.certificatePem)) ? true : undefined,
    );
    expect(await certSerials(envoy)).not.toContain(serialOf(webSvid.certificatePem));
    expect(envoy.process.exitReason()).toBeUndefined();
  });

  it('fails closed in both directions when the translator does not answer', async () => {
    // A port that was free a moment ago: nothing answers there.
    const unusedPort = await listen(createHttpServer());
    servers.pop()?.close();
    const workDirectory = join(directory, 'fail-closed');
    await mkdir(workDirectory);
    const options: SidecarBootstrapOptions = {
      node: { id: 'web-1', cluster: 'web' },
      adminPort: 0,
      secretsDirectory: files.secretsDirectory,
      inbound: { address: '127.0.0.1', port: 0, appPort: 1 },
      outbound: {
        address: '127.0.0.1',
        port: 0,
        zones: [
          { hostSuffix: 'zone-b', trustDomain: 'zone-b.example', endpoint: { host: '127.0.0.1', port: 1 } },
        ],
      },
      extAuthz: { translatorPort: unusedPort, timeoutMs: 500, maxRequestBytes: 65536 },
    };
    const configPath = join(workDirectory, 'envoy.yaml');
    await writeFile(configPath, renderEnvoyYaml(sidecarBootstrap(options)));
    const failClosedEnvoy = await startEnvoy(configPath, workDirectory);
    envoys.push(failClosedEnvoy);
    const response = await callThroughProxy(
      await failClosedEnvoy.listenerPort('outbound'),
      'http://api.zone-b:8443/orders',
    );
    expect(response.status).toBe(503);
    const inbound = await callInbound(
      await zoneA.issue('/ns/app/sa/caller'),
      await failClosedEnvoy.listenerPort('inbound'),
    );
    expect(inbound.status).toBe(503);
  });
});
