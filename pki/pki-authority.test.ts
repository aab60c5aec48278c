import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createPrivateKey, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { canonicalConsentTimestampBytes } from '../lib/contract/consent-timestamp.js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
  UnauthenticatedError,
} from '../lib/errors/accord-error.js';
import { silentLogger, type LogFields, type Logger } from '../lib/log/logger.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import { verifyX509Svid, type VerifiedSvid } from '../lib/spiffe/x509-svid.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { createCsr } from '../lib/x509/create-csr.js';
import { ecdsaP256, generateEcKeyPair } from '../lib/x509/generate-ec-key-pair.js';
import { createRoot } from './create-ca-state.js';
import { FileCaStore } from './file-ca-store.js';
import { PkiAuthority } from './pki-authority.js';
import { rotateRoot } from './rotate-root.js';
import { planPrepareRotation } from './root-rotation-plan.js';

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

/** A logger that keeps every line, to check what the PKI records about what it issued. */
function recordingLogger(): { logger: Logger; lines: { message: string; fields: LogFields | undefined }[] } {
  const lines: { message: string; fields: LogFields | undefined }[] = [];
  const record = (message: string, fields?: LogFields): void => {
    lines.push({ message, fields });
  };
  const logger: Logger = { debug: record, info: record, warn: record, error: record, child: () => logger };
  return { logger, lines };
}

/** The verified SVID a caller with `uri` presents, issued by `authority` (`ttlSeconds` 0: the default). */
async function verifiedCaller(authority: PkiAuthority, uri: string, ttlSeconds = 0): Promise<VerifiedSvid> {
  const issued = await authority.signCsr(
    parseSpiffeId(uri),
    await createCsr(await generateEcKeyPair()),
    ttlSeconds,
  );
  return verifyX509Svid(new X509Certificate(issued.certificatePem), authority.trustBundles(), clock.now());
}

describe('PkiAuthority decisions and their reasons', () => {
  it.each([
    [
      'another trust domain',
      'spiffe://zone-b.example/workload',
      'identities of trust domain zone-b.example are not issued here',
    ],
    [
      'the trust domain ID itself',
      'spiffe://zone-a.example',
      'the trust domain ID itself cannot be issued to a workload',
    ],
  ])('says why it refuses to issue for %s', async (_name, uri, message) => {
    const authority = await PkiAuthority.open(options());
    const csr = await createCsr(await generateEcKeyPair());
    await expect(authority.signCsr(parseSpiffeId(uri), csr, 0)).rejects.toThrow(message);
  });

  it('records every issued SVID with its ID, expiry and fingerprint, and the CA it loaded', async () => {
    const { logger, lines } = recordingLogger();
    const authority = await PkiAuthority.open({ ...options(), logger });
    const { issued, certificate } = await issuedFor(authority);
    expect(lines).toEqual([
      {
        message: 'zone CA loaded',
        fields: { trustDomain, activeRootHash: authority.getCa().activeRootHash, roots: 1 },
      },
      {
        message: 'SVID issued',
        fields: {
          spiffeId: workload.uri,
          notAfter: issued.notAfter.toISOString(),
          fingerprint: sha256Hex(certificate.raw),
        },
      },
    ]);
    expect(issued.rootCertificatePems).toEqual(authority.getCa().rootCertificatePems);
  });

  it('issues its own serving SVID for /accord/pki with a fresh key that matches the certificate', async () => {
    const authority = await PkiAuthority.open(options());
    const own = await authority.issueOwnSvid();
    const certificate = new X509Certificate(own.certificatePem);
    expect(certificate.subjectAltName).toBe('URI:spiffe://zone-a.example/accord/pki');
    expect(certificate.checkPrivateKey(createPrivateKey(own.privateKeyPem))).toBe(true);
    expect(own.notAfter.getTime() - clock.now().getTime()).toBe(dayMs);
  });

  it('never lets a WIT outlive the SVID it is bound to, and refuses a caller of another zone', async () => {
    const authority = await PkiAuthority.open(options());
    const shortLived = await verifiedCaller(authority, workload.uri, 60);
    const wit = await authority.issueWit(shortLived, 0);
    expect(wit.expiresAt.getTime()).toBe(Date.parse(shortLived.certificate.validTo));
    expect(decodeJwt(wit.token).exp).toBe(Math.floor(Date.parse(shortLived.certificate.validTo) / 1000));
    await expect(authority.issueWit(undefined, 0)).rejects.toThrow('IssueWIT requires a client SVID');
    const foreign = { ...shortLived, spiffeId: parseSpiffeId('spiffe://zone-b.example/workload') };
    await expect(authority.issueWit(foreign, 0)).rejects.toThrow(
      'identities of trust domain zone-b.example are not issued here',
    );
  });

  it("timestamps a designated approver's consent with the signing root at the PKI's time, and records it", async () => {
    const { logger, lines } = recordingLogger();
    const authority = await PkiAuthority.open({ ...options(), logger });
    const approver = await verifiedCaller(authority, 'spiffe://zone-a.example/accord/admin');
    const signatureSha256 = new Uint8Array(32).fill(7);
    clock.advance(1234);
    const timestamp = await authority.timestampConsent(approver, signatureSha256);
    expect(timestamp.time).toEqual(clock.now());
    const [rootPem] = authority.getCa().rootCertificatePems;
    const rootKey = new X509Certificate(rootPem ?? '').publicKey;
    const bytes = canonicalConsentTimestampBytes(trustDomain, signatureSha256, timestamp.time);
    expect(verify('sha256', bytes, { key: rootKey, dsaEncoding: 'ieee-p1363' }, timestamp.signature)).toBe(
      true,
    );
    expect(lines.at(-1)).toEqual({
      message: 'consent timestamped',
      fields: {
        spiffeId: 'spiffe://zone-a.example/accord/admin',
        signatureSha256: '07'.repeat(32),
        time: clock.now().toISOString(),
      },
    });
  });

  it('refuses to timestamp for a workload, a caller of another zone or a caller without an SVID', async () => {
    const authority = await PkiAuthority.open(options());
    const signatureSha256 = new Uint8Array(32);
    const app = await verifiedCaller(authority, 'spiffe://zone-a.example/demo/web');
    const refusal = authority.timestampConsent(app, signatureSha256);
    await expect(refusal).rejects.toThrow(PermissionDeniedError);
    await expect(refusal).rejects.toThrow(
      'spiffe://zone-a.example/demo/web is not a designated approver of zone-a.example (only spiffe://zone-a.example/accord/admin, spiffe://zone-a.example/accord/operator): it has no consent to timestamp',
    );
    const foreign = { ...app, spiffeId: parseSpiffeId('spiffe://zone-b.example/accord/admin') };
    await expect(authority.timestampConsent(foreign, signatureSha256)).rejects.toThrow(
      'identities of trust domain zone-b.example are not issued here',
    );
    await expect(authority.timestampConsent(undefined, signatureSha256)).rejects.toThrow(
      'TimestampConsent requires a client SVID',
    );
  });

  it('offers a prepared root to clients beside the signing root, never signing with it, and logs the change', async () => {
    const { logger, lines } = recordingLogger();
    const authority = await PkiAuthority.open({ ...options(), logger });
    expect(authority.clock).toBe(clock);
    const signingRootPem = authority.getCa().rootCertificatePems[0];
    const prepared = await createRoot(trustDomain, clock.now(), options().rootPolicy);
    await authority.changeState((current, now) => ({
      state: planPrepareRotation(current, prepared, now),
      result: undefined,
    }));
    const fingerprints = [signingRootPem ?? '', prepared.certificatePem].map(
      (pem) => new X509Certificate(pem).fingerprint256,
    );
    expect(
      authority.getCa().rootCertificatePems.map((pem) => new X509Certificate(pem).fingerprint256),
    ).toEqual(fingerprints);
    expect(
      authority
        .trustBundles()
        .get(trustDomain)
        ?.map((root) => root.fingerprint256),
    ).toEqual(fingerprints);
    expect(authority.getCa().activeRootHash).toBe(sha256Hex(new X509Certificate(signingRootPem ?? '').raw));
    expect(lines.at(-1)).toEqual({
      message: 'zone CA changed',
      fields: {
        version: authority.state.version,
        activeRootHash: authority.getCa().activeRootHash,
        hasNextRoot: true,
      },
    });
    // Another replica reads the same store: it logs the reload, with the prepared root.
    const { logger: replicaLogger, lines: replicaLines } = recordingLogger();
    const replica = await PkiAuthority.open({ ...options(), logger: replicaLogger });
    await authority.changeState((current) => ({
      state: { ...current, version: current.version + 1 },
      result: undefined,
    }));
    expect(await replica.reload()).toBe(true);
    expect(replicaLines.at(-1)).toEqual({
      message: 'zone CA reloaded',
      fields: {
        version: authority.state.version,
        activeRootHash: authority.getCa().activeRootHash,
        hasNextRoot: true,
      },
    });
  });

  it('changes its state through the store, serves it at once and tells its listeners', async () => {
    const { logger, lines } = recordingLogger();
    const authority = await PkiAuthority.open({ ...options(), logger });
    const heard: number[] = [];
    authority.onChange(() => {
      heard.push(authority.state.version);
      return Promise.resolve();
    });
    const version = authority.state.version;
    clock.advance(5000);
    const seen = await authority.changeState((current, now) => ({
      state: { ...current, version: current.version + 1 },
      result: { version: current.version, now },
    }));
    expect(seen).toEqual({ version, now: clock.now() });
    expect(authority.state.version).toBe(version + 1);
    expect(heard).toEqual([version + 1]);
    expect(lines.at(-1)).toEqual({
      message: 'zone CA changed',
      fields: { version: version + 1, activeRootHash: authority.getCa().activeRootHash, hasNextRoot: false },
    });
    expect((await new FileCaStore(directory).load())?.version).toBe(version + 1);
    expect(await authority.reload()).toBe(false);
    expect(heard).toHaveLength(1);
  });

  it('refuses to change a state that vanished from its store', async () => {
    const authority = await PkiAuthority.open(options());
    await rm(join(directory, 'ca-state.json'));
    const change = authority.changeState((current) => ({ state: current, result: undefined }));
    await expect(change).rejects.toThrow(FailedPreconditionError);
    await expect(change).rejects.toThrow('the CA state has vanished from its store');
    expect(await authority.reload()).toBe(false);
  });
});
