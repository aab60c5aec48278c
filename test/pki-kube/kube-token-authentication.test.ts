import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { createGrpcClient } from '../../lib/grpc/grpc-client.js';
import { SvidSource } from '../../lib/identity/svid-source.js';
import { silentLogger } from '../../lib/log/logger.js';
import { spiffeIdOfCertificate } from '../../lib/spiffe/x509-svid.js';
import { systemClock } from '../../lib/time/clock.js';
import { createCsr } from '../../lib/x509/create-csr.js';
import { generateEcKeyPair } from '../../lib/x509/generate-ec-key-pair.js';
import { PkiService } from '../../proto/gen/accord/pki/v1/pki_pb.js';
import { type KubeApiServer, startKubeApiServer } from '../kube/kube-api-server.js';
import { kubectl } from '../kube/kubectl.js';
import {
  kubectlAdmin,
  mintServiceAccountToken,
  startKubeZonePki,
  tokenReviewerKubeconfig,
  type KubeZonePki,
} from './service-account-cluster.js';

// The zone PKI in cluster mode against a real kube-apiserver: ServiceAccount tokens are checked by
// TokenReview (as a least-privilege user that may only create TokenReviews) and obtain
// spiffe://<td>/ns/<ns>/sa/<sa>; every attack sits next to the legitimate call it imitates.

const trustDomain = 'zone-a.example';
const componentPath = '/accord/operator';
const componentToken = 'operator-bootstrap-token';

let cluster: KubeApiServer;
let directory: string;
let zone: KubeZonePki;
let roots: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-pki-kube-'));
  cluster = await startKubeApiServer({ name: 'pki-token-review' });
  await kubectlAdmin(cluster, 'create', 'namespace', 'shop');
  for (const serviceAccount of ['frontend', 'short-lived'])
    await kubectlAdmin(cluster, 'create', 'serviceaccount', serviceAccount, '-n', 'shop');
  zone = await startKubeZonePki({
    directory,
    trustDomain,
    kubeconfig: await tokenReviewerKubeconfig(cluster),
    bootstrapTokens: new Map([[componentPath, componentToken]]),
  });
  roots = await readFile(zone.rootsFile, 'utf8');
}, 180_000);

afterAll(async () => {
  await zone.pki.close();
  await cluster.stop();
  await rm(directory, { recursive: true, force: true });
}, 60_000);

/** One SignCSR with `token` as the bearer (no client certificate): the SPIFFE ID issued. */
async function signWith(token: string): Promise<string> {
  const client = createGrpcClient(PkiService, zone.address, { caPems: [roots] }, { bearerToken: token });
  try {
    const response = await client.signCSR({ csr: await createCsr(await generateEcKeyPair()), ttlSeconds: 0 });
    return spiffeIdOfCertificate(new X509Certificate(response.certificate)).uri;
  } finally {
    client.close();
  }
}

const frontendToken = () => mintServiceAccountToken(cluster, 'shop', 'frontend', 'accord-pki');
const frontendId = `spiffe://${trustDomain}/ns/shop/sa/frontend`;

describe('the zone PKI with Kubernetes TokenReview', () => {
  it('issues spiffe://<td>/ns/<ns>/sa/<sa> for a ServiceAccount token of the PKI audience', async () => {
    expect(await signWith(await frontendToken())).toBe(frontendId);
  });

  it('keeps bootstrap tokens and SVID renewals working as in local mode', async () => {
    expect(await signWith(componentToken)).toBe(`spiffe://${trustDomain}${componentPath}`);
    const source = new SvidSource({
      pkiAddress: zone.address,
      pkiRootsPem: [roots],
      bootstrapToken: frontendToken,
      clock: systemClock,
      logger: silentLogger,
    });
    const first = await source.start();
    source.stop();
    // Renewal authenticates with the SVID alone (mTLS, no token).
    const renewal = createGrpcClient(PkiService, zone.address, {
      caPems: first.rootsPem,
      certificatePem: first.certificatePem,
      privateKeyPem: first.privateKeyPem,
    });
    const renewed = await renewal.signCSR({ csr: await createCsr(await generateEcKeyPair()), ttlSeconds: 0 });
    renewal.close();
    expect(spiffeIdOfCertificate(new X509Certificate(renewed.certificate)).uri).toBe(frontendId);
  });

  it('refuses a token minted for another audience (the API server default) while the PKI audience passes', async () => {
    expect(await signWith(await frontendToken())).toBe(frontendId);
    const apiServerToken = await kubectlAdmin(cluster, 'create', 'token', 'frontend', '-n', 'shop');
    await expect(signWith(apiServerToken)).rejects.toMatchObject({
      kind: 'Unauthenticated',
      message: expect.stringMatching(/ServiceAccount token refused by the API server: .*audience/) as unknown,
    });
  });

  it("refuses a token forged with a key the API server doesn't know, with the same claims", async () => {
    const genuine = await frontendToken();
    expect(await signWith(genuine)).toBe(frontendId);
    const claims = JSON.parse(Buffer.from(genuine.split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .sign(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    await expect(signWith(forged)).rejects.toMatchObject({
      kind: 'Unauthenticated',
      message: expect.stringContaining('ServiceAccount token refused by the API server') as unknown,
    });
  });

  it('refuses the token of a deleted ServiceAccount that was accepted before the deletion', async () => {
    const token = await mintServiceAccountToken(cluster, 'shop', 'short-lived', 'accord-pki');
    expect(await signWith(token)).toBe(`spiffe://${trustDomain}/ns/shop/sa/short-lived`);
    await kubectlAdmin(cluster, 'delete', 'serviceaccount', 'short-lived', '-n', 'shop');
    // The API server caches a successful token authentication for 10 s (and its ServiceAccount
    // lookup goes through an informer): wait for the first refusal, within a generous bound.
    const refusal = async (): Promise<unknown> => {
      for (let attempt = 0; attempt < 60; attempt++) {
        const error = await signWith(token).then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
        if (error !== undefined) return error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      return undefined;
    };
    expect(await refusal()).toMatchObject({
      kind: 'Unauthenticated',
      message: expect.stringContaining('ServiceAccount token refused by the API server') as unknown,
    });
  });

  it.each([
    ['garbage', 'not-a-jwt', 'ServiceAccount token refused by the API server'],
    ['an empty token', '', 'present a client SVID, a bootstrap token or a ServiceAccount token'],
  ])('refuses %s', async (_name, token, message) => {
    await expect(signWith(token)).rejects.toMatchObject({
      kind: 'Unauthenticated',
      message: expect.stringContaining(message) as unknown,
    });
  });

  it('grants the PKI user create tokenreviews and nothing else', async () => {
    const kubeconfig = await cluster.kubeconfigFor('accord-pki');
    expect((await kubectl(kubeconfig, 'auth', 'can-i', 'create', 'tokenreviews')).stdout).toBe('yes');
    for (const [verb, resource] of [
      ['create', 'serviceaccounts/token'],
      ['get', 'serviceaccounts'],
      ['create', 'subjectaccessreviews'],
      ['get', 'secrets'],
    ] as const)
      expect((await kubectl(kubeconfig, 'auth', 'can-i', verb, resource, '-n', 'shop')).stdout).toBe('no');
  });

  // Last: stops the API server.
  it('answers UNAVAILABLE, not UNAUTHENTICATED, when the API server cannot be asked', async () => {
    const token = await frontendToken();
    expect(await signWith(token)).toBe(frontendId);
    await cluster.stop();
    await expect(signWith(token)).rejects.toMatchObject({
      kind: 'Unavailable',
      message: expect.stringContaining('cannot review the ServiceAccount token') as unknown,
    });
    // Bootstrap tokens need no API server.
    expect(await signWith(componentToken)).toBe(`spiffe://${trustDomain}${componentPath}`);
  });
});
