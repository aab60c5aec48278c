import { runCommand } from '../support/run-command.js';
import type { NodeCluster } from './node-cluster.js';

/** The name of the link in `from` that leads to `to` (interface names have at most 15 characters). */
export function linkName(to: NodeCluster): string {
  return `to-${to.name}`;
}

async function ip(...args: string[]): Promise<void> {
  const result = await runCommand('ip', args);
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr}`);
}

/**
 * Joins two node clusters the way two clusters on one network are joined: a veth pair between
 * their namespaces, and in each a host route to the other's node IP over it. Nothing else is
 * routed: each cluster reaches exactly what the other exposes on its node IP (NodePorts, the API
 * server), and pod and Service addresses stay private (pods leave with the node IP, the CNI
 * bridge masquerades them). Deleting either namespace removes the pair.
 */
export async function linkNodeClusters(a: NodeCluster, b: NodeCluster): Promise<void> {
  await ip(
    'link',
    'add',
    linkName(b),
    'netns',
    a.netns,
    'type',
    'veth',
    'peer',
    'name',
    linkName(a),
    'netns',
    b.netns,
  );
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    await ip('-n', from.netns, 'link', 'set', linkName(to), 'up');
    await ip(
      '-n',
      from.netns,
      'route',
      'add',
      `${to.addresses.nodeIp}/32`,
      'dev',
      linkName(to),
      'src',
      from.addresses.nodeIp,
    );
  }
}
