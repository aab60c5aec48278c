import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  announcePreparedRoot,
  emergencyRotateRoot,
  type RotationParties,
} from '../../lib/contract/announced-rotation.js';
import { silentLogger } from '../../lib/log/logger.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { pemToDerList } from '../../lib/x509/pem.js';
import { startZonePki } from '../../demo/loopback-zone-pki.js';
import type { ParticipantRootsStatus } from '../../operator/trust-contract/trust-contract-crd.js';
import { caStateSecretKey } from '../../pki/kube-secret-ca-store.js';
import { accordNamespace, conditionsOf, type MeshZone } from './mesh-zone.js';
import { pkiCaSecretName, untilMutualTrust, type TwoClusterMesh } from './two-cluster-mesh.js';
import { useTwoClusterMesh } from './two-cluster-mesh-fixture.js';
import { tryActivatePreparedRoot } from './try-activate-prepared-root.js';

// Issue 15 on the Kubernetes path: two API servers, each zone's PKI keeping its CA state in a
// Secret of its own cluster, providers writing bundle Secrets, operator replicas (child processes
// of dist/operator/main.js) mirroring every participant's roots into TrustContract status. Zone A
// rotates its root the announced way; at every step both clusters' status shows zone A's current
// and next roots, and zone B's bundle Secret for zone A holds the old root, then both, then only
// the new one. SVIDs live at most 6 s, so the whole rotation takes seconds
// (docs/root-rotation.md, "On Kubernetes").
jest.setTimeout(300_000);

const contractId = 'rotating';
const deadlineMs = 60_000;

let mesh: TwoClusterMesh;
let a: MeshZone;
let b: MeshZone;
const { waitFor } = useTwoClusterMesh(
  {
    directoryPrefix: 'accord-two-cluster-rotation',
    mesh: {
      operatorReplicas: 1,
      operatorResyncIntervalMs: 1000,
      pki: { svidTtl: '6s', svidMaxTtl: '6s', clockSkew: '1s', storeReloadInterval: '1s' },
      repositoryReloadInterval: '1s',
    },
    deadlineMs,
    pollIntervalMs: 100,
  },
  (started) => {
    mesh = started;
    [a, b] = started.zones;
  },
);

function fingerprints(pem: string | undefined): string[] {
  return pemToDerList(pem ?? '')
    .map((der) => sha256Hex(der))
    .sort();
}

/** Fingerprints of zone A's roots in zone B's bundle Secret for zone A. */
async function zoneARootsInZoneB(): Promise<string[]> {
  return fingerprints(await b.partnerBundlePem(a));
}

/** Zone B's provider's `accord_provider_zones_in_root_overlap`, read from its `/metrics`. */
async function zonesInRootOverlapAtB(): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${String(b.provider.opsPort)}/metrics`)).text();
  const match = /^accord_provider_zones_in_root_overlap (\d+)$/m.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Waits until zone B's provider reports `expected` partner zones in a root overlap. */
async function untilZonesInRootOverlapAtB(expected: number): Promise<void> {
  await waitFor(`zone B's provider reports ${String(expected)} zones in a root overlap`, async () =>
    (await zonesInRootOverlapAtB()) === expected ? true : undefined,
  );
}

/** Zone A's entry of `status.participants` in `zone`'s TrustContract. */
async function zoneAStatusIn(zone: MeshZone): Promise<ParticipantRootsStatus | undefined> {
  return (await zone.trustContract(contractId))?.status?.participants?.find(({ name }) => name === 'zone-a');
}

/** A one-line summary of a participant's roots, the way the test compares them. */
function rolesOf(status: ParticipantRootsStatus | undefined): string {
  if (status === undefined) return 'none';
  const role = (label: string, root: ParticipantRootsStatus['currentRoot']) =>
    root === undefined ? [] : [`${label}=${root.sha256.slice(0, 12)}`];
  return [
    status.phase,
    ...role('current', status.currentRoot),
    ...role('next', status.nextRoot),
    ...role('previous', status.previousRoot),
  ].join(' ');
}

/** Waits until both clusters' status shows zone A's roots as `expected` (see `rolesOf`); returns both entries. */
async function untilZoneAShownInBoth(expected: string): Promise<ParticipantRootsStatus[]> {
  return Promise.all(
    [a, b].map((zone) =>
      waitFor(`${zone.name}'s status of ${contractId} shows zone A as "${expected}"`, async () => {
        const status = await zoneAStatusIn(zone);
        return rolesOf(status) === expected ? status : undefined;
      }),
    ),
  );
}

const zoneAParties = (): RotationParties => ({
  trustDomain: a.trustDomain,
  pki: a.rootRotation,
  repository: a.repository,
});

const short = (sha256: string) => sha256.slice(0, 12);

describe("zone A rotates its root across two clusters, its PKI's CA in a Secret", () => {
  let oldRoot: string;
  let nextRoot: string;

  it('shows both participants with their pinned root once the contract is active in both clusters', async () => {
    await a.apply(mesh.manifest(contractId, a));
    await b.apply(mesh.manifest(contractId, b));
    await untilMutualTrust(mesh, true, deadlineMs);
    [oldRoot] = fingerprints(a.rootPem) as [string];
    for (const zone of [a, b]) {
      const resource = await waitFor(`${zone.name}: ${contractId} Active`, async () => {
        const found = await zone.trustContract(contractId);
        return conditionsOf(found).Active === 'True ApprovedByAllParticipants' &&
          found?.status?.participants !== undefined
          ? found
          : undefined;
      });
      expect(resource.status?.rotatingParticipants).toBe(0);
      expect(resource.status?.participants?.map(rolesOf)).toEqual([
        `Stable current=${short(oldRoot)}`,
        `Stable current=${short(fingerprints(b.rootPem)[0] ?? '')}`,
      ]);
    }
    expect(await zoneARootsInZoneB()).toEqual([oldRoot]);
    expect(await zonesInRootOverlapAtB()).toBe(0);
  });

  it('keeps the prepared root in the Secret: a PKI started from nothing but the Secret has it', async () => {
    const prepared = await a.rootRotation.prepare();
    nextRoot = prepared.sha256;
    const stored = JSON.parse(
      (await a.readSecretKey(accordNamespace, pkiCaSecretName, caStateSecretKey)) ?? '{}',
    ) as { nextRoot?: { certificatePem: string; preparedAt: string } };
    expect(fingerprints(stored.nextRoot?.certificatePem)).toEqual([nextRoot]);

    // A replacement pod: a fresh store directory, the same Secret, its own port.
    const restarted = await startZonePki({
      directory: join(mesh.directory, 'restarted'),
      name: a.name,
      trustDomain: a.trustDomain,
      spiffePaths: [],
      logger: silentLogger,
      caSecret: { namespace: accordNamespace, name: pkiCaSecretName, kubeconfig: a.cluster.adminKubeconfig },
    });
    try {
      const state = restarted.pki.authority.state;
      expect(fingerprints(state.nextRoot?.certificatePem)).toEqual([nextRoot]);
      expect(state.nextRoot?.preparedAt).toBe(stored.nextRoot?.preparedAt);
      // It signs with the old root and publishes both to its clients, as the first PKI does.
      expect(restarted.pki.authority.getCa().activeRootHash).toBe(oldRoot);
      expect(fingerprints(await readFile(restarted.rootsFile, 'utf8'))).toEqual([oldRoot, nextRoot].sort());
    } finally {
      await restarted.pki.close();
    }
    // Prepared is not announced: partners see nothing yet.
    expect(rolesOf(await zoneAStatusIn(b))).toBe(`Stable current=${short(oldRoot)}`);
  });

  it("announces: zone B's Secret holds both roots, both clusters show the next root and zone B's acknowledgement", async () => {
    expect(await announcePreparedRoot(zoneAParties(), await a.adminSigner())).toEqual([contractId]);
    await waitFor("zone B's bundle Secret holds zone A's old and next root", async () =>
      (await zoneARootsInZoneB()).join() === [oldRoot, nextRoot].sort().join() ? true : undefined,
    );
    await untilZonesInRootOverlapAtB(1);
    const shown = await untilZoneAShownInBoth(`Announced current=${short(oldRoot)} next=${short(nextRoot)}`);
    for (const status of shown) {
      expect(status.currentRoot).toMatchObject({ sha256: oldRoot, sequence: 0 });
      expect(status.nextRoot).toMatchObject({ sha256: nextRoot, sequence: 1 });
      expect(status.nextRoot?.announcedAt).toEqual(expect.any(String));
      expect(status.nextRoot?.activatedAt).toBeUndefined();
    }
    // The acknowledgement reaches the status at the operators' next resync.
    for (const zone of [a, b]) {
      await waitFor(`${zone.name}'s status lists zone-b as having installed the next root`, async () =>
        (await zoneAStatusIn(zone))?.nextRoot?.acknowledgedBy?.includes('zone-b') === true ? true : undefined,
      );
    }
    expect((await a.trustContract(contractId))?.status?.rotatingParticipants).toBe(1);
  });

  it('activates: both clusters show the new root current and the old one previous until it retires', async () => {
    const activation = await waitFor('the prepared root activated', () =>
      tryActivatePreparedRoot(zoneAParties()),
    );
    expect(activation.rootSha256).toBe(nextRoot);
    const overlap = await untilZoneAShownInBoth(
      `Overlap current=${short(nextRoot)} previous=${short(oldRoot)}`,
    );
    for (const status of overlap) {
      expect(status.currentRoot?.activatedAt).toBe(activation.activatedAt.toISOString());
      expect(status.previousRoot?.retireAfter).toBe(activation.previousRootRetireAfter.toISOString());
    }
    // Zone B still trusts the old root during the overlap.
    expect(await zoneARootsInZoneB()).toEqual([oldRoot, nextRoot].sort());
  });

  it("retires: zone B's Secret holds only the new root and both clusters show it alone", async () => {
    await waitFor("zone B's bundle Secret holds only zone A's new root", async () =>
      (await zoneARootsInZoneB()).join() === nextRoot ? true : undefined,
    );
    await untilZonesInRootOverlapAtB(0);
    await untilZoneAShownInBoth(`Stable current=${short(nextRoot)}`);
    expect((await b.trustContract(contractId))?.status?.rotatingParticipants).toBe(0);
    // The contract stayed Active in both clusters throughout: no new contract, no new approvals.
    for (const zone of [a, b]) {
      expect(conditionsOf(await zone.trustContract(contractId)).Active).toBe(
        'True ApprovedByAllParticipants',
      );
    }
    // The audit log: the contract's consent once, then the rotation's three statements.
    const trail = await mesh.auditTrail(contractId);
    expect(trail.slice(0, 3).sort()).toEqual([
      'approve spiffe://zone-a.example/accord/operator',
      'approve spiffe://zone-b.example/accord/operator',
      'propose spiffe://zone-a.example/accord/operator',
    ]);
    expect(trail.slice(3)).toEqual([
      'announce-root spiffe://zone-a.example/accord/admin',
      'acknowledge-root spiffe://zone-b.example/accord/contract-provider',
      'activate-root spiffe://zone-a.example/accord/admin',
    ]);
  });

  it("emergency: zone B deletes its bundle Secret for zone A and shows zone A's roots revoked; so does zone A once its operator has re-bootstrapped", async () => {
    const { rootSha256: freshRoot, contractIds } = await emergencyRotateRoot(
      zoneAParties(),
      'root key leaked',
    );
    expect(contractIds).toEqual([contractId]);
    await waitFor("zone B's bundle Secret for zone A is gone", async () =>
      (await b.partnerBundlePem(a)) === undefined ? true : undefined,
    );
    const revokedInB = await waitFor("zone B's status shows zone A Revoked", async () => {
      const found = await zoneAStatusIn(b);
      return found?.phase === 'Revoked' ? found : undefined;
    });
    // The chain ends at the root that signed until now (the one it replaced has retired); the fresh
    // root is no root of this contract: trust in it needs a new contract, approved by both zones.
    expect(revokedInB.currentRoot).toBeUndefined();
    expect(revokedInB.revokedRoot).toMatchObject({ sha256: nextRoot, sequence: 1 });
    expect(revokedInB.revokedRoot?.revokedAt).toEqual(expect.any(String));
    expect(freshRoot).not.toBe(nextRoot);
    expect((await b.trustContract(contractId))?.status?.participants?.map(rolesOf)).toEqual([
      'Revoked',
      `Stable current=${short(fingerprints(b.rootPem)[0] ?? '')}`,
    ]);

    // Zone A's own operator held an SVID of the revoked root, which nothing accepts any more; once
    // it expires (6 s here) the operator re-bootstraps with its token against the PKI's fresh
    // roots (docs/root-rotation.md, "Recovering a zone after an emergency") and reports the same.
    const revokedInA = await waitFor("zone A's status shows zone A Revoked", async () => {
      const found = await zoneAStatusIn(a);
      return found?.phase === 'Revoked' ? found : undefined;
    });
    expect(revokedInA.revokedRoot).toEqual(revokedInB.revokedRoot);
    // The approvals still verify (timestamped by the root the rotation retired, not the revoked
    // one), but no provider trusts the contract any more: not Active, and the reason says why.
    for (const zone of [a, b]) {
      expect(conditionsOf(await zone.trustContract(contractId)).Active).toBe('False ParticipantRootRevoked');
    }
  });
});
