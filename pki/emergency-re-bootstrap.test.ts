import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../lib/config/load-config.js';
import { UnauthenticatedError } from '../lib/errors/accord-error.js';
import { requestSvid, SvidSource, type SvidSnapshot } from '../lib/identity/svid-source.js';
import { silentLogger, type Logger } from '../lib/log/logger.js';
import { spiffeIdOf } from '../lib/spiffe/spiffe-id.js';
import { systemClock } from '../lib/time/clock.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { pemToDerList } from '../lib/x509/pem.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { ManualTimers } from '../test/support/manual-timers.js';
import { waitFor } from '../test/contract-provider/wait-for.js';
import { pkiConfigSchema, type PkiConfig } from './pki-config.js';
import { rootsFileName, startPkiServer, type RunningPki } from './pki-server.js';
import { rotationPolicy } from './root-rotation-plan.js';
import { ZoneRootRotation } from './zone-root-rotation.js';

// docs/threat-model.md T11, docs/root-rotation.md "Recovering a zone after an emergency": after an
// emergency rotation a workload's SVID chains to a revoked root whose key an attacker may hold. The
// workload gets an SVID of the fresh root only by re-bootstrapping: its bootstrap token, shown to a
// PKI that the operator's anchor (the PKI's roots.pem) authenticates, never to one certified by the
// roots it learnt before; and the PKI accepts no renewal by an SVID of the revoked root.

const trustDomain = 'zone-a.example';
const token = 'workload-bootstrap-token-for-tests';

let directory: string;
let genuine: RunningPki;
/** A PKI run from a copy of the CA state taken before the emergency: the stolen root key. */
let stolen: RunningPki;
let anchorFile: string;

function config(storeDir: string, tokenFile: string): PkiConfig {
  return parseConfig(pkiConfigSchema, {
    trustDomain,
    storeDir,
    listen: { port: 0 },
    ops: { port: 0 },
    // The attacker's PKI knows the grant as well: it stands for a server that keeps whatever token
    // it is shown, and answering with an SVID proves it was shown this one.
    bootstrapTokens: [{ tokenFile, spiffePath: '/ns/shop/sa/frontend' }],
  });
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-emergency-re-bootstrap-'));
  const tokenFile = join(directory, 'frontend.token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  const dependencies = () => ({ clock: systemClock, logger: silentLogger, registry: new Registry() });
  const genuineStore = join(directory, 'genuine');
  genuine = await startPkiServer(config(genuineStore, tokenFile), dependencies());
  const stolenStore = join(directory, 'stolen');
  await mkdir(stolenStore, { mode: 0o700 });
  await copyFile(join(genuineStore, 'ca-state.json'), join(stolenStore, 'ca-state.json'));
  stolen = await startPkiServer(config(stolenStore, tokenFile), dependencies());
  anchorFile = join(genuineStore, rootsFileName);
});

afterAll(async () => {
  await Promise.all([genuine.close(), stolen.close()]);
  await rm(directory, { recursive: true, force: true });
});

interface Workload {
  svids: SvidSource;
  timers: ManualTimers;
  warnings: string[];
}

/** A workload of zone A whose PKI address is `pki`'s, with the PKI's roots.pem as its anchor. */
function workload(pki: RunningPki, clock: ManualClock): Workload {
  const timers = new ManualTimers();
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (message, fields) => warnings.push(`${message}: ${String(fields?.error)}`),
    child: () => logger,
  };
  const svids = new SvidSource({
    pkiAddress: `127.0.0.1:${pki.grpcPort}`,
    pkiRootsPem: async () => [await readFile(anchorFile, 'utf8')],
    bootstrapToken: token,
    clock,
    timers,
    logger,
  });
  return { svids, timers, warnings };
}

const rootHashes = (pems: readonly string[]) =>
  pems.flatMap((pem) => pemToDerList(pem)).map((der) => sha256Hex(der));

function isIssuedBy(svid: SvidSnapshot, rootPem: string): boolean {
  const root = new X509Certificate(rootPem);
  const certificate = new X509Certificate(svid.certificatePem);
  return certificate.checkIssued(root) && certificate.verify(root.publicKey);
}

describe('a workload after an emergency rotation of its zone root', () => {
  it("re-bootstraps from the fresh root with its token and the PKI's roots.pem; a PKI holding the revoked root's key is never shown the token", async () => {
    const clock = new ManualClock(new Date());
    // Before the emergency the stolen PKI is indistinguishable: same root, same key.
    const attacked = workload(stolen, clock);
    const recovering = workload(genuine, clock);
    const [attackedFirst, recoveringFirst] = await Promise.all([
      attacked.svids.start(),
      recovering.svids.start(),
    ]);
    const revokedRoot = genuine.authority.getCa().activeRootHash;
    expect(rootHashes(attackedFirst.rootsPem)).toEqual([revokedRoot]);

    const { signing } = await new ZoneRootRotation(
      genuine.authority,
      { rootTtlSeconds: 3600, backdateSeconds: 60 },
      rotationPolicy({ svidMaxTtlSeconds: 3600, storeReloadIntervalSeconds: 10 }),
    ).emergency(spiffeIdOf(trustDomain, '/accord/admin'), 'root key leaked');
    await waitFor(async () => rootHashes([await readFile(anchorFile, 'utf8')]).join() === signing.sha256);

    // The PKI takes no renewal by an SVID of the root it revoked, even one shown to it directly: the
    // certificate does not verify against its roots, so the caller proved nothing (UNAUTHENTICATED).
    await expect(
      requestSvid({
        pkiAddress: `127.0.0.1:${genuine.grpcPort}`,
        pkiRootsPem: [signing.certificatePem],
        credential: recoveringFirst,
      }),
    ).rejects.toThrow(new UnauthenticatedError('present a client SVID or a bootstrap token'));

    // Both SVIDs expire (the workloads' renewals fail until then: nothing accepts the revoked root).
    clock.advance(recoveringFirst.notAfter.getTime() - clock.now().getTime() + 1_000);
    const recovered = new Promise<SvidSnapshot>((resolve) => recovering.svids.onUpdate(resolve));
    recovering.timers.fire(() => true);
    const fresh = await recovered;
    expect(isIssuedBy(fresh, signing.certificatePem)).toBe(true);
    expect(fresh.spiffeId).toBe(`spiffe://${trustDomain}/ns/shop/sa/frontend`);
    expect(rootHashes(fresh.rootsPem)).toEqual([signing.sha256]);

    // The same workload aimed at the attacker's PKI: the anchor does not authenticate it, so the
    // token never leaves, and the workload keeps the SVID it had.
    attacked.timers.fire(() => true);
    await waitFor(() => attacked.warnings.length > 0);
    expect(attacked.warnings[0]).toMatch(/^SVID renewal failed: /);
    expect(attacked.svids.current()).toBe(attackedFirst);
    attacked.svids.stop();
    recovering.svids.stop();
  });

  it('with bootstrap tokens that may have leaked too: the PKI restarted with fresh grants refuses the old token and issues from the fresh root for the new one', async () => {
    const freshRoot = genuine.authority.getCa().activeRootHash;
    await genuine.close();
    const freshTokenFile = join(directory, 'frontend-after-emergency.token');
    const freshToken = 'workload-bootstrap-token-after-emergency';
    await writeFile(freshTokenFile, freshToken, { mode: 0o600 });
    // The PKI reads its grants at start: restarted on the same store, it keeps the fresh root.
    genuine = await startPkiServer(config(join(directory, 'genuine'), freshTokenFile), {
      clock: systemClock,
      logger: silentLogger,
      registry: new Registry(),
    });
    expect(genuine.authority.getCa().activeRootHash).toBe(freshRoot);
    const bootstrap = (bootstrapToken: string) =>
      requestSvid({
        pkiAddress: `127.0.0.1:${genuine.grpcPort}`,
        pkiRootsPem: [genuine.authority.getCa().rootCertificatePems[0] ?? ''],
        credential: { bootstrapToken },
      });
    await expect(bootstrap(token)).rejects.toThrow(new UnauthenticatedError('unknown bootstrap token'));
    const svid = await bootstrap(freshToken);
    expect(svid.spiffeId).toBe(`spiffe://${trustDomain}/ns/shop/sa/frontend`);
    expect(rootHashes(svid.rootsPem)).toEqual([freshRoot]);
  });
});
