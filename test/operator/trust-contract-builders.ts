import type { ContractRepositoryClient } from '../../lib/contract/contract-repository-client.js';
import { silentLogger } from '../../lib/log/logger.js';
import type { ManualClock } from '../support/manual-clock.js';
import type { TrustContractReconcilerDeps } from '../../operator/trust-contract/reconcile-trust-contract.js';
import { revokeOnDeleteFinalizer, type ReadRoot } from '../../operator/trust-contract/trust-contract-spec.js';
import type { TestSvid, TestZone } from '../support/test-zone.js';

/** A participant entry of a TrustContract spec; the root is the zone's inline PEM unless given. */
export function participantSpec(zone: TestZone, root: Record<string, unknown> = { pem: zone.rootPem }) {
  return { name: zone.name, trustDomain: zone.trustDomain, root };
}

/** Options of a TrustContract object; by default it carries the finalizer and no status. */
export interface ObjectOptions {
  generation?: number;
  finalizers?: string[];
  deletionTimestamp?: string;
  status?: unknown;
}

/** A TrustContract as the API server returns it (plain JSON). */
export function trustContractObject(
  name: string,
  participants: readonly unknown[],
  { generation = 1, finalizers = [revokeOnDeleteFinalizer], deletionTimestamp, status }: ObjectOptions = {},
) {
  return {
    apiVersion: 'accord.dev/v1alpha1',
    kind: 'TrustContract',
    metadata: {
      name,
      generation,
      finalizers,
      ...(deletionTimestamp === undefined ? {} : { deletionTimestamp }),
    },
    spec: { participants },
    ...(status === undefined ? {} : { status }),
  };
}

/** A readRoot port over fixed Secret/ConfigMap contents keyed `Kind/namespace/name/key`. */
export function rootsFrom(entries: Record<string, string>): ReadRoot {
  return (reference) =>
    Promise.resolve(entries[`${reference.kind}/${reference.namespace}/${reference.name}/${reference.key}`]);
}

/** Reconciler ports for `zone`, signing with `signer` (its admin SVID unless given). */
export function reconcilerDeps(
  zone: TestZone,
  repository: ContractRepositoryClient,
  clock: ManualClock,
  options: { readRoot?: ReadRoot; signer?: TestSvid } = {},
): TrustContractReconcilerDeps {
  return {
    repository,
    localZone: {
      name: zone.name,
      trustDomain: zone.trustDomain,
      signer: (options.signer ?? zone.admin).signer,
    },
    readRoot: options.readRoot ?? rootsFrom({}),
    clock,
    logger: silentLogger,
    unavailableBackoff: { initialDelayMs: 1000, maxDelayMs: 60_000 },
  };
}
