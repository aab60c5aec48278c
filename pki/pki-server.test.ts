import { participantRootChain } from '../lib/contract/participant-roots.js';
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { parseConfig } from '../lib/config/load-config.js';
import { consentTimestampFromProto } from '../lib/contract/contract-codec.js';
import { verifyConsentTimestamp } from '../lib/contract/consent-timestamp.js';
import { validateProposal } from '../lib/contract/validate-proposal.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { createGrpcClient } from '../lib/grpc/grpc-client.js';
import { AccordError } from '../lib/errors/accord-error.js';
import { SvidSource } from '../lib/identity/svid-source.js';
import { ManualTimers } from '../test/support/manual-timers.js';
import { silentLogger } from '../lib/log/logger.js';
import { systemClock } from '../lib/time/clock.js';
import { createCsr } from '../lib/x509/create-csr.js';
import { generateEcKeyPair } from '../lib/x509/generate-ec-key-pair.js';
import { PkiService } from '../proto/gen/accord/pki/v1/pki_pb.js';
import { pkiConfigSchema } from './pki-config.js';
import { rootsFileName, startPkiServer, type RunningPki } from './pki-server.js';

const run = promisify(execFile);
const token = 'bootstrap-secret-for-tests';
const adminToken = 'admin-bootstrap-secret-for-tests';
const sha256Der = (pem: string) => sha256Hex(new X509Certificate(pem).raw);

async function startZone(trustDomain: string, directory: string): Promise<RunningPki> {
  // As `echo` writes it into a Secret: the PKI hashes the token without the newline, as clients send it.
  const tokenFile = join(directory, `${trustDomain}.token`);
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const adminTokenFile = join(directory, `${trustDomain}.admin-token`);
  await writeFile(adminTokenFile, adminToken, { mode: 0o600 });
  const config = parseConfig(pkiConfigSchema, {
    trustDomain,
    storeDir: join(directory, trustDomain),
    listen: { port: 0 },
    ops: { port: 0 },
    bootstrapTokens: [
      { tokenFile, spiffePath: '/demo/web' },
      { tokenFile: adminTokenFile, spiffePath: '/accord/admin' },
    ],
  });
  return startPkiServer(config, { clock: systemClock, logger: silentLogger, registry: new Registry() });
}

let directory: string;
let zoneA: RunningPki;
let zoneB: RunningPki;
let rootsA: string;
let rootsB: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-pki-server-'));
  [zoneA, zoneB] = await Promise.all([
    startZone('zone-a.example', directory),
    startZone('zone-b.example', directory),
  ]);
  rootsA = await readFile(join(directory, 'zone-a.example', rootsFileName), 'utf8');
  rootsB = await readFile(join(directory, 'zone-b.example', rootsFileName), 'utf8');
});

afterAll(async () => {
  await Promise.all([zoneA.close(), zoneB.close()]);
  await rm(directory, { recursive: true, force: true });
});

function source(zone: RunningPki, roots: string, bootstrapToken: string, timers = new ManualTimers()) {
  return new SvidSource({
    pkiAddress: `127.0.0.1:${zone.grpcPort}`,
    pkiRootsPem: [roots],
    bootstrapToken,
    expectedPkiId: `spiffe://${zone.authority.trustDomain}/accord/pki`,
    clock: systemClock,
    timers,
    logger: silentLogger,
  });
}

describe('the zone PKI on loopback', () => {
  it('issues an SVID for a bootstrap token that openssl verifies against the root, with the X509-SVID extensions', async () => {
    const svids = source(zoneA, rootsA, token);
    const svid = await svids.start();
    svids.stop();
    expect(svid.spiffeId).toBe('spiffe://zone-a.example/demo/web');
    await writeFile(join(directory, 'root.pem'), rootsA);
    await writeFile(join(directory, 'svid.pem'), svid.certificatePem);
    const verified = await run('/usr/bin/openssl', [
      'verify',
      '-CAfile',
      join(directory, 'root.pem'),
      '-purpose',
      'sslclient',
      join(directory, 'svid.pem'),
    ]);
    expect(verified.stdout).toContain(': OK');
    const { stdout: text } = await run('/usr/bin/openssl', [
      'x509',
      '-in',
      join(directory, 'svid.pem'),
      '-noout',
      '-text',
    ]);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(
      /X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/,
    );
    expect(text).toMatch(/X509v3 Subject Alternative Name:\s+URI:spiffe:\/\/zone-a\.example\/demo\/web\n/);
  });

  it('renews with the current SVID over mTLS and keeps the same SPIFFE ID', async () => {
    const timers = new ManualTimers();
    const svids = source(zoneA, rootsA, token, timers);
    const first = await svids.start();
    const renewed = new Promise((resolve) => svids.onUpdate(resolve));
    timers.fire(() => true);
    await renewed;
    svids.stop();
    const second = svids.current();
    expect(second.spiffeId).toBe(first.spiffeId);
    expect(second.certificatePem).not.toBe(first.certificatePem);
    expect(new X509Certificate(second.certificatePem).checkPrivateKey(second.privateKey)).toBe(true);
  });

  it('answers a bad bootstrap token with UNAUTHENTICATED and no certificate', async () => {
    const svids = source(zoneA, rootsA, 'wrong-token');
    await expect(svids.start()).rejects.toMatchObject({ kind: 'Unauthenticated' });
  });

  it('refuses a renewal presented with another zone SVID, while that zone renews fine at home', async () => {
    const rootsB = await readFile(join(directory, 'zone-b.example', rootsFileName), 'utf8');
    const zoneBSource = source(zoneB, rootsB, token);
    const svidB = await zoneBSource.start();
    zoneBSource.stop();
    const client = createGrpcClient(PkiService, `127.0.0.1:${zoneA.grpcPort}`, {
      caPems: [rootsA],
      certificatePem: svidB.certificatePem,
      privateKeyPem: svidB.privateKeyPem,
    });
    const csr = await createCsr(await generateEcKeyPair());
    try {
      const attempt = client.signCSR({ csr });
      await expect(attempt).rejects.toBeInstanceOf(AccordError);
      await expect(attempt).rejects.toMatchObject({ kind: 'Unauthenticated' });
    } finally {
      client.close();
    }
    const home = createGrpcClient(PkiService, `127.0.0.1:${zoneB.grpcPort}`, {
      caPems: [rootsB],
      certificatePem: svidB.certificatePem,
      privateKeyPem: svidB.privateKeyPem,
    });
    try {
      expect((await home.signCSR({ csr })).spiffeId).toBe('spiffe://zone-b.example/demo/web');
    } finally {
      home.close();
    }
  });

  it('issues a WIT to an SVID-authenticated caller and refuses one to a token-only caller', async () => {
    const svids = source(zoneA, rootsA, token);
    const svid = await svids.start();
    svids.stop();
    const client = createGrpcClient(PkiService, `127.0.0.1:${zoneA.grpcPort}`, {
      caPems: [rootsA],
      certificatePem: svid.certificatePem,
      privateKeyPem: svid.privateKeyPem,
    });
    const anonymous = createGrpcClient(
      PkiService,
      `127.0.0.1:${zoneA.grpcPort}`,
      { caPems: [rootsA] },
      { bearerToken: token },
    );
    try {
      const { token: wit } = await client.issueWIT({});
      expect(decodeProtectedHeader(wit)).toMatchObject({ typ: 'wit+jwt', alg: 'ES256' });
      expect(decodeJwt(wit)).toMatchObject({ sub: svid.spiffeId, iss: 'spiffe://zone-a.example' });
      await expect(anonymous.issueWIT({})).rejects.toMatchObject({ kind: 'Unauthenticated' });
      const bundle = await anonymous.getBundle({});
      expect(bundle.trustDomain).toBe('zone-a.example');
      expect((await anonymous.getCA({})).rootCertificates).toEqual([rootsA.trim()]);
    } finally {
      client.close();
      anonymous.close();
    }
  });

  it("timestamps a designated approver's consent signature with the zone root, and refuses a workload", async () => {
    const clientOf = async (bootstrapToken: string) => {
      const svids = source(zoneA, rootsA, bootstrapToken);
      const svid = await svids.start();
      svids.stop();
      return createGrpcClient(PkiService, `127.0.0.1:${zoneA.grpcPort}`, {
        caPems: [rootsA],
        certificatePem: svid.certificatePem,
        privateKeyPem: svid.privateKeyPem,
      });
    };
    const [admin, workload] = await Promise.all([clientOf(adminToken), clientOf(token)]);
    try {
      const signatureSha256 = new Uint8Array(createHash('sha256').update('a consent signature').digest());
      const before = Date.now();
      const timestamp = consentTimestampFromProto(
        await admin.timestampConsent({ signatureSha256 }),
        'response',
      );
      expect(timestamp.time.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(timestamp.time.getTime()).toBeLessThanOrEqual(Date.now());
      const { participants } = validateProposal({
        id: 'ab',
        participants: [
          { name: 'zone-a', trustDomain: 'zone-a.example', publicKey: rootsA, hash: sha256Der(rootsA) },
          { name: 'zone-b', trustDomain: 'zone-b.example', publicKey: rootsB, hash: sha256Der(rootsB) },
        ],
      });
      const [participant] = participants;
      if (participant === undefined) throw new Error('no participant');
      const chain = participantRootChain(
        { id: 'ab', participants, createdAt: new Date(), rootRotations: [], rootRevocations: [] },
        participant,
      );
      const consentSignature = new Uint8Array(Buffer.from('a consent signature'));
      expect(verifyConsentTimestamp(chain, consentSignature, timestamp, 'approval')).toEqual({
        time: timestamp.time,
        roots: [participant],
      });
      await expect(workload.timestampConsent({ signatureSha256 })).rejects.toMatchObject({
        kind: 'PermissionDenied',
        message:
          'spiffe://zone-a.example/demo/web is not a designated approver of zone-a.example (only spiffe://zone-a.example/accord/admin, spiffe://zone-a.example/accord/operator): it has no consent to timestamp',
      });
      await expect(admin.timestampConsent({ signatureSha256: new Uint8Array(31) })).rejects.toMatchObject({
        kind: 'InvalidArgument',
        message: 'signature_sha256: must be 32 bytes',
      });
    } finally {
      admin.close();
      workload.close();
    }
  });

  it('keeps the current SVID and backs off with growing delays while the PKI is down', async () => {
    const zoneC = await startZone('zone-c.example', directory);
    const rootsC = await readFile(join(directory, 'zone-c.example', rootsFileName), 'utf8');
    const timers = new ManualTimers();
    const svids = source(zoneC, rootsC, token, timers);
    const first = await svids.start();
    await zoneC.close();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      timers.fire(() => true);
      await waitFor(() => timers.delays().length > 0);
      delays.push(timers.delays()[0] ?? -1);
    }
    svids.stop();
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(svids.current()).toBe(first);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
