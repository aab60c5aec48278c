import type { ContractSummary, TrustGraph, TrustGraphEdge, TrustGraphNode } from './console-api.js';

const size = 480;
const radius = 180;

/**
 * Which zone trusts which right now, from the contracts the console sees: an `active` edge joins
 * every two participants of a contract whose approvals all verify here and that is not revoked; a
 * `proposed` edge those of a contract still waiting for approvals. Revoked contracts draw nothing.
 * Zones are placed on a circle, this zone at the top and the others by trust domain, so the
 * picture is stable as contracts come and go. Computed in the console process; the browser only
 * draws it.
 */
export function trustGraph(contracts: readonly ContractSummary[], selfTrustDomain: string): TrustGraph {
  const names = new Map<string, string>();
  const edges = new Map<
    string,
    { from: string; to: string; state: TrustGraphEdge['state']; contracts: string[] }
  >();
  for (const contract of contracts) {
    const state = edgeState(contract);
    if (state === undefined) continue;
    const participants = [...contract.participants].sort((left, right) =>
      compare(left.trustDomain, right.trustDomain),
    );
    for (const participant of participants) names.set(participant.trustDomain, participant.name);
    for (const [index, from] of participants.entries()) {
      for (const to of participants.slice(index + 1)) {
        const key = `${from.trustDomain} ${to.trustDomain}`;
        const edge = edges.get(key) ?? { from: from.trustDomain, to: to.trustDomain, state, contracts: [] };
        if (state === 'active') edge.state = 'active';
        edge.contracts.push(contract.id);
        edges.set(key, edge);
      }
    }
  }
  if (!names.has(selfTrustDomain))
    names.set(selfTrustDomain, selfTrustDomain.split('.')[0] ?? selfTrustDomain);
  const others = [...names.keys()].filter((domain) => domain !== selfTrustDomain).sort(compare);
  const ordered = [selfTrustDomain, ...others];
  const nodes: TrustGraphNode[] = ordered.map((trustDomain, index) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * index) / ordered.length;
    const isAlone = ordered.length === 1;
    return {
      trustDomain,
      name: names.get(trustDomain) ?? trustDomain,
      isSelf: trustDomain === selfTrustDomain,
      x: Math.round(size / 2 + (isAlone ? 0 : radius * Math.cos(angle))),
      y: Math.round(size / 2 + (isAlone ? 0 : radius * Math.sin(angle))),
    };
  });
  return {
    width: size,
    height: size,
    nodes,
    edges: [...edges.values()]
      .map((edge) => ({ ...edge, contracts: [...edge.contracts].sort(compare) }))
      .sort((left, right) => compare(`${left.from} ${left.to}`, `${right.from} ${right.to}`)),
  };
}

function edgeState(contract: ContractSummary): TrustGraphEdge['state'] | undefined {
  if (contract.revocation !== null || contract.state === 'revoked') return undefined;
  if (contract.isTrustEstablished) return 'active';
  return 'proposed';
}

function compare(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
