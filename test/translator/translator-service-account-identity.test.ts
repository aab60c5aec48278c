import 'reflect-metadata';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { Registry } from 'prom-client';
import { trustBundlePemFileName } from '../../lib/bundle/bundle-file-names.js';
import { parseConfig } from '../../lib/config/load-config.js';
import { SvidSource } from '../../lib/identity/svid-source.js';
import { silentLogger } from '../../lib/log/logger.js';
import { spiffeIdOfCertificate } from '../../lib/spiffe/x509-svid.js';
import { systemClock, type Clock } from '../../lib/time/clock.js';
import { secretFileName, svidSecretName } from '../../lib/sidecar/sidecar-secret-names.js';
import { basicAuthorization, hashBasicPassword } from '../../translator/basic-credentials.js';
import { userIdentityHeader } from '../../translator/check-handler.js';
import { envoySvidFiles } from '../../translator/pki-wit-source.js';
import { startTranslator, type RunningTranslator } from '../../translator/start-translator.js';
import { translatorConfigSchema } from '../../translator/translator-config.js';
import { workloadIdentityTokenHeader } from '../../translator/wimse-profile.js';
import { type KubeApiServer, startKubeApiServer } from '../kube/kube-api-server.js';
import {
  kubectlAdmin,
  mintServiceAccountToken,
  startKubeZonePki,
  tokenReviewerKubeconfig,
  type KubeZonePki,
} from '../pki-kube/service-account-cluster.js';
import { ManualTimers } from '../support/manual-timers.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { ExtAuthzClient } from './ext-authz-client.js';

// An injected pod's translator without a bootstrap token: its projected ServiceAccount token
// (minted by the real kube-apiserver for audience accord-pki) gets it an SVID and a WIT from the
// zone PKI, which checks the token by TokenReview. Short lifetimes make both renew during the test,
// without a restart, and the SVID files Envoy serves from change.
jest.setTimeout(90_000);

const trustDomain = 'zone-a.example';
const frontendId = `spiffe://${trustDomain}/ns/shop/sa/frontend`;
const temporary = new TemporaryDirectories('accord-translator-sa');

let cluster: KubeApiServer;
let zone: KubeZonePki;
let directory: string;

beforeAll(async () => {
  directory = await temporary.make();
  cluster = await startKubeApiServer({ name: 'translator-sa' });
  await kubectlAdmin(cluster, 'create', 'namespace', 'shop');
  await kubectlAdmin(cluster, 'create', 'serviceaccount', 'frontend', '-n', 'shop');
  zone = await startKubeZonePki({
    directory,
    trustDomain,
    kubeconfig: await tokenReviewerKubeconfig(cluster),
    svidTtl: '6s',
    witTtl: '3s',
  });
}, 180_000);

afterAll(async () => {
  await zone.pki.close();
  await cluster.stop();
  await temporary.removeAll();
}, 60_000);

/** Writes the token file as the kubelet's projected volume would. */
async function projectToken(file: string, token: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, token);
}

/** Polls `read` (every 200 ms, at most `attempts` times) until it returns a value. */
async function eventually<T>(
  what: string,
  read: () => Promise<T | undefined> | T | undefined,
  attempts = 150,
): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`never saw ${what}`);
}

describe('a translator holding a projected ServiceAccount token', () => {
  let translator: RunningTranslator;
  let extAuthz: ExtAuthzClient;
  let secretsDirectory: string;
  let tokenFile: string;

  beforeAll(async () => {
    const home = await temporary.make();
    const bundleDirectory = join(home, 'bundles');
    secretsDirectory = join(home, 'sds');
    tokenFile = join(home, 'pki-token', 'token');
    await mkdir(bundleDirectory);
    await mkdir(secretsDirectory);
    await writeFile(
      join(bundleDirectory, trustBundlePemFileName(trustDomain)),
      await readFile(zone.rootsFile),
    );
    await writeFile(
      join(home, 'users.yaml'),
      `users:\n  alice: "${await hashBasicPassword('wonderland')}"\n`,
    );
    await projectToken(tokenFile, await mintServiceAccountToken(cluster, 'shop', 'frontend', 'accord-pki'));
    translator = await startTranslator(
      parseConfig(translatorConfigSchema, {
        trustDomain,
        listen: { port: 0 },
        ops: { port: 0 },
        bundleDirectory,
        envoySecretsDirectory: secretsDirectory,
        outbound: {
          basicUsersFile: join(home, 'users.yaml'),
          zones: [{ hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' }],
        },
        workloadIdentity: {
          pkiAddress: zone.address,
          pkiCaFile: zone.rootsFile,
          serviceAccountTokenFile: tokenFile,
          witTtl: '0s',
        },
      }),
      { logger: silentLogger, registry: new Registry(), clock: systemClock },
    );
    extAuthz = new ExtAuthzClient(translator.port);
  });

  afterAll(async () => {
    extAuthz.close();
    await translator.close();
  });

  const outboundWit = async (): Promise<string> => {
    const decision = await extAuthz.outbound({ authorization: basicAuthorization('alice', 'wonderland') });
    if (!decision.allowed) throw new Error(`outbound denied: ${decision.body}`);
    expect(decision.headers[userIdentityHeader]).toBe('alice');
    expect(decision.headers.signature).toMatch(/^wimse=:/);
    const wit = decision.headers[workloadIdentityTokenHeader];
    if (wit === undefined) throw new Error('no WIT on the outbound request');
    return wit;
  };

  const envoySvid = async () => {
    const files = envoySvidFiles(secretsDirectory);
    return new X509Certificate(await readFile(files.certificateChainPath));
  };

  it("signs outbound requests with a WIT for the ServiceAccount's SPIFFE ID", async () => {
    expect(decodeJwt(await outboundWit()).sub).toBe(frontendId);
  });

  it('gives Envoy the SVID of that ID and the SDS secret naming its files', async () => {
    const svid = await envoySvid();
    expect(spiffeIdOfCertificate(svid).uri).toBe(frontendId);
    const files = envoySvidFiles(secretsDirectory);
    expect(svid.checkPrivateKey(createPrivateKey(await readFile(files.privateKeyPath)))).toBe(true);
    const sds = await readFile(join(secretsDirectory, secretFileName(svidSecretName)), 'utf8');
    expect(sds).toContain(files.certificateChainPath);
    expect(sds).toContain(files.privateKeyPath);
  });

  it('renews the SVID over mTLS and the WIT before they expire, without a restart, rewriting the SVID files', async () => {
    const firstSerial = (await envoySvid()).serialNumber;
    const firstWit = await outboundWit();
    // From now on the token file is useless: renewals must authenticate with the current SVID.
    await writeFile(tokenFile, 'garbage');
    const renewed = await eventually('a renewed SVID in the Envoy files', async () => {
      const svid = await envoySvid().catch(() => undefined);
      return svid !== undefined && svid.serialNumber !== firstSerial ? svid : undefined;
    });
    expect(spiffeIdOfCertificate(renewed).uri).toBe(frontendId);
    const nextWit = await eventually('a renewed WIT', async () => {
      const wit = await outboundWit();
      return wit !== firstWit ? wit : undefined;
    });
    expect(decodeJwt(nextWit).sub).toBe(frontendId);
    // Each renewed SVID stays valid: the outbound side keeps working well past the first lifetime.
    expect(new Date(renewed.validTo).getTime()).toBeGreaterThan(Date.now());
  });
});

describe('the SVID source after its SVID expired (a suspended pod)', () => {
  it('goes back to the token file, read afresh, instead of the expired SVID', async () => {
    const home = await temporary.make();
    const tokenFile = join(home, 'token');
    await projectToken(tokenFile, await mintServiceAccountToken(cluster, 'shop', 'frontend', 'accord-pki'));
    let offsetMs = 0;
    const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
    const timers = new ManualTimers();
    const source = new SvidSource({
      pkiAddress: zone.address,
      pkiRootsPem: [await readFile(zone.rootsFile, 'utf8')],
      bootstrapToken: async () => (await readFile(tokenFile, 'utf8')).trim(),
      clock,
      timers,
      logger: silentLogger,
    });
    const first = await source.start();
    const renewals: string[] = [];
    source.onUpdate((svid) => renewals.push(svid.certificatePem));
    try {
      // The pod wakes up a day later: the SVID has expired, and the kubelet has not rotated the
      // token yet (the file holds a stale, here unusable, token): the renewal fails...
      offsetMs = 86_400_000;
      await writeFile(tokenFile, 'stale-token');
      timers.fire(() => true);
      await eventually('a failed renewal', () => (timers.delays().length > 0 ? true : undefined));
      expect(renewals).toEqual([]);
      // ...until the rotated token appears, which the next attempt reads.
      await writeFile(tokenFile, await mintServiceAccountToken(cluster, 'shop', 'frontend', 'accord-pki'));
      timers.fire(() => true);
      await eventually('a renewal by token', () => (renewals.length > 0 ? true : undefined));
      expect(renewals[0]).not.toBe(first.certificatePem);
      expect(spiffeIdOfCertificate(new X509Certificate(renewals[0] ?? '')).uri).toBe(frontendId);
    } finally {
      source.stop();
    }
  });
});
