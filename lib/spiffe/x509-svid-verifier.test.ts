import { createTestZone, type TestZone } from '../../test/support/test-zone.js';
import { UnauthenticatedError } from '../errors/accord-error.js';
import type { TrustBundleSet } from './x509-svid.js';
import { X509SvidVerifier } from './x509-svid-verifier.js';

const minuteMs = 60_000;

describe('X509SvidVerifier', () => {
  const now = new Date();
  let zoneA: TestZone;
  let zoneB: TestZone;
  let bundles: TrustBundleSet;

  beforeAll(async () => {
    [zoneA, zoneB] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
    bundles = new Map([
      [zoneA.trustDomain, [zoneA.root]],
      [zoneB.trustDomain, [zoneB.root]],
    ]);
  });

  it('answers a certificate it verified before with the remembered verdict', async () => {
    const verifier = new X509SvidVerifier();
    const caller = await zoneA.issue('/workload/a');
    const first = verifier.verify(caller.certificateDer, bundles, now);
    const second = verifier.verify(caller.certificateDer, bundles, new Date(now.getTime() + minuteMs));
    expect(first.spiffeId.uri).toBe('spiffe://zone-a.example/workload/a');
    expect(second).toBe(first);
  });

  it('refuses a caller whose certificate expired after a remembered success', async () => {
    const verifier = new X509SvidVerifier();
    const caller = await zoneA.issue('/workload/a', { notAfter: new Date(now.getTime() + minuteMs) });
    expect(verifier.verify(caller.certificateDer, bundles, now).spiffeId.trustDomain).toBe('zone-a.example');
    const later = new Date(now.getTime() + 2 * minuteMs);
    expect(() => verifier.verify(caller.certificateDer, bundles, later)).toThrow(UnauthenticatedError);
    expect(() => verifier.verify(caller.certificateDer, bundles, later)).toThrow(
      'X509-SVID rejected: the certificate is not within its validity period',
    );
  });

  it('refuses a caller whose issuing root expired after a remembered success', async () => {
    const shortLived = await createTestZone('zone-s', 'zone-s.example', {
      notAfter: new Date(now.getTime() + minuteMs),
    });
    const caller = await shortLived.issue('/workload/s', {
      notAfter: new Date(now.getTime() + 60 * minuteMs),
    });
    const withShortLived = new Map([[shortLived.trustDomain, [shortLived.root]]]);
    const verifier = new X509SvidVerifier();
    expect(verifier.verify(caller.certificateDer, withShortLived, now).spiffeId.trustDomain).toBe(
      'zone-s.example',
    );
    expect(() =>
      verifier.verify(caller.certificateDer, withShortLived, new Date(now.getTime() + 2 * minuteMs)),
    ).toThrow('X509-SVID rejected: the issuing root is not within its validity period');
  });

  it('refuses a caller whose zone is no longer enrolled once the roots are reloaded', async () => {
    const verifier = new X509SvidVerifier();
    const caller = await zoneA.issue('/workload/a');
    const other = await zoneB.issue('/workload/b');
    expect(verifier.verify(caller.certificateDer, bundles, now).spiffeId.trustDomain).toBe('zone-a.example');
    const reloaded: TrustBundleSet = new Map([[zoneB.trustDomain, [zoneB.root]]]);
    expect(() => verifier.verify(caller.certificateDer, reloaded, now)).toThrow(
      'X509-SVID rejected: no trust bundle for trust domain zone-a.example',
    );
    expect(verifier.verify(other.certificateDer, reloaded, now).spiffeId.trustDomain).toBe('zone-b.example');
  });

  it('refuses a caller whose root was replaced by another one once the roots are reloaded', async () => {
    const verifier = new X509SvidVerifier();
    const caller = await zoneA.issue('/workload/a');
    expect(verifier.verify(caller.certificateDer, bundles, now).spiffeId.trustDomain).toBe('zone-a.example');
    const rotated = await createTestZone('zone-a');
    const reloaded: TrustBundleSet = new Map([[zoneA.trustDomain, [rotated.root]]]);
    expect(() => verifier.verify(caller.certificateDer, reloaded, now)).toThrow(
      'X509-SVID rejected: not signed by a root of trust domain zone-a.example',
    );
  });

  it('never remembers a refusal', async () => {
    const verifier = new X509SvidVerifier();
    const caller = await zoneA.issue('/workload/a', { notBefore: new Date(now.getTime() + minuteMs) });
    expect(() => verifier.verify(caller.certificateDer, bundles, now)).toThrow(
      'not within its validity period',
    );
    const valid = new Date(now.getTime() + 2 * minuteMs);
    expect(verifier.verify(caller.certificateDer, bundles, valid).spiffeId.uri).toBe(
      'spiffe://zone-a.example/workload/a',
    );
  });

  it("reuses a verdict at its window's first and last millisecond and at neither side beyond", async () => {
    const verifier = new X509SvidVerifier();
    const caller = await zoneA.issue('/workload/edges', {
      notBefore: new Date(now.getTime() - minuteMs),
      notAfter: new Date(now.getTime() + minuteMs),
    });
    const first = verifier.verify(caller.certificateDer, bundles, now);
    expect(verifier.verify(caller.certificateDer, bundles, new Date(first.validFromMs))).toBe(first);
    expect(verifier.verify(caller.certificateDer, bundles, new Date(first.validUntilMs))).toBe(first);
    for (const outside of [first.validFromMs - 1, first.validUntilMs + 1]) {
      expect(() => verifier.verify(caller.certificateDer, bundles, new Date(outside))).toThrow(
        'X509-SVID rejected: the certificate is not within its validity period',
      );
    }
  });

  it('remembers the verdicts of several callers at once', async () => {
    const verifier = new X509SvidVerifier();
    const [first, second] = await Promise.all([zoneA.issue('/workload/one'), zoneB.issue('/workload/two')]);
    const remembered = verifier.verify(first.certificateDer, bundles, now);
    verifier.verify(second.certificateDer, bundles, now);
    expect(verifier.verify(first.certificateDer, bundles, now)).toBe(remembered);
  });

  it('forgets the oldest verdict beyond its bound', async () => {
    const verifier = new X509SvidVerifier(1);
    const first = await zoneA.issue('/workload/first');
    const second = await zoneA.issue('/workload/second');
    const remembered = verifier.verify(first.certificateDer, bundles, now);
    verifier.verify(second.certificateDer, bundles, now);
    const again = verifier.verify(first.certificateDer, bundles, now);
    expect(again).not.toBe(remembered);
    expect(again.spiffeId).toEqual(remembered.spiffeId);
  });
});
