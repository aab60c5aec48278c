import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TemporaryDirectories } from '../test/support/temporary-directories.js';
import { createTestZone, type TestSvid, type TestZone } from '../test/support/test-zone.js';
import { trustBundlePemFileName } from '../lib/bundle/bundle-file-names.js';
import { startZoneService, type ZoneService } from './zone-service.js';
import { callZoneService } from './zone-client.js';

describe('the walkthrough zone service and client', () => {
  const temporary = new TemporaryDirectories('accord-walkthrough-zone');
  let zoneA: TestZone;
  let zoneB: TestZone;
  let zoneC: TestZone;
  let caller: TestSvid;
  let service: ZoneService;
  let bundlesOfA: string;
  let bundlesOfB: string;

  beforeAll(async () => {
    [zoneA, zoneB, zoneC] = await Promise.all([
      createTestZone('zone-a'),
      createTestZone('zone-b'),
      createTestZone('zone-c'),
    ]);
    caller = await zoneA.issue('/workload/client');
    const serverSvid = await zoneB.issue('/workload/api');
    [bundlesOfA, bundlesOfB] = await Promise.all([temporary.make(), temporary.make()]);
    service = await startZoneService(
      () => ({
        trustDomain: zoneB.trustDomain,
        certificatePem: serverSvid.certificatePem,
        privateKeyPem: serverSvid.privateKeyPem,
        ownRootsPem: [zoneB.rootPem],
      }),
      bundlesOfB,
    );
  });

  afterAll(async () => {
    await service.close();
    await temporary.removeAll();
  });

  const trust = (bundleDirectory: string, zone: TestZone) =>
    writeFile(join(bundleDirectory, trustBundlePemFileName(zone.trustDomain)), zone.rootPem);
  const distrust = (bundleDirectory: string, zone: TestZone) =>
    rm(join(bundleDirectory, trustBundlePemFileName(zone.trustDomain)), { force: true });
  const call = (svid: TestSvid) =>
    callZoneService(service.port, zoneB.trustDomain, { ...svid, bundleDirectory: bundlesOfA });

  it('refuses the handshake while zone-b has no bundle for zone-a', async () => {
    await trust(bundlesOfA, zoneB);
    const outcome = await call(caller);
    expect(outcome.isAccepted).toBe(false);
    expect(outcome.detail).toMatch(/zone-b.example refused the handshake/);
  });

  it('does not send the request while zone-a has no bundle for zone-b', async () => {
    await trust(bundlesOfB, zoneA);
    await distrust(bundlesOfA, zoneB);
    const outcome = await call(caller);
    expect(outcome).toEqual({
      isAccepted: false,
      detail: expect.stringMatching(/caller does not trust zone-b.example/) as string,
    });
  });

  it('accepts once each zone has the other’s bundle, and the service sees the caller’s SPIFFE ID', async () => {
    await trust(bundlesOfA, zoneB);
    await trust(bundlesOfB, zoneA);
    await expect(call(caller)).resolves.toEqual({
      isAccepted: true,
      detail: 'zone-b.example answered: hello spiffe://zone-a.example/workload/client',
    });
  });

  it('refuses a certificate that claims zone-a but chains to zone-c’s root, although zone-c is trusted too', async () => {
    await trust(bundlesOfB, zoneC);
    const forged = await zoneC.issueWithUri('spiffe://zone-a.example/workload/client');
    const outcome = await call(forged);
    expect(outcome.isAccepted).toBe(false);
    expect(service.lastRefusal()).toMatch(/zone-a.example/);
    await expect(call(caller)).resolves.toMatchObject({ isAccepted: true });
  });

  it('refuses again on the next connection after zone-b drops zone-a’s bundle', async () => {
    await distrust(bundlesOfB, zoneA);
    await expect(call(caller)).resolves.toMatchObject({ isAccepted: false });
  });
});
