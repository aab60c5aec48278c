import { join } from 'node:path';
import { kubeletKernelTunables, type NodeAddresses, type NodeDirectories } from './node-config.js';

/** A cgroup hierarchy mounted on the host, as /proc/self/mountinfo lists it. */
export interface CgroupMount {
  /** e.g. `/sys/fs/cgroup/memory` or `/sys/fs/cgroup/unified`. */
  readonly mountPoint: string;
  readonly fsType: 'cgroup' | 'cgroup2';
  /** The superblock options that name the hierarchy, e.g. `memory` or `name=systemd` (v1 only). */
  readonly options: string;
}

/**
 * The cgroup hierarchies mounted on the host, from /proc/self/mountinfo. The node namespace mounts
 * the same ones again (`ip netns exec` hides them behind a fresh /sys), and teardown looks for the
 * cluster's cgroups in each of them.
 */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) continue;
    const mountPoint = before.split(' ')[4];
    const [fsType, , superOptions = ''] = after.split(' ');
    if (mountPoint === undefined || (fsType !== 'cgroup' && fsType !== 'cgroup2')) continue;
    const options = superOptions
      .split(',')
      .filter((option) => option !== 'rw' && option !== 'ro')
      .join(',');
    mounts.push({ mountPoint: unescapeMountPath(mountPoint), fsType, options });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal `\NNN`. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The printable name of a /proc/sys entry, e.g. `vm.overcommit_memory` for `vm/overcommit_memory`. */
function tunableFileName(tunable: string): string {
  return tunable.replaceAll('/', '.');
}

/** The files `nodeNamespaceScript` binds over the kubelet's host-wide tunables, with their contents. */
export function kernelTunableFiles(directories: NodeDirectories): { path: string; contents: string }[] {
  return Object.entries(kubeletKernelTunables).map(([tunable, value]) => ({
    path: join(directories.kernelTunables, tunableFileName(tunable)),
    contents: `${value}\n`,
  }));
}

/** The line the holder prints once the namespace is set up. */
export const namespaceReadyLine = 'accord-node-namespace-ready';

/**
 * The shell script the namespace holder runs under `ip netns exec` (which gives it a mount
 * namespace of its own, a slave of the host's, and a fresh /sys). Every daemon of the cluster then
 * joins this mount and network namespace with nsenter, so they share one view of mounts (the
 * kubelet's tmpfs volumes must be visible to containerd). It:
 *
 * - mounts the host's cgroup hierarchies again under /sys/fs/cgroup (the kubelet finds none
 *   otherwise: `failed to find cgroup mounts`);
 * - binds files holding the values the kubelet wants over its host-wide kernel tunables, read-only,
 *   so the kubelet changes nothing on the shared machine (`kubeletKernelTunables`);
 * - puts private tmpfs on /run, /var/lib and /var/log: whatever a daemon writes to a default
 *   path there (containerd's socket and task state, libcni's cache, pod logs) dies with the
 *   namespace instead of landing on the host;
 * - brings loopback up and puts the node IP on a port-less bridge (there is no `dummy` link type
 *   here, and the kubelet refuses a loopback node IP), routes the Service range there; there is no
 *   default route, so nothing leaves except over links the test adds;
 * - turns on IPv4 forwarding and bridge netfilter for this namespace (pods reach Services and the
 *   linked clusters through it);
 * - prints `namespaceReadyLine` and sleeps, holding the namespaces until it is killed.
 */
export function nodeNamespaceScript(
  cgroups: readonly CgroupMount[],
  addresses: NodeAddresses,
  directories: NodeDirectories,
): string {
  const quote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;
  const lines = ['set -eu', 'mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup'];
  for (const cgroup of cgroups) {
    lines.push(`mkdir -p ${quote(cgroup.mountPoint)}`);
    lines.push(
      cgroup.fsType === 'cgroup2'
        ? `mount -t cgroup2 cgroup2 ${quote(cgroup.mountPoint)}`
        : `mount -t cgroup -o ${quote(cgroup.options)} cgroup ${quote(cgroup.mountPoint)}`,
    );
  }
  for (const tunable of Object.keys(kubeletKernelTunables)) {
    const file = quote(join(directories.kernelTunables, tunableFileName(tunable)));
    const target = quote(`/proc/sys/${tunable}`);
    lines.push(`mount --bind ${file} ${target}`, `mount -o remount,bind,ro ${target}`);
  }
  for (const [name, path] of [
    ['run', '/run'],
    ['var-lib', '/var/lib'],
    ['var-log', '/var/log'],
  ] as const) {
    lines.push(`mount -t tmpfs -o mode=0755 ${name} ${path}`);
  }
  lines.push(
    'ip link set lo up',
    'ip link add node0 type bridge',
    `ip address add ${addresses.nodeIp}/32 dev node0`,
    'ip link set node0 up',
    // Processes of the node itself (the API server calling a webhook Service) need a route to the
    // Service range for kube-proxy's OUTPUT rules to rewrite; it ends at the port-less bridge.
    `ip route add ${addresses.serviceCidr} dev node0 src ${addresses.nodeIp}`,
    'echo 1 > /proc/sys/net/ipv4/ip_forward',
    'echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables',
    `echo ${namespaceReadyLine}`,
    'exec sleep infinity',
  );
  return `${lines.join('\n')}\n`;
}
