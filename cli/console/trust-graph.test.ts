import type { ContractSummary } from './console-api.js';
import { trustGraph } from './trust-graph.js';

const zone = (name: string, hasVerifiedApproval = true) => ({
  name,
  trustDomain: `${name}.example`,
  rootSha256: name.repeat(8).slice(0, 64),
  hasVerifiedApproval,
});

const contract = (
  id: string,
  state: string,
  participants: ContractSummary['participants'],
  isTrustEstablished: boolean,
  revoked = false,
): ContractSummary => ({
  id,
  state,
  revision: 1,
  proposedBy: 'spiffe://zone-a.example/accord/admin',
  createdAt: '2026-12-05T10:00:00.000Z',
  participants,
  verifiedApprovals: participants.filter((p) => p.hasVerifiedApproval).length,
  invalidApprovals: [],
  isTrustEstablished,
  revocation: revoked
    ? {
        revokedBy: 'spiffe://zone-b.example/accord/admin',
        revokedAt: '2026-12-05T11:00:00.000Z',
        reason: 'ended',
      }
    : null,
  awaitsYourApproval: false,
});

describe('trustGraph', () => {
  it('joins the participants of a contract whose approvals all verify with an active edge', () => {
    const graph = trustGraph(
      [contract('ab', 'active', [zone('zone-a'), zone('zone-b')], true)],
      'zone-a.example',
    );
    expect(graph.edges).toEqual([
      { from: 'zone-a.example', to: 'zone-b.example', state: 'active', contracts: ['ab'] },
    ]);
    expect(graph.nodes.map((node) => [node.trustDomain, node.isSelf])).toEqual([
      ['zone-a.example', true],
      ['zone-b.example', false],
    ]);
  });

  it('does not draw trust the approvals do not prove: a contract the repository calls active but is not', () => {
    const graph = trustGraph(
      [contract('ab', 'active', [zone('zone-a'), zone('zone-b', false)], false)],
      'zone-a.example',
    );
    expect(graph.edges[0]?.state).toBe('proposed');
  });

  it('draws nothing for a revoked contract and keeps this zone alone in the middle', () => {
    const graph = trustGraph(
      [contract('ab', 'revoked', [zone('zone-a'), zone('zone-b')], false, true)],
      'zone-a.example',
    );
    expect(graph.edges).toEqual([]);
    expect(graph.nodes).toEqual([
      { trustDomain: 'zone-a.example', name: 'zone-a', isSelf: true, x: 240, y: 240 },
    ]);
  });

  it('joins every two participants of a three-zone contract, and merges contracts between the same zones', () => {
    const graph = trustGraph(
      [
        contract('abc', 'proposed', [zone('zone-c'), zone('zone-a'), zone('zone-b', false)], false),
        contract('ab', 'active', [zone('zone-b'), zone('zone-a')], true),
      ],
      'zone-b.example',
    );
    expect(graph.edges).toEqual([
      { from: 'zone-a.example', to: 'zone-b.example', state: 'active', contracts: ['ab', 'abc'] },
      { from: 'zone-a.example', to: 'zone-c.example', state: 'proposed', contracts: ['abc'] },
      { from: 'zone-b.example', to: 'zone-c.example', state: 'proposed', contracts: ['abc'] },
    ]);
    expect(graph.nodes[0]).toMatchObject({ trustDomain: 'zone-b.example', isSelf: true, x: 240, y: 60 });
  });
});
