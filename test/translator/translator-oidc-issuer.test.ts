import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { Registry } from 'prom-client';
import { trustBundlePemFileName } from '../../lib/bundle/bundle-file-names.js';
import { parseConfig } from '../../lib/config/load-config.js';
import type { LogFields, Logger } from '../../lib/log/logger.js';
import type { Clock } from '../../lib/time/clock.js';
import { userIdentityHeader } from '../../translator/check-handler.js';
import { startTranslator, type RunningTranslator } from '../../translator/start-translator.js';
import { translatorConfigSchema } from '../../translator/translator-config.js';
import { testWit, testWorkloadKey, testZone } from '../support/wit-test-fixtures.js';
import { workloadIdentityTokenHeader } from '../../translator/wimse-profile.js';
import { type KubeApiServer, startKubeApiServer } from '../kube/kube-api-server.js';
import { kubectlAdmin, mintServiceAccountToken } from '../pki-kube/service-account-cluster.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { ExtAuthzClient } from './ext-authz-client.js';

// Outbound OIDC against a live issuer: the real kube-apiserver is one (ServiceAccount issuer
// discovery). The translator is given only the issuer URL and its CA: it discovers jwks_uri from
// /.well-known/openid-configuration and accepts ServiceAccount tokens minted for its audience as
// bearer tokens, and refuses every imitation next to the token that passes.
jest.setTimeout(90_000);

const audience = 'accord-translator';
const serviceAccountUser = 'system:serviceaccount:shop:frontend';
const temporary = new TemporaryDirectories('accord-translator-oidc');

/** A logger that keeps the translator's lines, to read why a request was denied. */
class RecordingLogger implements Logger {
  readonly lines: { message: string; fields: LogFields }[] = [];
  debug = (message: string, fields: LogFields = {}) => void this.lines.push({ message, fields });
  info = this.debug;
  warn = this.debug;
  error = this.debug;
  child = (): Logger => this;
}

/** The details of the translator's `request denied` lines, oldest first. */
function deniedDetails(logger: RecordingLogger): string[] {
  return logger.lines
    .filter((line) => line.message === 'request denied')
    .map((line) => String(line.fields.detail));
}

let issuer: KubeApiServer;
let otherIssuer: KubeApiServer;
let home: string;

async function prepareCluster(cluster: KubeApiServer): Promise<void> {
  // Issuer discovery is open to anyone who may read it; Kubernetes ships the role, not the binding.
  await kubectlAdmin(
    cluster,
    'create',
    'clusterrolebinding',
    'oidc-discovery',
    '--clusterrole=system:service-account-issuer-discovery',
    '--group=system:unauthenticated',
  );
  await kubectlAdmin(cluster, 'create', 'namespace', 'shop');
  await kubectlAdmin(cluster, 'create', 'serviceaccount', 'frontend', '-n', 'shop');
}

beforeAll(async () => {
  home = await temporary.make();
  [issuer, otherIssuer] = await Promise.all([
    startKubeApiServer({ name: 'oidc-issuer' }),
    startKubeApiServer({ name: 'oidc-other-issuer' }),
  ]);
  await Promise.all([prepareCluster(issuer), prepareCluster(otherIssuer)]);
  const bundleDirectory = join(home, 'bundles');
  await mkdir(bundleDirectory);
  await writeFile(join(bundleDirectory, trustBundlePemFileName('zone-a.example')), issuer.caPem);
  await writeFile(join(home, 'issuer-ca.pem'), issuer.caPem);
  await writeFile(join(home, 'users.yaml'), 'users: {}\n');
  const [zone, workloadKey] = await Promise.all([testZone('zone-a.example'), testWorkloadKey()]);
  await writeFile(
    join(home, 'wit.jwt'),
    await testWit(zone, workloadKey, {
      path: '/ns/shop/sa/frontend',
      issuedAt: new Date(Date.now() - 60_000),
      ttlSeconds: 3 * 3600,
    }),
  );
  await writeFile(join(home, 'wit-key.pem'), workloadKey.privateKey.export({ format: 'pem', type: 'pkcs8' }));
}, 180_000);

afterAll(async () => {
  await Promise.all([issuer.stop(), otherIssuer.stop()]);
  await temporary.removeAll();
}, 60_000);

/** A translator whose outbound side accepts bearer tokens of `issuer` (jwks_uri discovered). */
async function translatorTrustingIssuer(
  clock: Clock,
  logger: Logger,
  issuerUrl = issuer.serviceAccountIssuer,
): Promise<RunningTranslator> {
  return startTranslator(
    parseConfig(translatorConfigSchema, {
      trustDomain: 'zone-a.example',
      listen: { port: 0 },
      ops: { port: 0 },
      bundleDirectory: join(home, 'bundles'),
      outbound: {
        basicUsersFile: join(home, 'users.yaml'),
        zones: [{ hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' }],
        oidc: { issuer: issuerUrl, audience, caFile: join(home, 'issuer-ca.pem') },
      },
      workloadIdentity: { witFile: join(home, 'wit.jwt'), privateKeyFile: join(home, 'wit-key.pem') },
    }),
    { logger, registry: new Registry(), clock },
  );
}

describe('a translator trusting the kube-apiserver as its OIDC issuer', () => {
  const logger = new RecordingLogger();
  let translator: RunningTranslator;
  let extAuthz: ExtAuthzClient;

  beforeAll(async () => {
    translator = await translatorTrustingIssuer({ now: () => new Date() }, logger);
    extAuthz = new ExtAuthzClient(translator.port);
  });

  afterAll(async () => {
    extAuthz.close();
    await translator.close();
  });

  const withBearer = (token: string) => extAuthz.outbound({ authorization: `Bearer ${token}` });

  /** Why the translator denied the latest request it denied (its log line's detail). */
  const lastDenial = () => deniedDetails(logger).at(-1) ?? 'no denial';

  const token = () => mintServiceAccountToken(issuer, 'shop', 'frontend', audience);

  it("accepts a ServiceAccount token of its audience: WIT, signature and the token's sub as the user", async () => {
    const bearer = await token();
    const decision = await withBearer(bearer);
    if (!decision.allowed) throw new Error(`denied: ${lastDenial()}`);
    expect(decodeJwt(bearer).sub).toBe(serviceAccountUser);
    expect(decision.headers[userIdentityHeader]).toBe(serviceAccountUser);
    expect(decodeJwt(decision.headers[workloadIdentityTokenHeader] ?? '').sub).toBe(
      'spiffe://zone-a.example/ns/shop/sa/frontend',
    );
    expect(decision.headers.signature).toMatch(/^wimse=:/);
  });

  it('refuses a token of the same issuer for another audience', async () => {
    expect((await withBearer(await token())).allowed).toBe(true);
    const forThePki = await mintServiceAccountToken(issuer, 'shop', 'frontend', 'accord-pki');
    expect(await withBearer(forThePki)).toMatchObject({ allowed: false, status: 401 });
    expect(lastDenial()).toContain('"aud" claim');
  });

  it('refuses a token of another API server (another issuer, other keys) for the same audience', async () => {
    expect((await withBearer(await token())).allowed).toBe(true);
    const foreign = await mintServiceAccountToken(otherIssuer, 'shop', 'frontend', audience);
    expect(await withBearer(foreign)).toMatchObject({ allowed: false, status: 401 });
    // Signed by the other API server's key, which this issuer's JWKS does not hold.
    expect(lastDenial()).toContain('no applicable key found');
  });

  it('refuses the same claims unsigned (alg none)', async () => {
    const genuine = await token();
    expect((await withBearer(genuine)).allowed).toBe(true);
    const [, payload] = genuine.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload ?? ''}.`;
    expect(await withBearer(unsigned)).toMatchObject({ allowed: false, status: 401 });
    expect(lastDenial()).toContain('alg');
  });

  it('refuses keys from a discovery document that names another issuer than the configured one', async () => {
    const bearer = await token();
    expect((await withBearer(bearer)).allowed).toBe(true);
    // Same server, same document, but configured as `<issuer>/`: OIDC Discovery wants exact equality.
    const slashLogger = new RecordingLogger();
    const slash = await translatorTrustingIssuer(
      { now: () => new Date() },
      slashLogger,
      `${issuer.serviceAccountIssuer}/`,
    );
    const slashExtAuthz = new ExtAuthzClient(slash.port);
    try {
      expect(await slashExtAuthz.outbound({ authorization: `Bearer ${bearer}` })).toMatchObject({
        allowed: false,
        status: 401,
      });
      expect(deniedDetails(slashLogger)).toEqual([
        expect.stringContaining(`names issuer "${issuer.serviceAccountIssuer}"`),
      ]);
    } finally {
      slashExtAuthz.close();
      await slash.close();
    }
  });

  it('refuses a token once it has expired', async () => {
    const bearer = await token();
    expect((await withBearer(bearer)).allowed).toBe(true);
    // The same token, an hour after its 10 minutes: a translator whose clock is there.
    const laterLogger = new RecordingLogger();
    const later = await translatorTrustingIssuer(
      { now: () => new Date(Date.now() + 3_600_000) },
      laterLogger,
    );
    const laterExtAuthz = new ExtAuthzClient(later.port);
    try {
      expect(await laterExtAuthz.outbound({ authorization: `Bearer ${bearer}` })).toMatchObject({
        allowed: false,
        status: 401,
      });
      expect(deniedDetails(laterLogger)).toEqual([expect.stringContaining('"exp" claim')]);
    } finally {
      laterExtAuthz.close();
      await later.close();
    }
  });
});
