import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../lib/config/load-config.js';
import { SvidSource } from '../lib/identity/svid-source.js';
import { silentLogger } from '../lib/log/logger.js';
import { systemClock } from '../lib/time/clock.js';
import { ManualTimers } from '../test/support/manual-timers.js';
import { pkiConfigSchema } from './pki-config.js';
import type { SelfIssuedSvid } from './pki-authority.js';
import { rootsFileName, startPkiServer, type RunningPki } from './pki-server.js';

// Renewal of the PKI's own serving SVID and of client SVIDs: scheduled from issuance, not from the
// notBefore the PKI back-dates by clockSkew, and never again once closed.

const token = 'renewal-bootstrap-token';
let directory: string;
const running: RunningPki[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-pki-renewal-'));
  await writeFile(join(directory, 'token'), token, { mode: 0o600 });
});

afterAll(async () => {
  await Promise.all(running.map((pki) => pki.close()));
  await rm(directory, { recursive: true, force: true });
});

async function startZone(trustDomain: string, settings: Record<string, unknown>, timers: ManualTimers) {
  const config = parseConfig(pkiConfigSchema, {
    trustDomain,
    storeDir: join(directory, trustDomain),
    listen: { port: 0 },
    ops: { port: 0 },
    bootstrapTokens: [{ tokenFile: join(directory, 'token'), spiffePath: '/demo/web' }],
    ...settings,
  });
  const pki = await startPkiServer(config, {
    clock: systemClock,
    logger: silentLogger,
    registry: new Registry(),
    timers,
  });
  running.push(pki);
  return pki;
}

/** Holds every issuance of the PKI's own SVID until `release()`, counting them. */
function holdOwnSvidIssuance(pki: RunningPki) {
  const issue = pki.authority.issueOwnSvid.bind(pki.authority);
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const issuances: Promise<SelfIssuedSvid>[] = [];
  pki.authority.issueOwnSvid = () => {
    const issuance = gate.then(issue);
    issuances.push(issuance);
    return issuance;
  };
  return { issuances, release };
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("renewal of the PKI's own serving SVID", () => {
  it('is scheduled at 2/3 of svidTtl from issuance, not from the notBefore back-dated by clockSkew', async () => {
    const timers = new ManualTimers();
    await startZone('own-schedule.example', { svidTtl: '30s', clockSkew: '9s' }, timers);
    // From the back-dated notBefore it would be 2/3 × 39 s − 9 s = 17 s.
    const [delayMs, ...others] = timers.delays();
    expect(others).toEqual([]);
    expect(delayMs).toBeGreaterThan(19_000);
    expect(delayMs).toBeLessThanOrEqual(20_000);
  });

  it('keeps one pending renewal when a root change renews at once', async () => {
    const timers = new ManualTimers();
    const pki = await startZone('own-change.example', {}, timers);
    // A state change announced to the listeners, as a reload or a rotation RPC does; they have run
    // (and renewed the serving SVID) when it resolves.
    await pki.authority.changeState((current) => ({ state: current, result: undefined }));
    expect(timers.delays()).toHaveLength(1);
  });

  it('stops for good when closed while a renewal is in flight', async () => {
    const timers = new ManualTimers();
    const pki = await startZone('own-close.example', {}, timers);
    const held = holdOwnSvidIssuance(pki);
    timers.fire(() => true);
    await waitFor(() => held.issuances.length === 1);
    await pki.close();
    held.release();
    await Promise.allSettled(held.issuances);
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers.delays()).toEqual([]);
    expect(held.issuances).toHaveLength(1);
  });
});

describe('renewal of a client SVID', () => {
  it('comes at 2/3 of a TTL shorter than twice the clockSkew, not at once in a loop', async () => {
    const pkiTimers = new ManualTimers();
    const pki = await startZone('client-schedule.example', { clockSkew: '1m' }, pkiTimers);
    const timers = new ManualTimers();
    const svids = new SvidSource({
      pkiAddress: `127.0.0.1:${pki.grpcPort}`,
      pkiRootsPem: [await readFile(join(directory, 'client-schedule.example', rootsFileName), 'utf8')],
      bootstrapToken: token,
      ttlSeconds: 15,
      clock: systemClock,
      timers,
      logger: silentLogger,
    });
    await svids.start();
    // From the notBefore back-dated by 60 s it would be 2/3 × 75 s − 60 s = −10 s: due at once.
    const [delayMs, ...others] = timers.delays();
    svids.stop();
    expect(others).toEqual([]);
    expect(delayMs).toBeGreaterThan(9000);
    expect(delayMs).toBeLessThanOrEqual(10_000);
  });
});

describe('the first SVID of a component started before its PKI', () => {
  /** A PKI's roots and a port nothing listens on until `startPki` serves there. */
  async function stoppedPki(trustDomain: string) {
    const first = await startZone(trustDomain, {}, new ManualTimers());
    const port = first.grpcPort;
    const rootsPem = await readFile(join(directory, trustDomain, rootsFileName), 'utf8');
    await first.close();
    running.splice(running.indexOf(first), 1);
    return {
      rootsPem,
      address: `127.0.0.1:${port}`,
      startPki: () => startZone(trustDomain, { listen: { port } }, new ManualTimers()),
    };
  }

  function svidSource(address: string, rootsPem: string, bootstrapToken: string, timers: ManualTimers) {
    return new SvidSource({
      pkiAddress: address,
      pkiRootsPem: [rootsPem],
      bootstrapToken,
      clock: systemClock,
      timers,
      logger: silentLogger,
    });
  }

  it('is asked again with backoff while the PKI is unreachable, and arrives once it serves', async () => {
    const pki = await stoppedPki('late-pki.example');
    const timers = new ManualTimers();
    const svids = svidSource(pki.address, pki.rootsPem, token, timers);
    const started = svids.start(60_000);
    await waitFor(() => timers.delays().length === 1);
    expect(timers.delays()).toEqual([1000]);
    timers.fire(() => true);
    await waitFor(() => timers.delays().length === 1);
    expect(timers.delays()).toEqual([2000]);
    await pki.startPki();
    timers.fire(() => true);
    const svid = await started;
    svids.stop();
    expect(svid.spiffeId).toBe('spiffe://late-pki.example/demo/web');
  });

  it('is refused at once for a bad token, and after the wait for a PKI that stays away', async () => {
    const pki = await stoppedPki('absent-pki.example');
    const timers = new ManualTimers();
    await expect(svidSource(pki.address, pki.rootsPem, token, timers).start()).rejects.toThrow(
      /ECONNREFUSED/,
    );
    const waiting = svidSource(pki.address, pki.rootsPem, token, timers).start(1500);
    await waitFor(() => timers.delays().length === 1);
    timers.fire(() => true);
    // The next delay (2 s) would end after the 1.5 s wait: the last error, not another attempt.
    await expect(waiting).rejects.toThrow(/ECONNREFUSED/);
    expect(timers.delays()).toEqual([]);

    await pki.startPki();
    await expect(
      svidSource(pki.address, pki.rootsPem, 'not-the-token', timers).start(60_000),
    ).rejects.toThrow(/bootstrap token/);
    expect(timers.delays()).toEqual([]);
  });
});
