import { z } from 'zod';
import { readTrustContractStatus } from '../trust-contract/trust-contract-status.js';
import type { PartnerZone } from './sidecar-config.js';

/** Where a remote zone's inbound side answers, from the operator config (`injection.remoteZones`). */
export interface RemoteZoneAddress {
  trustDomain: string;
  hostSuffix: string;
  endpoint: { host: string; port: number };
}

/** The partner zones of the sidecars, and Active partners the config has no address for. */
export interface PartnerZones {
  zones: PartnerZone[];
  /** Trust domains with an Active contract but no `remoteZones` entry: not routable, reported on the status. */
  unaddressed: string[];
}

const participantsSchema = z.object({
  participants: z.array(z.object({ trustDomain: z.string() })),
});

/**
 * The zones this zone may call: every other participant of a TrustContract whose status is
 * `Active` (approved by all, verified by this zone's operator) and that names this zone. A
 * contract being deleted counts until it is gone: revocation reaches the sidecars through the
 * trust bundles, which the provider withdraws first. Sorted and deduplicated, so the rendered
 * config depends only on the set.
 */
export function activePartnerZones(
  trustContracts: readonly { spec?: unknown; status?: unknown }[],
  localTrustDomain: string,
  addresses: readonly RemoteZoneAddress[],
): PartnerZones {
  const partners = new Set<string>();
  for (const contract of trustContracts) {
    if (readTrustContractStatus(contract.status)?.state !== 'Active') continue;
    const spec = participantsSchema.safeParse(contract.spec);
    if (!spec.success) continue;
    const domains = spec.data.participants.map((participant) => participant.trustDomain);
    if (!domains.includes(localTrustDomain)) continue;
    for (const domain of domains) if (domain !== localTrustDomain) partners.add(domain);
  }
  const zones: PartnerZone[] = [];
  const unaddressed: string[] = [];
  for (const trustDomain of [...partners].sort()) {
    const address = addresses.find((candidate) => candidate.trustDomain === trustDomain);
    if (address === undefined) unaddressed.push(trustDomain);
    else zones.push({ trustDomain, hostSuffix: address.hostSuffix, endpoint: address.endpoint });
  }
  return { zones, unaddressed };
}

/**
 * The zones the sidecars route to: every zone of `injection.remoteZones` but this one, whether or
 * not a contract with it is Active. Routes live in Envoy's bootstrap, which only a restart reloads,
 * while trust changes reach a running pod (the trust bundles SDS secret, the translator's WIT
 * check): so routing follows the operator config and trust alone decides whether a call gets
 * through. Before a contract, and after one is revoked, the route exists and the mTLS handshake
 * to that zone fails; a pod started before its first contract calls out as soon as it is Active.
 * Sorted by trust domain, so the rendered config depends only on the set.
 */
export function routedZones(
  addresses: readonly RemoteZoneAddress[],
  localTrustDomain: string,
): PartnerZone[] {
  return addresses
    .filter((address) => address.trustDomain !== localTrustDomain)
    .map(({ trustDomain, hostSuffix, endpoint }) => ({ trustDomain, hostSuffix, endpoint }))
    .sort((a, b) => (a.trustDomain < b.trustDomain ? -1 : a.trustDomain > b.trustDomain ? 1 : 0));
}
