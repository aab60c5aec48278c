import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalRootAnnouncementBytes } from '../lib/contract/canonical-root-statements.js';
import {
  isSignedByRoot,
  verifyRootActivation,
  verifyRootRevocation,
} from '../lib/contract/root-statement-signature.js';
import { silentLogger } from '../lib/log/logger.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { FileCaStore } from './file-ca-store.js';
import { PkiAuthority } from './pki-authority.js';
import { rotationPolicy } from './root-rotation-plan.js';
import { ZoneRootRotation } from './zone-root-rotation.js';

const trustDomain = 'zone-a.example';
const admin = parseSpiffeId('spiffe://zone-a.example/accord/admin');
const workload = parseSpiffeId('spiffe://zone-a.example/ns/shop/sa/web');
// SVIDs live at most 60 s and replicas reload every 5 s: a replaced root stays 65 s, a prepared
// root may sign after 5 s + 2/3 of 60 s = 45 s.
const policy = rotationPolicy({ svidMaxTtlSeconds: 60, storeReloadIntervalSeconds: 5 });

let directory: string;
let clock: ManualClock;
let authority: PkiAuthority;
let rotation: ZoneRootRotation;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-pki-rotation-'));
  clock = new ManualClock(new Date('2026-12-06T00:00:00.000Z'));
  const rootPolicy = { rootTtlSeconds: 365 * 86_400, backdateSeconds: 60 };
  authority = await PkiAuthority.open({
    store: new FileCaStore(directory),
    trustDomain,
    clock,
    svidLifetime: { defaultTtlSeconds: 60, maxTtlSeconds: 60, backdateSeconds: 0 },
    witLifetime: { defaultTtlSeconds: 60, maxTtlSeconds: 60 },
    rootPolicy,
    bundleRefreshHintSeconds: 5,
    logger: silentLogger,
  });
  rotation = new ZoneRootRotation(authority, rootPolicy, policy);
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const roots = () =>
  authority.getCa().rootCertificatePems.map((pem) => sha256Hex(new X509Certificate(pem).raw));

describe('ZoneRootRotation', () => {
  it('prepares a next root that is in the bundle but signs nothing, and keeps it on a retry', async () => {
    const signing = authority.getCa().activeRootHash;
    const next = await rotation.prepare(admin);
    expect(next).toMatchObject({ sequence: 1, activatableAt: new Date('2026-12-06T00:00:45.000Z') });
    expect(authority.getCa().activeRootHash).toBe(signing);
    expect(roots()).toEqual([signing, next.sha256]);
    expect((await rotation.prepare(admin)).sha256).toBe(next.sha256);
  });

  it('signs each announcement with the key of the root it replaces, for the contract it names', async () => {
    const signing = authority.getCa().activeRootHash;
    const next = await rotation.prepare(admin);
    const [announcement] = rotation.signAnnouncements(admin, [
      { contractId: 'ab', contractTermsSha256: 'a'.repeat(64), previousRootSha256: signing },
    ]);
    expect(announcement).toMatchObject({
      contractId: 'ab',
      trustDomain,
      sequence: 1,
      rootSha256: next.sha256,
    });
    const previousRoot = new X509Certificate(authority.getCa().rootCertificatePems[0] ?? '');
    expect(
      isSignedByRoot(
        previousRoot,
        canonicalRootAnnouncementBytes(announcement ?? (undefined as never)),
        announcement?.previousRootSignature ?? new Uint8Array(),
      ),
    ).toBe(true);
  });

  it('refuses to vouch with a root it does not hold', async () => {
    await rotation.prepare(admin);
    expect(() =>
      rotation.signAnnouncements(admin, [
        { contractId: 'ab', contractTermsSha256: 'a'.repeat(64), previousRootSha256: 'b'.repeat(64) },
      ]),
    ).toThrow(`contract ab: root ${'b'.repeat(64)} is not a root this PKI holds`);
  });

  it('refuses every rotation operation to a workload that is not a designated approver', async () => {
    await expect(rotation.prepare(workload)).rejects.toThrow(
      'spiffe://zone-a.example/ns/shop/sa/web may not prepare a root rotation',
    );
    expect(() => rotation.signAnnouncements(workload, [])).toThrow('may not announce a root rotation');
    expect(() => rotation.activate(workload)).toThrow('may not activate a root rotation');
  });

  it('activates only once in-zone clients can know the new root, then retires the old one after its last SVID', async () => {
    const previous = authority.getCa().activeRootHash;
    const next = await rotation.prepare(admin);
    clock.advance(44_999);
    await expect(rotation.activate(admin)).rejects.toThrow(
      'the prepared root may sign from 2026-12-06T00:00:45.000Z',
    );
    clock.advance(1);
    const activation = await rotation.activate(admin);
    expect(authority.getCa().activeRootHash).toBe(next.sha256);
    expect(roots()).toEqual([next.sha256, previous]);
    expect(activation).toMatchObject({
      trustDomain,
      sequence: 1,
      previousRootSha256: previous,
      rootSha256: next.sha256,
      previousRootRetireAfter: new Date('2026-12-06T00:01:50.000Z'),
    });
    verifyRootActivation(activation, new X509Certificate(next.certificatePem));
    expect(rotation.view(clock.now()).retiring.map((root) => root.sha256)).toEqual([previous]);
    clock.advance(65_000);
    expect(rotation.view(clock.now()).retiring).toEqual([]);
  });

  it('cancels a prepared root with a revocation its own key signed, and drops it from the bundle', async () => {
    const signing = authority.getCa().activeRootHash;
    const next = await rotation.prepare(admin);
    const revocation = await rotation.cancel(admin, 'wrong validity');
    verifyRootRevocation(revocation, new X509Certificate(next.certificatePem));
    expect(roots()).toEqual([signing]);
    expect(rotation.view(clock.now()).revocations).toEqual([revocation]);
  });

  it('in an emergency, signs with a fresh root at once and revokes every root it held, each by its own key', async () => {
    const compromised = authority.getCa().activeRootHash;
    const compromisedPem = authority.getCa().rootCertificatePems[0] ?? '';
    const { signing, revocations } = await rotation.emergency(admin, 'root key leaked');
    expect(authority.getCa().activeRootHash).toBe(signing.sha256);
    expect(roots()).toEqual([signing.sha256]);
    expect(revocations.map((revocation) => revocation.rootSha256)).toEqual([compromised]);
    verifyRootRevocation(revocations[0] ?? (undefined as never), new X509Certificate(compromisedPem));
  });
});
