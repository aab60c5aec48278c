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
import { createCheckHandler } from '../translator/check-handler.js';
import { signSignatureBase, verifySignatureBase } from '../translator/http-signature-algorithm.js';
import { NonceCache } from '../translator/nonce-cache.js';
import { audienceResolver, serviceAudience } from '../translator/translator-config.js';
import { TranslatorMetrics } from '../translator/translator-metrics.js';
import { testWit, testWorkloadKey, testZone, witKeysOf } from '../test/support/wit-test-fixtures.js';
import type { BenchFigure } from './bench-figure.js';
import { runBoundedLoad } from './bounded-load.js';
import { runExtAuthzTransportBenchmark } from './ext-authz-transport.js';
import { percentile } from './percentiles.js';
import type { CpuTimes } from './process-cpu.js';

/** Sizes and bounds of the translator-path runs. */
export interface TranslatorPathOptions {
  /** Measured requests per setup and repetition (fewer if `maxDurationMs` runs out first). */
  readonly requests: number;
  /** Requests in flight at once: the closed loop's fixed number of clients (the throughput run). */
  readonly concurrency: number;
  /** Measured requests per setup and repetition with ONE in flight (the unloaded latency run). */
  readonly unloadedRequests: number;
  /** Unmeasured requests first on each setup (connections, JIT), also checking the answer. */
  readonly warmupRequests: number;
  /** Per setup and repetition, bounds the measured requests' wall time. */
  readonly maxDurationMs: number;
  /** Each setup is measured this often with fresh Envoys; figures are medians over repetitions. */
  readonly repetitions: number;
  /** In-process Check calls per direction (fewer if `decisionMaxDurationMs` runs out first). */
  readonly decisionIterations: number;
  readonly decisionMaxDurationMs: number;
  /** Check calls per concurrency against the ext_authz server with a no-op decision. */
  readonly transportCalls: number;
  readonly progress: (message: string) => void;
  /** CPU time so far of the benchmark process and of its children (Envoys, translator processes); main.ts reads it. */
  readonly cpuTimes: () => CpuTimes;
}

/**
 * The setups: the app alone; the Envoys without ext_authz; the Envoys asking a no-op HTTP
 * authorizer (allows at once without looking: the ceiling of ANY ext_authz authorizer on this
 * path, only Envoy's side of the call and the loopback round trip); and the Envoys with
 * translation over each ext_authz transport (`translated`: the HTTP service injected sidecars use;
 * `translated-grpc`: gRPC `Authorization/Check`), the translators inside the benchmark process;
 * and `translated-processes`: HTTP with each translator its own `accord-translator` process, as in
 * a pod (more process switches per request than in one process).
 */
const setups = [
  'direct',
  'envoys',
  'no-op-ext-authz',
  'translated',
  'translated-grpc',
  'translated-processes',
] as const;
type Setup = (typeof setups)[number];
/** The setups through the Envoys, compared against `direct` per hop and against `envoys` in throughput. */
const proxiedSetups = setups.filter((setup) => setup !== 'direct');
const authorizedSetups = [
  'no-op-ext-authz',
  'translated',
  'translated-grpc',
  'translated-processes',
] as const;
/** How each setup with ext_authz starts its chain. */
const chainOf: Record<
  (typeof authorizedSetups)[number],
  Pick<TwoZoneChainOptions, 'authorizer' | 'transport' | 'translatorProcesses'>
> = {
  'no-op-ext-authz': { authorizer: 'no-op' },
  translated: { transport: 'http' },
  'translated-grpc': { transport: 'grpc' },
  'translated-processes': { transport: 'http', translatorProcesses: true },
};

interface LoadFigures {
  /** The throughput run (`concurrency` in flight). */
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly throughputPerSecond: number;
  /**
   * CPU per request during the throughput run: this process (load generator, app, and the
   * translators unless they run as processes) and its child processes (the Envoys, and the
   * translators when they run as processes).
   */
  readonly nodeCpuPerRequestUs: number;
  readonly childrenCpuPerRequestUs: number;
  /** The unloaded run: one request in flight, so no request waits for another's CPU. */
  readonly unloadedP50Ms: number;
  readonly unloadedP99Ms: number;
  /** The 1-minute load average right after the runs: how busy the shared machine was. */
  readonly loadAverage: number;
}

const requestUrl = 'http://orders.zone-b:8080/orders?id=1';
const requestBody = '{"qty":1}';
const aliceBasic = basicAuthorization('alice', 'wonderland');

/**
 * Issue #4: what the translator path adds. The same closed-loop load (keep-alive clients, fixed
 * concurrency, bounded in count and time) goes (a) straight to zone B's app, (b) through Envoy A's
 * outbound listener (HTTP_PROXY) and Envoy B's mTLS inbound listener without ext_authz, (c) the
 * same with both Envoys asking a no-op HTTP authorizer (the ceiling of any ext_authz translator),
 * and (d) the same with ext_authz translation on both hops (Basic -> WIT + WIMSE signature -> zone
 * B's Basic), once over Envoy's HTTP ext_authz service (what injected sidecars use) and once over
 * gRPC. Each setup is run twice: with `concurrency` requests in flight (throughput, and the p50/p99 under
 * that load, which includes queueing for the two cores) and with one in flight (unloaded latency,
 * the conventional basis of "added latency per hop"). Per-hop added latency is (p50 of b, c or d
 * − p50 of a) / 2 hops, for both runs; unloaded, also (p50 of c or d − p50 of b) / 2 hops, what
 * ext_authz adds to the Envoy mesh path alone. CPU per request (this process and its children) is reported
 * for the throughput run. Separately, the translator's own cost per decision: `Check` called
 * in-process, outbound and inbound, without any network; and what the ext_authz transport
 * alone costs the translator per Check (`runExtAuthzTransportBenchmark`).
 */
export async function runTranslatorPathBenchmark(options: TranslatorPathOptions): Promise<BenchFigure[]> {
  const runs = Object.fromEntries(setups.map((setup) => [setup, []])) as unknown as Record<
    Setup,
    LoadFigures[]
  >;
  for (let repetition = 1; repetition <= options.repetitions; repetition += 1) {
    const plain = await startTwoZoneChain({ name: 'bench-translator-path', authorizer: 'none' });
    try {
      options.progress(`translator-path ${repetition}: direct`);
      runs.direct.push(await measure(options, plain, { port: plain.appPortB, path: '/orders?id=1' }));
      options.progress(`translator-path ${repetition}: envoys without ext_authz`);
      runs.envoys.push(await measure(options, plain, { port: plain.outboundPortA, path: requestUrl }));
    } finally {
      await plain.close();
    }
    for (const setup of authorizedSetups) {
      const chain = await startTwoZoneChain({ name: 'bench-translator-path', ...chainOf[setup] });
      try {
        options.progress(`translator-path ${repetition}: ${setup}`);
        runs[setup].push(await measure(options, chain, { port: chain.outboundPortA, path: requestUrl }));
      } finally {
        await chain.close();
      }
    }
  }
  const figures: BenchFigure[] = [];
  const medians = {} as Record<Setup, LoadFigures>;
  for (const setup of setups) {
    const samples = runs[setup];
    const median = (pick: (figures: LoadFigures) => number) => percentile(samples.map(pick), 0.5);
    medians[setup] = {
      requests: median((run) => run.requests),
      p50Ms: median((run) => run.p50Ms),
      p99Ms: median((run) => run.p99Ms),
      throughputPerSecond: median((run) => run.throughputPerSecond),
      nodeCpuPerRequestUs: median((run) => run.nodeCpuPerRequestUs),
      childrenCpuPerRequestUs: median((run) => run.childrenCpuPerRequestUs),
      unloadedP50Ms: median((run) => run.unloadedP50Ms),
      unloadedP99Ms: median((run) => run.unloadedP99Ms),
      loadAverage: median((run) => run.loadAverage),
    };
    const name = `translator-path-${setup}`;
    figures.push(
      { name, metric: 'requests', value: medians[setup].requests, unit: '' },
      { name, metric: 'throughput', value: medians[setup].throughputPerSecond, unit: '/s' },
      { name, metric: 'p50', value: medians[setup].p50Ms, unit: 'ms' },
      { name, metric: 'p99', value: medians[setup].p99Ms, unit: 'ms' },
      { name, metric: 'node-cpu-per-request', value: medians[setup].nodeCpuPerRequestUs, unit: 'us' },
      { name, metric: 'children-cpu-per-request', value: medians[setup].childrenCpuPerRequestUs, unit: 'us' },
      { name, metric: 'unloaded-p50', value: medians[setup].unloadedP50Ms, unit: 'ms' },
      { name, metric: 'unloaded-p99', value: medians[setup].unloadedP99Ms, unit: 'ms' },
      { name, metric: 'load-average-1m', value: medians[setup].loadAverage, unit: '' },
    );
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
  for (const setup of authorizedSetups) {
    figures.push(
      {
        name: 'translator-path-added',
        metric: `${setup}-throughput-ratio`,
        value: medians[setup].throughputPerSecond / medians.envoys.throughputPerSecond,
        unit: '',
      },
      {
        // What ext_authz adds on top of the Envoy mesh path: the other reading of "added per hop".
        name: 'translator-path-added',
        metric: `${setup}-over-envoys-unloaded-p50-per-hop`,
        value: (medians[setup].unloadedP50Ms - medians.envoys.unloadedP50Ms) / 2,
        unit: 'ms',
      },
    );
  }
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
 * Warm-up, then the bounded closed loop against one setup with `concurrency` in flight (CPU time
 * read around it), then with one in flight; any non-200 answer fails the run.
 */
async function measure(
  options: TranslatorPathOptions,
  chain: TwoZoneChain,
  target: { port: number; path: string },
): Promise<LoadFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  try {
    const call = () => post(agent, target);
    for (let index = 0; index < options.warmupRequests; index += 1) await call();
    const cpuBefore = options.cpuTimes();
    const loaded = await runBoundedLoad({
      calls: options.requests,
      concurrency: options.concurrency,
      maxDurationMs: options.maxDurationMs,
      call,
    });
    const cpuAfter = options.cpuTimes();
    const unloaded = await runBoundedLoad({
      calls: options.unloadedRequests,
      concurrency: 1,
      maxDurationMs: options.maxDurationMs,
      call,
    });
    const requests = loaded.latenciesMs.length;
    return {
      requests,
      p50Ms: percentile(loaded.latenciesMs, 0.5),
      p99Ms: percentile(loaded.latenciesMs, 0.99),
      throughputPerSecond: (requests / loaded.elapsedMs) * 1000,
      nodeCpuPerRequestUs: ((cpuAfter.selfMs - cpuBefore.selfMs) / requests) * 1000,
      childrenCpuPerRequestUs: ((cpuAfter.childrenMs - cpuBefore.childrenMs) / requests) * 1000,
      unloadedP50Ms: percentile(unloaded.latenciesMs, 0.5),
      unloadedP99Ms: percentile(unloaded.latenciesMs, 0.99),
      loadAverage: loadavg()[0] ?? Number.NaN,
    };
  } finally {
    agent.destroy();
    chain.appCalls.length = 0;
  }
}

/** Zone A's legacy client: POST with alice's Basic credentials, through the proxy when `path` is a URL. */
function post(agent: Agent, target: { port: number; path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        method: 'POST',
        path: target.path,
        headers: {
          host: new URL(requestUrl).host,
          'content-type': 'application/json',
          authorization: aliceBasic,
        },
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
