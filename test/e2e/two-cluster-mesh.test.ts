import { readFile } from 'node:fs/promises';
import { signApproval } from '../../lib/contract/approval-signature.js';
import { signRevocation } from '../../lib/contract/revocation-signature.js';
import { caStateSecretKey } from '../../pki/kube-secret-ca-store.js';
import { auditLogLabel } from '../../contract-repo/audit-entry-config-map.js';
import { parseTrustContractSpec } from '../../operator/trust-contract/trust-contract-spec.js';
import type { MeshZone } from './mesh-zone.js';
import { accordNamespace } from './mesh-zone.js';
import { hubNamespace, pkiCaSecretName, untilMutualTrust, type TwoClusterMesh } from './two-cluster-mesh.js';
import { useTwoClusterMesh } from './two-cluster-mesh-fixture.js';

// The harness without operators: a contract proposed and approved directly in the repository, by
// each zone's admin, must reach both clusters' bundle Secrets through the providers alone.
const propagationTimeoutMs = 30_000;

let mesh: TwoClusterMesh;
let a: MeshZone;
let b: MeshZone;
useTwoClusterMesh(
  {
    directoryPrefix: 'accord-two-cluster-mesh',
    mesh: { operatorReplicas: 0 },
    deadlineMs: propagationTimeoutMs,
  },
  (started) => {
    mesh = started;
    [a, b] = started.zones;
  },
);

/** Proposes `id` as zone-a's admin with the participants zone-a's manifest resolves to, then approves it as `approvers`. */
async function proposeAndApprove(id: string, approvers: readonly MeshZone[]): Promise<void> {
  const participants = await parseTrustContractSpec(id, mesh.manifest(id, a).spec, (reference) =>
    a.readSecretKey(reference.namespace, reference.name, reference.key),
  );
  let contract = await a.repository.create({ id, participants });
  for (const zone of approvers) {
    const approval = await signApproval(contract, zone.name, await zone.adminSigner(), new Date());
    contract = await zone.repository.approve(id, approval);
  }
}

describe('the two-cluster mesh harness', () => {
  it("keeps each zone PKI's CA in a Secret of its own cluster and publishes its root in the partner's", async () => {
    for (const [zone, partner] of [
      [a, b],
      [b, a],
    ] as const) {
      const ca = await zone.core.readNamespacedSecret({ namespace: accordNamespace, name: pkiCaSecretName });
      expect(Object.keys(ca.data ?? {})).toEqual([caStateSecretKey]);
      expect(zone.rootPem).toBe(await readFile(zone.pki.rootsFile, 'utf8'));
      expect(await partner.readSecretKey(accordNamespace, `${zone.name}-root`, 'ca.crt')).toBe(zone.rootPem);
    }
  });

  it('writes no partner bundle while a contract is approved by zone-a only', async () => {
    const before = await Promise.all([a.bundleSecretVersions(), b.bundleSecretVersions()]);
    await proposeAndApprove('harness-half', [a]);
    await Promise.all([a.provider.provider.whenIdle(), b.provider.provider.whenIdle()]);
    expect(await Promise.all([a.bundleSecretVersions(), b.bundleSecretVersions()])).toEqual(before);
    expect(await a.partnerBundlePem(b)).toBeUndefined();
    expect(await b.partnerBundlePem(a)).toBeUndefined();
  });

  it("puts each zone's root into the other cluster's bundle Secret once both approve, and removes it on revocation", async () => {
    await proposeAndApprove('harness-ab', [a, b]);
    await untilMutualTrust(mesh, true, propagationTimeoutMs);
    const contract = await b.repository.get('harness-ab');
    const reason = 'harness test';
    await b.repository.revoke(
      'harness-ab',
      reason,
      await signRevocation(contract, b.name, reason, await b.adminSigner(), new Date()),
    );
    await untilMutualTrust(mesh, false, propagationTimeoutMs);
  });

  it("keeps the repository's audit log in zone-a's cluster, one ConfigMap per entry", async () => {
    expect(await mesh.auditTrail('harness-ab')).toEqual([
      'propose spiffe://zone-a.example/accord/admin',
      'approve spiffe://zone-a.example/accord/admin',
      'approve spiffe://zone-b.example/accord/admin',
      'revoke spiffe://zone-b.example/accord/admin',
    ]);
    const entries = await a.core.listNamespacedConfigMap({
      namespace: hubNamespace,
      labelSelector: auditLogLabel,
    });
    // harness-half: propose + approve; harness-ab: propose, two approvals, revoke.
    expect(entries.items).toHaveLength(6);
  });
});
