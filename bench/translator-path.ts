import { createPublicKey } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg } from 'node:os';
import { create } from '@bufbuild/protobuf';
import { Registry } from 'prom-client';
import { silentLogger } from '../lib/log/logger.js';
import { systemClock } from '../lib/time/clock.js';
import {
  CheckRequestSchema,
  CheckResponseSchema,
  type CheckRequest,
  type CheckResponse,
} from '../proto/gen/envoy/service/auth/v3/external_auth_pb.js';
import {
  frontendPath,
  startTwoZoneChain,
  type TwoZoneChain,
  type TwoZoneChainOptions,
} from '../test/translator/two-zone-chain.js';
import {
  basicAuthorization,
  BasicUserStore,
  hashBasicPassword,
  InboundCredentialMap,
} from '../translator/basic-credentials.js';
import { createCheckHandler, userIdentityHeader } from '../translator/check-handler.js';
import type { HttpRequestMessage } from '../translator/http-message.js';
import { signSignatureBase, verifySignatureBase } from '../translator/http-signature-algorithm.js';
import { NonceCache } from '../translator/nonce-cache.js';
import { signRequest } from '../translator/sign-request.js';
import { audienceResolver, serviceAudience } from '../translator/translator-config.js';
import { TranslatorMetrics } from '../translator/translator-metrics.js';
import { testTool } from '../test/support/test-tools.js';
import { testWit, testWorkloadKey, testZone, witKeysOf } from '../test/support/wit-test-fixtures.js';
import type { BenchFigure } from './bench-figure.js';
import { envoyVerifiesInbound } from './envoy-inbound-prototype.js';
import { runExtAuthzTransportBenchmark } from './ext-authz-transport.js';
import { percentile } from './percentiles.js';
import { readWaitedChildrenCpuMs, type CpuTimes } from './process-cpu.js';
import { runWrk, type WrkReport } from './wrk.js';

/** Sizes and bounds of the translator-path runs. */
export interface TranslatorPathOptions {
  /** How long wrk keeps `concurrency` requests in flight per setup and repetition (the throughput run). */
  readonly loadSeconds: number;
  /** Requests in flight at once: wrk's connections, each a closed loop of one request at a time. */
  readonly concurrency: number;
  /** How long wrk keeps ONE request in flight per setup and repetition (the unloaded latency run). */
  readonly unloadedSeconds: number;
  /** Unmeasured requests first on each setup (connections), each answer checked. */
  readonly warmupRequests: number;
  /**
   * Then wrk for this long with `concurrency` in flight, unmeasured: until V8 has optimised the
   * translators' hot code. Without it the quick run's 3 s charged the processes' first seconds
   * (interpreted, then compiling) to CPU per request: about twice the steady state.
   */
  readonly warmupSeconds: number;
  /** Each setup is measured this often with fresh Envoys; figures are medians over repetitions. */
  readonly repetitions: number;
  /** In-process Check calls per direction (fewer if `decisionMaxDurationMs` runs out first). */
  readonly decisionIterations: number;
  readonly decisionMaxDurationMs: number;
  /** Check calls per concurrency against the ext_authz server with a no-op decision. */
  readonly transportCalls: number;
  readonly progress: (message: string) => void;
  /** CPU time so far of the benchmark process and of its children (Envoys, translator processes, wrk); main.ts reads it. */
  readonly cpuTimes: () => CpuTimes;
}

/**
 * The setups: the app alone; the Envoys without ext_authz; the Envoys asking a no-op HTTP
 * authorizer (allows at once without looking: the ceiling of ANY ext_authz authorizer on this
 * path, only Envoy's side of the call and the loopback round trip); and the Envoys with
 * translation over each ext_authz transport (`translated`: the HTTP service injected sidecars use;
 * `translated-grpc`: gRPC `Authorization/Check`), the translators inside the benchmark process;
 * `translated-processes`: HTTP with each translator its own `accord-translator` process, as in
 * a pod (the product's shape, the figures). Then the prototypes of issue 13, outbound as
 * `translated-processes`, inbound verified inside Envoy B (`bench/envoy-inbound-prototype.ts`):
 * `envoy-verifies` maps the credentials inside Envoy too (no ext_authz inbound at all);
 * `envoy-verifies-ext-authz-mapping` leaves the mapping to an ext_authz call, the no-op authorizer
 * standing in for a translator that only maps (its floor); `envoy-verifies-presigned` has no
 * ext_authz at all: wrk sends one request signed beforehand (nonces not remembered), the floor of
 * verifying inside Envoy if signing cost nothing.
 */
const setups = [
  'direct',
  'envoys',
  'no-op-ext-authz',
  'translated',
  'translated-grpc',
  'translated-processes',
  'envoy-verifies',
  'envoy-verifies-ext-authz-mapping',
  'envoy-verifies-presigned',
] as const;
type Setup = (typeof setups)[number];
/** The setups through the Envoys, compared against `direct` per hop and against `envoys` in throughput. */
const proxiedSetups = setups.filter((setup) => setup !== 'direct');
type AuthorizedSetup = Exclude<Setup, 'direct' | 'envoys'>;
/** How each setup with ext_authz starts its chain. */
const chainOf: Record<AuthorizedSetup, Omit<TwoZoneChainOptions, 'name'>> = {
  'no-op-ext-authz': { authorizer: 'no-op' },
  translated: { transport: 'http' },
  'translated-grpc': { transport: 'grpc' },
  'translated-processes': { transport: 'http', translatorProcesses: true },
  'envoy-verifies': {
    transport: 'http',
    translatorProcesses: true,
    authorizerB: 'none',
    envoyBConfig: (bootstrap, files) => envoyVerifiesInbound(bootstrap, files, 'in-envoy'),
  },
  'envoy-verifies-ext-authz-mapping': {
    transport: 'http',
    translatorProcesses: true,
    authorizerB: 'no-op',
    envoyBConfig: (bootstrap, files) => envoyVerifiesInbound(bootstrap, files, 'ext-authz'),
  },
  'envoy-verifies-presigned': {
    authorizer: 'none',
    authorizerB: 'none',
    envoyBConfig: (bootstrap, files) => envoyVerifiesInbound(bootstrap, files, 'in-envoy', 'ignored'),
  },
};
const authorizedSetups = Object.keys(chainOf) as AuthorizedSetup[];

interface LoadFigures {
  /** The throughput run (`concurrency` in flight). */
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly throughputPerSecond: number;
  /**
   * CPU per request during the throughput run, by process: this one (zone B's app, and the
   * translators unless they run as processes), the two Envoys, the translator processes, and
   * the load generator (wrk).
   */
  readonly benchProcessCpuPerRequestUs: number;
  readonly envoyCpuPerRequestUs: number;
  readonly translatorProcessCpuPerRequestUs: number;
  readonly loadGeneratorCpuPerRequestUs: number;
  /** The unloaded run: one request in flight, so no request waits for another's CPU. */
  readonly unloadedP50Ms: number;
  readonly unloadedP99Ms: number;
  /** The 1-minute load average right after the runs: how busy the shared machine was. */
  readonly loadAverage: number;
}

/** Per-setup figures and their BENCH metric names. */
const loadMetrics: readonly [keyof LoadFigures, string, string][] = [
  ['requests', 'requests', ''],
  ['throughputPerSecond', 'throughput', '/s'],
  ['p50Ms', 'p50', 'ms'],
  ['p99Ms', 'p99', 'ms'],
  ['benchProcessCpuPerRequestUs', 'bench-process-cpu-per-request', 'us'],
  ['envoyCpuPerRequestUs', 'envoy-cpu-per-request', 'us'],
  ['translatorProcessCpuPerRequestUs', 'translator-process-cpu-per-request', 'us'],
  ['loadGeneratorCpuPerRequestUs', 'load-generator-cpu-per-request', 'us'],
  ['unloadedP50Ms', 'unloaded-p50', 'ms'],
  ['unloadedP99Ms', 'unloaded-p99', 'ms'],
  ['loadAverage', 'load-average-1m', ''],
];

const requestUrl = 'http://orders.zone-b:8080/orders?id=1';
const requestBody = '{"qty":1}';
const aliceBasic = basicAuthorization('alice', 'wonderland');
const requestHeaders = {
  host: new URL(requestUrl).host,
  'content-type': 'application/json',
  authorization: aliceBasic,
};

/** Where and what a setup's load sends. */
interface MeasuredTarget {
  readonly port: number;
  /** An origin path, or an absolute URL when `port` is Envoy A's outbound proxy. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * What translator A would send for zone A's legacy request, signed once now with zone A's workload
 * identity (30 s signature, the most zone B accepts): wrk sends it unchanged for one setup.
 */
function presignedHeaders(chain: TwoZoneChain): Record<string, string> {
  // Translator A replaces alice's Basic credentials by the signed user.
  const headers = { 'content-type': requestHeaders['content-type'], [userIdentityHeader]: 'alice' };
  const url = new URL(requestUrl);
  const request: HttpRequestMessage = {
    method: 'POST',
    scheme: 'http',
    authority: url.host,
    target: `${url.pathname}${url.search}`,
    headers,
    body: Buffer.from(requestBody),
  };
  const signed = signRequest(
    request,
    { ...chain.workloadA, clock: systemClock, signatureLifetimeSeconds: 30 },
    { audience: serviceAudience('spiffe://zone-b.example', 'orders'), identityHeaders: [userIdentityHeader] },
  );
  return { host: url.host, ...headers, ...signed };
}

/**
 * Issues 4 and 13: what the translator path adds. The same closed-loop load (wrk: keep-alive
 * connections, fixed concurrency, bounded in time) goes (a) straight to zone B's app, (b) through
 * Envoy A's outbound listener (HTTP_PROXY) and Envoy B's mTLS inbound listener without ext_authz,
 * (c) the same with both Envoys asking a no-op HTTP authorizer (the ceiling of any ext_authz
 * translator), (d) the same with ext_authz translation on both hops (Basic -> WIT + WIMSE
 * signature -> zone B's Basic), over Envoy's HTTP ext_authz service (what injected sidecars use)
 * and over gRPC, in this process and as processes, and (e) the prototypes that verify inbound
 * inside Envoy. Each setup is run twice: with `concurrency` requests in flight (throughput, and
 * the p50/p99 under that load, which includes queueing for the two cores) and with one in flight
 * (unloaded latency, the conventional basis of "added latency per hop"). Per-hop added latency is
 * (p50 of the setup − p50 of a) / 2 hops, for both runs; unloaded, also (p50 of the setup − p50 of
 * b) / 2 hops, what authorization adds to the Envoy mesh path alone. CPU per request, by process,
 * is reported for the throughput run. The two figures are `translator-path ratio` and
 * `added-p50-processes` (the product's shape: translators as processes, as in a pod). Separately,
 * the translator's own cost per decision: `Check` called in-process, outbound and inbound,
 * without any network; and what the ext_authz transport alone costs the translator per Check
 * (`runExtAuthzTransportBenchmark`).
 */
export async function runTranslatorPathBenchmark(options: TranslatorPathOptions): Promise<BenchFigure[]> {
  const wrk = testTool('wrk');
  const runs = Object.fromEntries(setups.map((setup) => [setup, []])) as unknown as Record<
    Setup,
    LoadFigures[]
  >;
  for (let repetition = 1; repetition <= options.repetitions; repetition += 1) {
    const plain = await startTwoZoneChain({ name: 'bench-translator-path', authorizer: 'none' });
    try {
      options.progress(`translator-path ${repetition}: direct`);
      runs.direct.push(
        await measure(options, wrk, { port: plain.appPortB, path: '/orders?id=1', headers: requestHeaders }),
      );
      options.progress(`translator-path ${repetition}: envoys without ext_authz`);
      runs.envoys.push(
        await measure(options, wrk, { port: plain.outboundPortA, path: requestUrl, headers: requestHeaders }),
      );
    } finally {
      await plain.close();
    }
    for (const setup of authorizedSetups) {
      const chain = await startTwoZoneChain({ name: 'bench-translator-path', ...chainOf[setup] });
      try {
        options.progress(`translator-path ${repetition}: ${setup}`);
        const headers = setup === 'envoy-verifies-presigned' ? presignedHeaders(chain) : requestHeaders;
        runs[setup].push(
          await measure(options, wrk, { port: chain.outboundPortA, path: requestUrl, headers }),
        );
      } finally {
        await chain.close();
      }
    }
  }
  const figures: BenchFigure[] = [];
  const medians = {} as Record<Setup, LoadFigures>;
  for (const setup of setups) {
    const median = (key: keyof LoadFigures) =>
      percentile(
        runs[setup].map((run) => run[key]),
        0.5,
      );
    medians[setup] = Object.fromEntries(
      loadMetrics.map(([key]) => [key, median(key)]),
    ) as unknown as LoadFigures;
    for (const [key, metric, unit] of loadMetrics)
      figures.push({ name: `translator-path-${setup}`, metric, value: medians[setup][key], unit });
  }
  const perHop = (pick: (figures: LoadFigures) => number, setup: Exclude<Setup, 'direct'>) =>
    (pick(medians[setup]) - pick(medians.direct)) / 2;
  for (const setup of proxiedSetups) {
    figures.push(
      {
        name: 'translator-path-added',
        metric: `${setup}-p50-per-hop`,
        value: perHop((run) => run.p50Ms, setup),
        unit: 'ms',
      },
      {
        name: 'translator-path-added',
        metric: `${setup}-unloaded-p50-per-hop`,
        value: perHop((run) => run.unloadedP50Ms, setup),
        unit: 'ms',
      },
    );
  }
  const ratio = (setup: AuthorizedSetup) =>
    medians[setup].throughputPerSecond / medians.envoys.throughputPerSecond;
  // The path is CPU-bound on two cores, so the throughput ratio tends to the ratio of CPU per
  // request (without the load generator's), which other sessions' load distorts far less.
  const pathCpuUs = (figures: LoadFigures) =>
    figures.benchProcessCpuPerRequestUs +
    figures.envoyCpuPerRequestUs +
    figures.translatorProcessCpuPerRequestUs;
  const cpuRatio = (setup: AuthorizedSetup) => pathCpuUs(medians.envoys) / pathCpuUs(medians[setup]);
  for (const setup of authorizedSetups) {
    figures.push(
      { name: 'translator-path-added', metric: `${setup}-throughput-ratio`, value: ratio(setup), unit: '' },
      { name: 'translator-path-added', metric: `${setup}-cpu-ratio`, value: cpuRatio(setup), unit: '' },
      {
        // What authorization adds on top of the Envoy mesh path: the other reading of "added per hop".
        name: 'translator-path-added',
        metric: `${setup}-over-envoys-unloaded-p50-per-hop`,
        value: (medians[setup].unloadedP50Ms - medians.envoys.unloadedP50Ms) / 2,
        unit: 'ms',
      },
    );
  }
  // The targets, on the product's shape (translators as processes) and on the prototype.
  figures.push(
    { name: 'translator-path', metric: 'ratio', value: ratio('translated-processes'), unit: '' },
    { name: 'translator-path', metric: 'cpu-ratio', value: cpuRatio('translated-processes'), unit: '' },
    {
      name: 'translator-path',
      metric: 'added-p50-processes',
      value: perHop((run) => run.unloadedP50Ms, 'translated-processes'),
      unit: 'ms',
    },
    { name: 'translator-path', metric: 'ratio-envoy-verifies', value: ratio('envoy-verifies'), unit: '' },
    {
      name: 'translator-path',
      metric: 'cpu-ratio-envoy-verifies',
      value: cpuRatio('envoy-verifies'),
      unit: '',
    },
    {
      name: 'translator-path',
      metric: 'added-p50-envoy-verifies',
      value: perHop((run) => run.unloadedP50Ms, 'envoy-verifies'),
      unit: 'ms',
    },
  );
  options.progress('translator-path: in-process decisions');
  figures.push(...(await measureDecisions(options)));
  options.progress('translator-path: ext_authz transport (no-op decision)');
  figures.push(
    ...(await runExtAuthzTransportBenchmark({
      calls: options.transportCalls,
      warmupCalls: options.warmupRequests,
      concurrencies: [1, options.concurrency],
      cpuTimes: options.cpuTimes,
    })),
  );
  return figures;
}

/**
 * Warm-up (from this process, checking every answer, then wrk for `warmupSeconds`), then wrk
 * against one setup with `concurrency` in flight (CPU time of every process read around it), then
 * with one in flight; any answer but 2xx or a socket error fails the run.
 */
async function measure(
  options: TranslatorPathOptions,
  wrk: string,
  target: MeasuredTarget,
): Promise<LoadFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let index = 0; index < options.warmupRequests; index += 1) await post(agent, target);
  } finally {
    agent.destroy();
  }
  const load = async (connections: number, durationSeconds: number): Promise<WrkReport> => {
    const report = await runWrk({
      wrk,
      address: `127.0.0.1:${target.port}`,
      target: target.path,
      headers: target.headers,
      body: requestBody,
      connections,
      durationSeconds,
    });
    if (report.non2xx > 0 || report.socketErrors > 0 || report.requests === 0)
      throw new Error(
        `${target.path}: ${report.non2xx} answers not 2xx, ${report.socketErrors} socket errors in ${report.requests}`,
      );
    return report;
  };
  await load(options.concurrency, options.warmupSeconds);
  const cpuBefore = options.cpuTimes();
  const waitedBeforeMs = readWaitedChildrenCpuMs();
  const loaded = await load(options.concurrency, options.loadSeconds);
  const cpuAfter = options.cpuTimes();
  const waitedAfterMs = readWaitedChildrenCpuMs();
  const unloaded = await load(1, options.unloadedSeconds);
  const perRequestUs = (milliseconds: number) => (milliseconds / loaded.requests) * 1000;
  const children = (command: string) =>
    (cpuAfter.childrenByCommandMs[command] ?? 0) - (cpuBefore.childrenByCommandMs[command] ?? 0);
  return {
    requests: loaded.requests,
    p50Ms: loaded.p50Us / 1000,
    p99Ms: loaded.p99Us / 1000,
    throughputPerSecond: (loaded.requests / loaded.durationUs) * 1e6,
    benchProcessCpuPerRequestUs: perRequestUs(cpuAfter.selfMs - cpuBefore.selfMs),
    envoyCpuPerRequestUs: perRequestUs(children('envoy')),
    // Translator processes are Node processes; the Envoys and wrk are the only other children.
    translatorProcessCpuPerRequestUs: perRequestUs(children('node')),
    loadGeneratorCpuPerRequestUs: perRequestUs(waitedAfterMs - waitedBeforeMs),
    unloadedP50Ms: unloaded.p50Us / 1000,
    unloadedP99Ms: unloaded.p99Us / 1000,
    loadAverage: loadavg()[0] ?? Number.NaN,
  };
}

/** Zone A's legacy client: POST with alice's Basic credentials, through the proxy when `path` is a URL. */
function post(agent: Agent, target: MeasuredTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        method: 'POST',
        path: target.path,
        headers: target.headers,
        agent,
        timeout: 5_000,
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode === 200) resolve();
          else reject(new Error(`${target.path}: status ${response.statusCode ?? 0}`));
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(requestBody);
  });
}

/**
 * The translator's own cost: its `Check` handler (as `startTranslator` builds it) called in-process
 * with the CheckRequests Envoy would send, outbound (Basic verify, then sign) and inbound (verify
 * WIT and signature, map credentials), one after another. Basic verification alone is timed twice:
 * a first check (scrypt at the default cost of `hashBasicPassword`, the store's cache off) and a
 * remembered one (what the outbound decision pays per request once a credential was verified).
 * The two ECDSA operations alone are timed too: the floor of any translator on this path.
 */
async function measureDecisions(options: TranslatorPathOptions): Promise<BenchFigure[]> {
  const [zoneA, workloadKey] = await Promise.all([testZone('zone-a.example'), testWorkloadKey()]);
  const wit = await testWit(zoneA, workloadKey, {
    path: frontendPath,
    issuedAt: new Date(Date.now() - 60_000),
  });
  const usersFile = `users:\n  alice: "${await hashBasicPassword('wonderland')}"\n`;
  const users = await BasicUserStore.parse(usersFile);
  const workload = `spiffe://zone-a.example${frontendPath}`;
  const credentials = InboundCredentialMap.parse(
    `mappings:\n  - { workload: "${workload}", user: alice, username: orders-alice, password: b-secret }\n`,
  );
  const zoneAudience = 'spiffe://zone-b.example';
  const check = createCheckHandler({
    inbound: {
      identityOnly: false,
      verification: {
        witKeys: witKeysOf(zoneA),
        clock: systemClock,
        clockSkewSeconds: 30,
        expectedAudiences: [serviceAudience(zoneAudience, 'orders')],
        nonceCache: new NonceCache({ maxEntries: options.decisionIterations + 1, clock: systemClock }),
        maxSignatureLifetimeSeconds: 300,
      },
      trustedIntermediaries: new Set(),
      credentials: () => credentials,
    },
    outbound: {
      users: () => users,
      signer: () => ({
        wit,
        privateKey: workloadKey.privateKey,
        clock: systemClock,
        signatureLifetimeSeconds: 60,
      }),
      audienceForHost: audienceResolver([{ hostSuffix: 'zone-b', audience: zoneAudience }]),
    },
    metrics: new TranslatorMetrics(new Registry()),
    logger: silentLogger,
  });

  const localHeaders = { 'content-type': 'application/json', authorization: aliceBasic };
  const outboundUs: number[] = [];
  const leaving: Record<string, string>[] = [];
  const deadline = performance.now() + options.decisionMaxDurationMs;
  while (outboundUs.length < options.decisionIterations && performance.now() < deadline) {
    const started = performance.now();
    const response = await check(checkRequest('outbound', localHeaders, ''));
    outboundUs.push((performance.now() - started) * 1000);
    leaving.push(forwardedHeaders(localHeaders, create(CheckResponseSchema, response)));
  }
  const inboundUs: number[] = [];
  for (const headers of leaving) {
    const started = performance.now();
    const response = create(CheckResponseSchema, await check(checkRequest('inbound', headers, workload)));
    inboundUs.push((performance.now() - started) * 1000);
    if (response.httpResponse.case !== 'okResponse') throw new Error('inbound decision denied');
  }
  const uncachedUsers = await BasicUserStore.parse(usersFile, { ttlMs: 0 });
  const timeBasicVerify = async (store: BasicUserStore): Promise<number[]> => {
    const samples: number[] = [];
    for (let index = 0; index < Math.min(50, options.decisionIterations); index += 1) {
      const started = performance.now();
      await store.verify('alice', 'wonderland');
      samples.push((performance.now() - started) * 1000);
    }
    return samples;
  };
  const basicUs = await timeBasicVerify(uncachedUsers);
  const cachedBasicUs = await timeBasicVerify(users);
  // The least any translated request costs: one ECDSA P-256 signature outbound and one
  // verification inbound, over a signature base of this path's size (about 1 KB).
  const base = 'x'.repeat(1024);
  const publicKey = createPublicKey(workloadKey.privateKey);
  const signature = signSignatureBase('ecdsa-p256-sha256', workloadKey.privateKey, base);
  const timeSync = (operation: () => unknown): number[] =>
    Array.from({ length: options.decisionIterations }, () => {
      const started = performance.now();
      operation();
      return (performance.now() - started) * 1000;
    });
  const signUs = timeSync(() => signSignatureBase('ecdsa-p256-sha256', workloadKey.privateKey, base));
  const verifyUs = timeSync(() => verifySignatureBase('ecdsa-p256-sha256', publicKey, base, signature));
  const figures = (name: string, samples: readonly number[]): BenchFigure[] => [
    { name, metric: 'count', value: samples.length, unit: '' },
    { name, metric: 'p50', value: percentile(samples, 0.5), unit: 'us' },
    { name, metric: 'p99', value: percentile(samples, 0.99), unit: 'us' },
  ];
  return [
    ...figures('translator-decision-outbound', outboundUs),
    ...figures('translator-decision-inbound', inboundUs),
    ...figures('translator-decision-basic-verify', basicUs),
    ...figures('translator-decision-basic-verify-remembered', cachedBasicUs),
    ...figures('translator-decision-ecdsa-p256-sign', signUs),
    ...figures('translator-decision-ecdsa-p256-verify', verifyUs),
  ];
}

/** A CheckRequest as Envoy A (outbound) or Envoy B (inbound, with the mTLS peer) sends it. */
function checkRequest(
  direction: 'inbound' | 'outbound',
  headers: Readonly<Record<string, string>>,
  principal: string,
): CheckRequest {
  return create(CheckRequestSchema, {
    attributes: {
      source: { principal },
      request: {
        http: {
          method: 'POST',
          path: '/orders?id=1',
          host: 'orders.zone-b:8080',
          scheme: direction === 'inbound' ? 'https' : 'http',
          headers: { ':method': 'POST', ':path': '/orders?id=1', ...headers },
          body: requestBody,
        },
      },
      contextExtensions: { 'accord.direction': direction },
    },
  });
}

/** Envoy's header mutation on an OK answer: set (overwrite), then remove. */
function forwardedHeaders(
  headers: Readonly<Record<string, string>>,
  response: CheckResponse,
): Record<string, string> {
  if (response.httpResponse.case !== 'okResponse') throw new Error('outbound decision denied');
  const result: Record<string, string> = { ...headers };
  for (const option of response.httpResponse.value.headers) {
    if (option.header) result[option.header.key] = option.header.value;
  }
  const removed = new Set(response.httpResponse.value.headersToRemove);
  return Object.fromEntries(Object.entries(result).filter(([name]) => !removed.has(name)));
}
