import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { basicAuthorization } from '../../translator/basic-credentials.js';
import { repositoryRoot } from '../support/test-tools.js';
import type { LoopbackDataPlane } from './loopback-data-plane.js';
import { useLoopbackDataPlane } from './loopback-data-plane-fixture.js';
import { pollUntil } from './poll-until.js';

// Issue 15: zone A rotates its root while its frontend keeps calling zone B's API through the
// real data plane (PKIs, providers, repository, translators, Envoys on loopback). SVIDs live 6 s
// here, so zone A's workloads present certificates and WITs of the new root within seconds of a
// rotation, as they would within hours in production.
jest.setTimeout(240_000);

const alice = basicAuthorization('alice', 'wonderland');
const propagationTimeoutMs = 60_000;
const pkiMain = join(repositoryRoot, 'dist', 'pki', 'main.js');

let plane: LoopbackDataPlane;
const {
  startCallingZoneB,
  untilCallZoneB: untilStatus,
  zoneARootsAt,
} = useLoopbackDataPlane(
  {
    directoryPrefix: 'accord-root-rotation',
    plane: {
      pki: { svidTtl: '6s', clockSkew: '1s', storeReloadInterval: '1s' },
      repositoryReloadInterval: '1s',
    },
    authorization: alice,
    propagationTimeoutMs,
  },
  (started) => (plane = started),
);

const zoneARootsAtZoneB = () => zoneARootsAt(plane.zoneB);

describe('zone A rotates its root while zone A calls zone B', () => {
  it('unannounced (accord-pki rotate): cross-zone calls fail, and zone B keeps trusting only the root the contract pins', async () => {
    await plane.activateContract('before-rotation');
    await untilStatus(200);
    const oldRoot = plane.zoneA.pki.pki.authority.getCa().activeRootHash;
    expect(await zoneARootsAtZoneB()).toEqual([oldRoot]);

    const calls = startCallingZoneB();
    await promisify(execFile)(process.execPath, [
      pkiMain,
      'rotate',
      '--trust-domain',
      plane.zoneA.pki.trustDomain,
      '--store-dir',
      plane.zoneA.pki.storeDir,
    ]);
    await pollUntil(
      'zone A signs with a new root',
      () =>
        Promise.resolve(plane.zoneA.pki.pki.authority.getCa().activeRootHash === oldRoot ? undefined : true),
      propagationTimeoutMs,
    );
    await pollUntil(
      'a cross-zone call fails',
      () => Promise.resolve(calls.tally().failed.length > 0 ? true : undefined),
      propagationTimeoutMs,
      200,
    );
    const tally = await calls.stop();
    expect(tally.failed.length).toBeGreaterThan(0);
    // Nothing told zone B about the new root: only a new contract pinning it could.
    expect(await zoneARootsAtZoneB()).toEqual([oldRoot]);
  });
});
