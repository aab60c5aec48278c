import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  activatePreparedRoot,
  announcePreparedRoot,
  emergencyRotateRoot,
  type RotationParties,
} from '../../lib/contract/announced-rotation.js';
import { signRevocation } from '../../lib/contract/revocation-signature.js';
import { FailedPreconditionError } from '../../lib/errors/accord-error.js';
import { silentLogger } from '../../lib/log/logger.js';
import { pemToDerList } from '../../lib/x509/pem.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { basicAuthorization } from '../../translator/basic-credentials.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { ContinuousCalls } from './continuous-calls.js';
import { startLoopbackDataPlane, type LoopbackDataPlane } from './loopback-data-plane.js';
import { pollUntil } from './poll-until.js';

// Issue 15: zone A rotates its root the announced way (prepare, announce in every contract,
// activate once every partner acknowledged) while its frontend keeps calling zone B's API through
// the real data plane (PKIs, providers, repository, translators, Envoys on loopback). SVIDs live
// at most 6 s, so the prepared root may sign 5 s after it was prepared and the replaced root
// retires 7 s after the activation (docs/root-rotation.md): the whole rotation takes seconds.
jest.setTimeout(240_000);

const alice = basicAuthorization('alice', 'wonderland');
const propagationTimeoutMs = 60_000;

const directories = new TemporaryDirectories('accord-announced-rotation');
let plane: LoopbackDataPlane;

beforeAll(async () => {
  plane = await startLoopbackDataPlane(await directories.make(), silentLogger, {
    pki: { svidTtl: '6s', svidMaxTtl: '6s', clockSkew: '1s', storeReloadInterval: '1s' },
    repositoryReloadInterval: '1s',
  });
}, 120_000);

afterAll(async () => {
  await plane.close();
  await directories.removeAll();
}, 60_000);

/** SHA-256 fingerprints of the roots zone B's provider installed for zone A (its PEM file for Envoy). */
async function zoneARootsAtZoneB(): Promise<string[]> {
  const pem = await readFile(join(plane.zoneB.bundleDirectory, `${plane.zoneA.pki.trustDomain}.pem`), 'utf8');
  return pemToDerList(pem)
    .map((der) => sha256Hex(der))
    .sort();
}

const zoneAParties = (): RotationParties => ({
  trustDomain: plane.zoneA.pki.trustDomain,
  pki: plane.zoneA.admin.rootRotation,
  repository: plane.zoneA.admin.repository,
});

describe('zone A announces its next root while zone A calls zone B', () => {
  it('loses no cross-zone call: zone B trusts both roots during the overlap, then only the new one', async () => {
    await plane.activateContract('announced');
    await pollUntil(
      'a call to zone B answered 200',
      async () => ((await plane.callZoneB(alice)).status === 200 ? true : undefined),
      propagationTimeoutMs,
      200,
    );
    const oldRoot = plane.zoneA.pki.pki.authority.getCa().activeRootHash;
    expect(await zoneARootsAtZoneB()).toEqual([oldRoot]);

    const calls = new ContinuousCalls(() => plane.callZoneB(alice), 200, {
      maxCalls: 20_000,
      maxDurationMs: 180_000,
      pauseMs: 20,
    });
    calls.start();
    const next = await plane.zoneA.admin.rootRotation.prepare();
    expect(await announcePreparedRoot(zoneAParties(), await plane.zoneA.admin.signer())).toEqual([
      'announced',
    ]);
    const overlap = [oldRoot, next.sha256].sort();
    await pollUntil(
      "zone B installed zone A's announced root next to the old one",
      async () => ((await zoneARootsAtZoneB()).join() === overlap.join() ? true : undefined),
      propagationTimeoutMs,
    );

    // Refused until zone B acknowledged and in-zone clients can know the new root; then it signs.
    const activation = await pollUntil(
      'the prepared root activated',
      async () => {
        try {
          return await activatePreparedRoot(zoneAParties(), false);
        } catch (error) {
          if (error instanceof FailedPreconditionError) return undefined;
          throw error;
        }
      },
      propagationTimeoutMs,
      200,
    );
    expect(activation.rootSha256).toBe(next.sha256);
    expect(plane.zoneA.pki.pki.authority.getCa().activeRootHash).toBe(next.sha256);

    await pollUntil(
      'zone B dropped the replaced root after its last certificate expired',
      async () => ((await zoneARootsAtZoneB()).join() === next.sha256 ? true : undefined),
      propagationTimeoutMs,
    );
    // A few SVID lifetimes on the new root alone.
    const succeededBefore = calls.tally().succeeded;
    await pollUntil(
      'more calls succeeded on the new root alone',
      () => Promise.resolve(calls.tally().succeeded >= succeededBefore + 20 ? true : undefined),
      propagationTimeoutMs,
      200,
    );
    const tally = await calls.stop();
    expect(tally.failed).toEqual([]);
    expect(tally.succeeded).toBeGreaterThan(20);

    // Zone A's consent now chains to its new root (an admin SVID it issued, a timestamp it signed):
    // its revocation of the contract counts at the repository and at zone B's provider
    // (docs/threat-model.md T3), which drops zone A's bundle.
    const reason = 'zone A leaves after its rotation';
    const contract = await plane.zoneA.admin.repository.get('announced');
    const signed = await signRevocation(
      contract,
      plane.zoneA.pki.name,
      reason,
      await plane.zoneA.admin.signer(),
      new Date(),
    );
    expect((await plane.zoneA.admin.repository.revoke('announced', reason, signed)).state).toBe('revoked');
    await pollUntil(
      "zone B dropped zone A's bundle after zone A's revocation",
      () =>
        zoneARootsAtZoneB().then(
          () => undefined,
          () => true,
        ),
      propagationTimeoutMs,
    );
  });

  it('emergency: zone B drops every root of zone A at once and cross-zone calls stop', async () => {
    await plane.activateContract('emergency');
    await pollUntil(
      'a call to zone B answered 200',
      async () => ((await plane.callZoneB(alice)).status === 200 ? true : undefined),
      propagationTimeoutMs,
      200,
    );
    const { rootSha256, contractIds } = await emergencyRotateRoot(zoneAParties(), 'root key leaked');
    const revokedAtMs = performance.now();
    expect(contractIds).toContain('emergency');
    expect(plane.zoneA.pki.pki.authority.getCa().activeRootHash).toBe(rootSha256);
    await pollUntil(
      "zone B dropped zone A's bundle",
      () =>
        zoneARootsAtZoneB().then(
          () => undefined,
          () => true,
        ),
      5_000,
      10,
    );
    // Generous on a shared machine; docs/root-rotation.md reports the loopback figure.
    expect(performance.now() - revokedAtMs).toBeLessThan(5_000);
    expect((await plane.callZoneB(alice)).status).not.toBe(200);
  });
});
