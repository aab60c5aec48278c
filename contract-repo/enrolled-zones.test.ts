import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnauthenticatedError } from '../lib/errors/accord-error.js';
import type { TrustBundleSet } from '../lib/spiffe/x509-svid.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { TemporaryDirectories } from '../test/support/temporary-directories.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import { enrolledZonesVerifier, loadEnrolledRoots, type EnrolledRoots } from './enrolled-zones.js';

const hourMs = 60 * 60 * 1000;
const directories = new TemporaryDirectories('accord-enrolled-zones');

let zoneA: TestZone;
let zoneB: TestZone;
let outsider: TestZone;
let zoneARotated: TestZone;
let rootFiles: { a: string; b: string; aRotated: string };

beforeAll(async () => {
  [zoneA, zoneB, outsider, zoneARotated] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('outsider'),
    createTestZone('zone-a-next', 'zone-a.example'),
  ]);
  const directory = await directories.make();
  rootFiles = {
    a: join(directory, 'zone-a.pem'),
    b: join(directory, 'zone-b.pem'),
    aRotated: join(directory, 'zone-a-next.pem'),
  };
  await Promise.all([
    writeFile(rootFiles.a, zoneA.rootPem),
    writeFile(rootFiles.b, zoneB.rootPem),
    writeFile(rootFiles.aRotated, zoneARotated.rootPem),
  ]);
});

afterAll(() => directories.removeAll());

async function enrolAB(): Promise<EnrolledRoots> {
  return loadEnrolledRoots([
    { trustDomain: zoneA.trustDomain, rootCaFile: rootFiles.a },
    { trustDomain: zoneB.trustDomain, rootCaFile: rootFiles.b },
  ]);
}

describe('loadEnrolledRoots', () => {
  it('keeps each zone’s roots under its own trust domain and offers all of them to TLS clients', async () => {
    const roots = await enrolAB();
    expect([...roots.bundles.keys()]).toEqual(['zone-a.example', 'zone-b.example']);
    expect(roots.bundles.get('zone-a.example')?.map((root) => root.fingerprint256)).toEqual([
      zoneA.root.fingerprint256,
    ]);
    expect(roots.bundles.get('zone-b.example')?.map((root) => root.fingerprint256)).toEqual([
      zoneB.root.fingerprint256,
    ]);
    expect(roots.clientCaPems).toEqual([zoneA.root.toString(), zoneB.root.toString()]);
  });

  it('joins two files enrolled for one trust domain (old and new root during a rotation)', async () => {
    const roots = await loadEnrolledRoots([
      { trustDomain: zoneA.trustDomain, rootCaFile: rootFiles.a },
      { trustDomain: zoneA.trustDomain, rootCaFile: rootFiles.aRotated },
    ]);
    expect(roots.bundles.get('zone-a.example')?.map((root) => root.fingerprint256)).toEqual([
      zoneA.root.fingerprint256,
      zoneARotated.root.fingerprint256,
    ]);
    expect(roots.clientCaPems).toHaveLength(2);
  });

  it('refuses a missing or malformed root file, naming the zone and the file', async () => {
    const missing = join(await directories.make(), 'absent.pem');
    const absent = loadEnrolledRoots([{ trustDomain: 'zone-b.example', rootCaFile: missing }]);
    await expect(absent).rejects.toThrow(`enrolled zone zone-b.example: cannot read roots from ${missing}: `);
    // The file system's own error stays attached for the operator (its code names the cause).
    await expect(absent).rejects.toMatchObject({ cause: { code: 'ENOENT' } });
    const malformed = join(await directories.make(), 'malformed.pem');
    await writeFile(
      malformed,
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    );
    await expect(
      loadEnrolledRoots([{ trustDomain: 'zone-b.example', rootCaFile: malformed }]),
    ).rejects.toThrow(`enrolled zone zone-b.example: cannot read roots from ${malformed}: `);
  });
});

describe('enrolledZonesVerifier', () => {
  const clock = new ManualClock(new Date());

  it('accepts each enrolled zone’s identities with the SPIFFE ID their certificate proves', async () => {
    const roots = await enrolAB();
    const verify = enrolledZonesVerifier(() => roots.bundles, clock);
    expect(verify(zoneA.operator.certificateDer).spiffeId.uri).toBe(
      'spiffe://zone-a.example/accord/operator',
    );
    expect(verify(zoneB.admin.certificateDer).spiffeId.uri).toBe('spiffe://zone-b.example/accord/admin');
  });

  // TLS accepts any certificate issued by one of the enrolled roots (they are all offered as
  // client CAs), so this check is what keeps zone A's PKI from speaking for zone B.
  it('refuses an identity of zone B issued by zone A’s root, which TLS alone would accept', async () => {
    const roots = await enrolAB();
    const verify = enrolledZonesVerifier(() => roots.bundles, clock);
    const forged = await zoneA.issueWithUri('spiffe://zone-b.example/accord/operator');
    expect(() => verify(forged.certificateDer)).toThrow(UnauthenticatedError);
    expect(() => verify(forged.certificateDer)).toThrow(
      'X509-SVID rejected: not signed by a root of trust domain zone-b.example',
    );
  });

  it('refuses a zone that is not enrolled', async () => {
    const roots = await enrolAB();
    const verify = enrolledZonesVerifier(() => roots.bundles, clock);
    const stranger = await outsider.issue('/accord/admin');
    expect(() => verify(stranger.certificateDer)).toThrow(
      'X509-SVID rejected: no trust bundle for trust domain outsider.example',
    );
  });

  it('applies reloaded roots to the next call: a zone removed from the enrolment is refused', async () => {
    let roots: TrustBundleSet = (await enrolAB()).bundles;
    const verify = enrolledZonesVerifier(() => roots, clock);
    expect(verify(zoneB.operator.certificateDer).spiffeId.trustDomain).toBe('zone-b.example');
    roots = (await loadEnrolledRoots([{ trustDomain: zoneA.trustDomain, rootCaFile: rootFiles.a }])).bundles;
    expect(() => verify(zoneB.operator.certificateDer)).toThrow(
      'X509-SVID rejected: no trust bundle for trust domain zone-b.example',
    );
  });

  it('checks the certificate’s validity at the clock’s time on every call', async () => {
    const roots = await enrolAB();
    const start = new Date();
    const clockOfCall = new ManualClock(start);
    const verify = enrolledZonesVerifier(() => roots.bundles, clockOfCall);
    const shortLived = await zoneA.issue('/accord/operator', {
      notBefore: new Date(start.getTime() - hourMs),
      notAfter: new Date(start.getTime() + hourMs),
    });
    expect(verify(shortLived.certificateDer).spiffeId.trustDomain).toBe('zone-a.example');
    clockOfCall.advance(2 * hourMs);
    expect(() => verify(shortLived.certificateDer)).toThrow(
      'X509-SVID rejected: the certificate is not within its validity period',
    );
  });
});
