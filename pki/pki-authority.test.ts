import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import {
  InvalidArgumentError,
  PermissionDeniedError,
  UnauthenticatedError,
} from '../lib/errors/accord-error.js';
import { silentLogger } from '../lib/log/logger.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import { verifyX509Svid } from '../lib/spiffe/x509-svid.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { createCsr } from '../lib/x509/create-csr.js';
import { ecdsaP256, generateEcKeyPair } from '../lib/x509/generate-ec-key-pair.js';
import { FileCaStore } from './file-ca-store.js';
import { PkiAuthority } from './pki-authority.js';
import { rotateRoot } from './rotate-root.js';

const dayMs = 86_400_000;
const trustDomain = 'zone-a.example';
const workload = parseSpiffeId('spiffe://zone-a.example/workload');

let directory: string;
let clock: ManualClock;

function options(store = new FileCaStore(directory)) {
  return {
    store,
    trustDomain,
    clock,
    svidLifetime: { defaultTtlSeconds: 86_400, maxTtlSeconds: 7 * 86_400, backdateSeconds: 60 },
    witLifetime: { defaultTtlSeconds: 300, maxTtlSeconds: 3600 },
    rootPolicy: { rootTtlSeconds: 365 * 86_400, backdateSeconds: 60 },
    bundleRefreshHintSeconds: 300,
    logger: silentLogger,
  };
}

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-pki-'));
  clock = new ManualClock(new Date());
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function issuedFor(authority: PkiAuthority, ttlSeconds = 0) {
  const keys = await generateEcKeyPair();
  const issued = await authority.signCsr(workload, await createCsr(keys), ttlSeconds);
  return { keys, issued, certificate: new X509Certificate(issued.certificatePem) };
}

describe('PkiAuthority', () => {
  it('issues an SVID with the caller ID, the X509-SVID extensions and the default 24 h lifetime', async () => {
    const authority = await PkiAuthority.open(options());
    const { certificate, issued } = await issuedFor(authority);
    expect(certificate.subjectAltName).toBe('URI:spiffe://zone-a.example/workload');
    expect(issued.notAfter.getTime() - clock.now().getTime()).toBe(dayMs);
    const parsed = new x509.X509Certificate(certificate.raw);
    expect(parsed.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: false, critical: true });
    expect(parsed.getExtension(x509.KeyUsagesExtension)).toMatchObject({
      usages: x509.KeyUsageFlags.digitalSignature,
      critical: true,
    });
    expect(parsed.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.serverAuth,
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    expect(parsed.notBefore.getTime()).toBeLessThan(clock.now().getTime());
    expect(verifyX509Svid(certificate, authority.trustBundles(), clock.now()).spiffeId).toEqual(workload);
  });

  it.each([
    [3600, 3600],
    [30 * 86_400, 7 * 86_400],
  ])('gives a request for %i seconds a lifetime of %i seconds', async (requested, granted) => {
    const authority = await PkiAuthority.open(options());
    const { issued } = await issuedFor(authority, requested);
    expect(issued.notAfter.getTime() - clock.now().getTime()).toBe(granted * 1000);
  });

  it('issues the caller its own ID when the CSR asks for someone else', async () => {
    const authority = await PkiAuthority.open(options());
    const keys = await generateEcKeyPair();
    const greedy = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=spiffe://zone-a.example/accord/pki',
      keys,
      signingAlgorithm: ecdsaP256,
      extensions: [
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: 'spiffe://zone-a.example/admin' }]),
      ],
    });
    const issued = await authority.signCsr(workload, greedy.toString('pem'), 0);
    expect(new X509Certificate(issued.certificatePem).subjectAltName).toBe(
      'URI:spiffe://zone-a.example/workload',
    );
  });

  it('rejects a CSR whose signature does not match its key and accepts an honest one', async () => {
    const authority = await PkiAuthority.open(options());
    const [victim, attacker] = await Promise.all([generateEcKeyPair(), generateEcKeyPair()]);
    const forged = await x509.Pkcs10CertificateRequestGenerator.create({
      keys: { publicKey: victim.publicKey, privateKey: attacker.privateKey },
      signingAlgorithm: ecdsaP256,
    });
    await expect(authority.signCsr(workload, forged.toString('pem'), 0)).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(authority.signCsr(workload, await createCsr(attacker), 0)).resolves.toMatchObject({
      spiffeId: workload,
    });
  });

  it.each([
    ['another trust domain', 'spiffe://zone-b.example/workload'],
    ['the trust domain ID itself', 'spiffe://zone-a.example'],
  ])('refuses to issue for %s', async (_name, uri) => {
    const authority = await PkiAuthority.open(options());
    const csr = await createCsr(await generateEcKeyPair());
    await expect(authority.signCsr(parseSpiffeId(uri), csr, 0)).rejects.toThrow(PermissionDeniedError);
  });

  it('creates one root when two PKIs start at once on the same store', async () => {
    const [first, second] = await Promise.all([PkiAuthority.open(options()), PkiAuthority.open(options())]);
    expect(first.getCa().activeRootHash).toBe(second.getCa().activeRootHash);
    const reopened = await PkiAuthority.open(options());
    expect(reopened.getCa().activeRootHash).toBe(first.getCa().activeRootHash);
  });

  it('publishes a SPIFFE bundle with an x509-svid key per root and a wit-svid key with kid', async () => {
    const authority = await PkiAuthority.open(options());
    const bundle = await authority.getBundle();
    const document = JSON.parse(bundle.bundleJson) as {
      keys: JWK[];
      spiffe_sequence: number;
      spiffe_refresh_hint: number;
    };
    expect(document.spiffe_sequence).toBe(1);
    expect(bundle.sequence).toBe(1);
    expect(document.spiffe_refresh_hint).toBe(300);
    const [rootKey, witKey] = document.keys;
    expect(rootKey).toMatchObject({ use: 'x509-svid', kty: 'EC', crv: 'P-256' });
    const [rootPem] = authority.getCa().rootCertificatePems;
    expect(rootKey?.x5c).toEqual([new X509Certificate(rootPem ?? '').raw.toString('base64')]);
    expect(witKey).toMatchObject({ use: 'wit-svid', kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(witKey?.kid).toEqual(expect.any(String));
    expect(witKey?.d).toBeUndefined();
  });

  it('issues a WIT-SVID (kid, nbf, cnf.jwk.alg) bound to the caller certificate key, verifiable with the bundle key', async () => {
    const authority = await PkiAuthority.open(options());
    const { certificate } = await issuedFor(authority);
    const caller = verifyX509Svid(certificate, authority.trustBundles(), clock.now());
    const wit = await authority.issueWit(caller, 0);
    const witKey = (JSON.parse((await authority.getBundle()).bundleJson) as { keys: JWK[] }).keys.find(
      (key) => key.use === 'wit-svid',
    );
    expect(decodeProtectedHeader(wit.token)).toEqual({ alg: 'ES256', typ: 'wit+jwt', kid: witKey?.kid });
    const { payload } = await jwtVerify(wit.token, await importJWK(witKey ?? {}, 'ES256'), {
      typ: 'wit+jwt',
      currentDate: clock.now(),
    });
    expect(payload).toMatchObject({ iss: 'spiffe://zone-a.example', sub: workload.uri });
    // WIT-SVID §3.5: validators bound the start of validity by nbf, never by iat.
    expect(payload.nbf).toBe(Math.floor(clock.now().getTime() / 1000));
    expect(payload.iat).toBe(payload.nbf);
    expect(payload.exp).toBe(Math.floor(clock.now().getTime() / 1000) + 300);
    expect(payload.jti).toEqual(expect.any(String));
    const cnf = payload.cnf as { jwk: JWK };
    const callerKey = certificate.publicKey.export({ format: 'jwk' });
    expect(cnf.jwk).toEqual({ kty: 'EC', crv: 'P-256', x: callerKey.x, y: callerKey.y, alg: 'ES256' });
    expect(decodeJwt((await authority.issueWit(caller, 86_400)).token).exp).toBe(
      Math.floor(clock.now().getTime() / 1000) + 3600,
    );
  });

  it('refuses a WIT to a caller without an SVID', async () => {
    const authority = await PkiAuthority.open(options());
    await expect(authority.issueWit(undefined, 0)).rejects.toThrow(UnauthenticatedError);
  });

  it('signs with a rotated root and keeps the old one in the bundle until its last SVID expired', async () => {
    const authority = await PkiAuthority.open(options());
    const before = await issuedFor(authority);
    const oldRootHash = authority.getCa().activeRootHash;
    await rotateRoot({
      store: new FileCaStore(directory),
      trustDomain,
      clock,
      rootPolicy: { rootTtlSeconds: 365 * 86_400, backdateSeconds: 60 },
      retainSeconds: 7 * 86_400,
    });
    expect(await authority.reload()).toBe(true);
    expect(authority.getCa().activeRootHash).not.toBe(oldRootHash);
    expect(authority.getCa().rootCertificatePems).toHaveLength(2);
    expect((await authority.getBundle()).sequence).toBe(2);
    const after = await issuedFor(authority);
    for (const svid of [before, after]) {
      expect(() => verifyX509Svid(svid.certificate, authority.trustBundles(), clock.now())).not.toThrow();
    }
    expect(after.certificate.checkIssued(before.certificate)).toBe(false);
    // WITs follow the signing root; the retired root's wit-svid key stays with it in the bundle.
    const witKeyIds = (JSON.parse((await authority.getBundle()).bundleJson) as { keys: JWK[] }).keys
      .filter((key) => key.use === 'wit-svid')
      .map((key) => key.kid);
    const caller = verifyX509Svid(after.certificate, authority.trustBundles(), clock.now());
    const witKeyId = decodeProtectedHeader((await authority.issueWit(caller, 0)).token).kid;
    expect(witKeyIds).toHaveLength(2);
    expect(witKeyIds[0]).toBe(witKeyId);
    clock.advance(7 * dayMs + 1);
    expect(authority.getCa().rootCertificatePems).toHaveLength(1);
    expect((await authority.getBundle()).sequence).toBe(3);
    expect(await authority.reload()).toBe(false);
  });
});
