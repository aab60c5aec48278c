import 'reflect-metadata';
import type { KeyObject } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { spiffeBundleFileName } from '../../lib/bundle/bundle-file-names.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import type { Bootstrap } from '../../lib/sidecar/envoy-config-types.js';
import { renderEnvoyYaml } from '../../lib/sidecar/render-envoy-yaml.js';
import {
  sidecarBootstrap,
  type ExtAuthzTransport,
  type SidecarBootstrapOptions,
} from '../../operator/envoy/sidecar-bootstrap.js';
import { hashBasicPassword } from '../../translator/basic-credentials.js';
import { startTranslator } from '../../translator/start-translator.js';
import { translatorConfigSchema } from '../../translator/translator-config.js';
import { testWit, testWorkloadKey, testZone } from '../support/wit-test-fixtures.js';
import {
  createSidecarFiles,
  createTestZoneCa,
  startEnvoy,
  type RunningEnvoy,
  type TestZoneCa,
} from '../envoy/envoy-harness.js';
import { inboundDecisions } from './translator-decisions.js';
import { startTranslatorProcess, type ChainTranslator } from './translator-process.js';

// The whole data path on loopback with two real Envoys and two real translators, shared by the
// end-to-end tests: a legacy client in zone A that only knows Basic credentials of zone A ->
// Envoy A (outbound, ext_authz: Basic -> WIT + WIMSE signature) -> mTLS -> [an optional hop
// between the zones] -> Envoy B (inbound, ext_authz: verify -> zone B's Basic credentials) ->
// zone B's app.

/** The SPIFFE path of zone A's calling workload (its WIT and SVID). */
export const frontendPath = '/ns/shop/sa/frontend';

/** What zone B's app received. */
export interface AppCall {
  method: string;
  path: string;
  authorization: string | undefined;
  user: string | undefined;
  body: string;
  bodyBytes: Buffer;
}

/** A hop between Envoy A and Envoy B (an ingress gateway): started once Envoy B listens. */
export interface ZoneHop {
  port: number;
  close(): Promise<void>;
}

/** What a hop between the zones gets to start with. */
export interface ZoneHopContext {
  /** Envoy B's inbound mTLS port. */
  envoyBPort: number;
  /** A work directory of its own. */
  directory: string;
  caA: TestZoneCa;
  caB: TestZoneCa;
}

export interface TwoZoneChainOptions {
  /** The temporary directory's name prefix. */
  name: string;
  /** Translator B's `inbound.trustedIntermediaries`. */
  trustedIntermediaries?: string[];
  /** Starts a hop between the zones; absent, Envoy A connects to Envoy B directly. */
  startHop?: (context: ZoneHopContext) => Promise<ZoneHop>;
  /**
   * Whom the Envoys ask (default `translators`). The translator-path benchmark's references:
   * `none` leaves ext_authz out of both bootstraps (the same Envoys and mTLS without translation);
   * `no-op` points both at an HTTP ext_authz server that allows everything at once without looking,
   * the ceiling of any authorizer Envoy asks (only Envoy's side of the call and the round trip).
   */
  authorizer?: 'translators' | 'no-op' | 'none';
  /**
   * Runs each translator as its own `accord-translator` process, as in a pod, instead of inside
   * this process (default false). Needs the built tree: the benchmark only.
   */
  translatorProcesses?: boolean;
  /** How the Envoys ask their translators (default `http`, what injected sidecars use). */
  transport?: ExtAuthzTransport;
  /** Whom Envoy B asks, when not the same as Envoy A (`authorizer`): a prototype's inbound side. */
  authorizerB?: 'translators' | 'no-op' | 'none';
  /**
   * Benchmark prototypes only: Envoy B's bootstrap as YAML, made from the one the sidecar renderer
   * builds (the translator-path benchmark's verification inside Envoy). Absent, that one as is.
   */
  envoyBConfig?: (bootstrap: Bootstrap, files: EnvoyBFiles) => Promise<string>;
}

/** Zone B's files a prototype of Envoy B's inbound side reads. */
export interface EnvoyBFiles {
  /** The SPIFFE bundles zone B trusts, one file per trust domain. */
  bundleDirectory: string;
  /** Translator B's inbound credential mapping. */
  credentialsFile: string;
}

export interface TwoZoneChain {
  /** Envoy A's outbound listener (zone A's HTTP_PROXY), for clients of their own (the benchmark's). */
  outboundPortA: number;
  /** Zone B's app, to reach it without the Envoys. */
  appPortB: number;
  caA: TestZoneCa;
  caB: TestZoneCa;
  /** Every request zone B's app received, in order; tests clear it. */
  appCalls: AppCall[];
  /**
   * The legacy client in zone A: HTTP_PROXY to Envoy A, absolute URL
   * `http://orders.zone-b:8080/orders?id=1`, the given Authorization (Basic of zone A).
   */
  callZoneB(authorization: string | undefined, body?: string | Uint8Array): Promise<{ status: number }>;
  /** How many inbound requests translator B decided with `reason` (`ok` for allowed), from its metrics. */
  inboundDecisionsB(reason: string): Promise<number>;
  /** Zone A's workload identity (what translator A signs with): the benchmark's pre-signed requests. */
  workloadA: { wit: string; privateKey: KeyObject };
  close(): Promise<void>;
}

/** Starts zone B's app, both translators, Envoy B, the optional hop, then Envoy A. */
export async function startTwoZoneChain(options: TwoZoneChainOptions): Promise<TwoZoneChain> {
  const directory = await mkdtemp(join(tmpdir(), `accord-${options.name}-`));
  const envoys: RunningEnvoy[] = [];
  const translators: ChainTranslator[] = [];
  const servers: Server[] = [];
  const hops: ZoneHop[] = [];
  const close = async () => {
    await Promise.all(envoys.map((envoy) => envoy.process.stop()));
    await Promise.all(hops.map((hop) => hop.close()));
    await Promise.all(translators.map((translator) => translator.close()));
    for (const server of servers) server.close();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    return await start(options, directory, { envoys, translators, servers, hops }, close);
  } catch (error) {
    await close();
    throw error;
  }
}

async function start(
  options: TwoZoneChainOptions,
  directory: string,
  owned: { envoys: RunningEnvoy[]; translators: ChainTranslator[]; servers: Server[]; hops: ZoneHop[] },
  close: () => Promise<void>,
): Promise<TwoZoneChain> {
  const listen = async (server: Server): Promise<number> => {
    owned.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
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
  const witA = await testWit(witZoneA, workloadKey, {
    path: frontendPath,
    issuedAt: new Date(Date.now() - 60_000),
  });
  await writeFile(witFile, witA);
  await writeFile(privateKeyFile, workloadKey.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const basicUsersFile = join(dirA, 'users.yaml');
  await writeFile(basicUsersFile, `users:\n  alice: "${await hashBasicPassword('wonderland')}"\n`);
  const credentialsFile = join(dirB, 'credentials.yaml');
  await writeFile(
    credentialsFile,
    `mappings:\n  - { workload: "spiffe://zone-a.example${frontendPath}", user: alice, username: orders-alice, password: b-secret }\n`,
  );

  const appCalls: AppCall[] = [];
  const appPortB = await listen(recordingApp(appCalls));
  const unusedAppPort = await listen(createHttpServer((_, response) => response.end()));

  const transport = options.transport ?? 'http';
  const startOne = async (zoneDirectory: string, zoneConfig: Record<string, unknown>) => {
    const config = { listen: { port: 0, protocol: transport }, ops: { port: 0 }, ...zoneConfig };
    const translator: ChainTranslator = options.translatorProcesses
      ? await startTranslatorProcess(config, zoneDirectory)
      : await startTranslator(translatorConfigSchema.parse(config), {
          logger: silentLogger,
          registry: new Registry(),
          clock: systemClock,
        });
    owned.translators.push(translator);
    return translator;
  };
  const translatorB = await startOne(dirB, {
    trustDomain: 'zone-b.example',
    bundleDirectory: filesB.bundleDirectory,
    inbound: {
      services: ['orders'],
      credentialsFile,
      trustedIntermediaries: options.trustedIntermediaries ?? [],
    },
  });
  const translatorA = await startOne(dirA, {
    trustDomain: 'zone-a.example',
    bundleDirectory: filesA.bundleDirectory,
    outbound: { basicUsersFile, zones: [{ hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' }] },
    workloadIdentity: { witFile, privateKeyFile },
  });

  const launch = async (
    name: string,
    bootstrap: SidecarBootstrapOptions,
    render: (config: Bootstrap) => Promise<string> = (config) => Promise.resolve(renderEnvoyYaml(config)),
  ) => {
    const configPath = join(directory, name, 'envoy.yaml');
    await writeFile(configPath, await render(sidecarBootstrap(bootstrap)));
    const envoy = await startEnvoy(configPath, join(directory, name));
    owned.envoys.push(envoy);
    return envoy;
  };
  const authorizer = options.authorizer ?? 'translators';
  const authorizerB = options.authorizerB ?? authorizer;
  const noOpPort =
    authorizer === 'no-op' || authorizerB === 'no-op' ? await listen(noOpAuthorizer()) : undefined;
  const extAuthz = (
    translator: ChainTranslator,
    whom: typeof authorizer,
  ): Pick<SidecarBootstrapOptions, 'extAuthz'> =>
    whom === 'none'
      ? {}
      : {
          extAuthz: {
            transport: whom === 'no-op' ? 'http' : transport,
            translatorPort: whom === 'no-op' && noOpPort !== undefined ? noOpPort : translator.port,
            timeoutMs: 2_000,
            maxRequestBytes: 65_536,
          },
        };
  const envoyBConfig = options.envoyBConfig;
  const envoyB = await launch(
    'b',
    {
      node: { id: 'orders-0', cluster: 'orders' },
      adminPort: 0,
      secretsDirectory: filesB.secretsDirectory,
      inbound: { address: '127.0.0.1', port: 0, appPort: appPortB },
      ...extAuthz(translatorB, authorizerB),
    },
    envoyBConfig &&
      ((config) => envoyBConfig(config, { bundleDirectory: filesB.bundleDirectory, credentialsFile })),
  );
  const envoyBPort = await envoyB.listenerPort('inbound');
  let zoneBPort = envoyBPort;
  if (options.startHop !== undefined) {
    const hopDirectory = join(directory, 'hop');
    await mkdir(hopDirectory);
    const hop = await options.startHop({ envoyBPort, directory: hopDirectory, caA, caB });
    owned.hops.push(hop);
    zoneBPort = hop.port;
  }
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
          endpoint: { host: '127.0.0.1', port: zoneBPort },
        },
      ],
    },
    ...extAuthz(translatorA, authorizer),
  });
  const outboundPortA = await envoyA.listenerPort('outbound');

  return {
    outboundPortA,
    appPortB,
    caA,
    caB,
    appCalls,
    callZoneB: (authorization, body = '{"qty":1}') => callThroughProxy(outboundPortA, authorization, body),
    inboundDecisionsB: (reason) => inboundDecisions(translatorB.opsPort, reason),
    workloadA: { wit: witA, privateKey: workloadKey.privateKey },
    close,
  };
}

/** An HTTP ext_authz server that allows every request as soon as it has read it, changing nothing. */
function noOpAuthorizer(): Server {
  return createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => response.end());
  });
}

/** Zone B's app: answers 200 `ok` to everything, after recording the request into `calls`. */
export function recordingApp(calls: AppCall[]): Server {
  return createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const user = request.headers['accord-user'];
      const bodyBytes = Buffer.concat(chunks);
      calls.push({
        method: request.method ?? '',
        path: request.url ?? '',
        authorization: request.headers.authorization,
        user: typeof user === 'string' ? user : undefined,
        body: bodyBytes.toString('utf8'),
        bodyBytes,
      });
      response.end('ok');
    });
  });
}

/**
 * Zone A's legacy client: `POST http://orders.<zone>:8080/orders?id=1` (zone B unless told) through
 * the HTTP proxy (Envoy A's outbound listener) at `proxyPort`, with the given Authorization and body.
 */
export function callThroughProxy(
  proxyPort: number,
  authorization: string | undefined,
  body: string | Uint8Array,
  zone = 'zone-b',
): Promise<{ status: number }> {
  const url = `http://orders.${zone}:8080/orders?id=1`;
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port: proxyPort,
        method: 'POST',
        path: url,
        headers: {
          host: new URL(url).host,
          'content-type': typeof body === 'string' ? 'application/json' : 'application/octet-stream',
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
