import { existsSync } from 'node:fs';
import { readFile, readdir, readlink, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../support/run-command.js';
import { kubeletKernelTunables } from './node-config.js';
import { type CgroupMount, parseCgroupMounts } from './node-namespace.js';

/**
 * What identifies everything a node cluster put on the host, recorded when it started: teardown
 * finds its processes by these namespaces and cgroups, never by name, and the leftover check looks
 * for exactly these.
 */
export interface NodeFootprint {
  /** `ip netns` name of the cluster's network namespace. */
  readonly netns: string;
  /** Inode of that network namespace (`/proc/<pid>/ns/net` of every daemon). */
  readonly netnsInode: number;
  /** Inode of the holder's mount namespace, which every daemon and containerd shim shares. */
  readonly mountNamespaceInode: number | undefined;
  /** The cgroup under which the kubelet puts every pod (`cgroupRoot`), in each hierarchy. */
  readonly cgroupRoot: string;
  /** The cluster's state directory (etcd, containerd's snapshots, kubelet, logs). */
  readonly directory: string;
}

/** The host's cgroup hierarchies (read when needed: they do not change while tests run). */
export async function hostCgroupMounts(): Promise<CgroupMount[]> {
  return parseCgroupMounts(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** The inode in a namespace link such as `net:[4026532301]`. */
function namespaceInode(link: string): number | undefined {
  const match = /\[(\d+)\]$/.exec(link);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Inode of `/proc/<pid>/ns/<kind>`, or undefined once the process is gone. */
export async function processNamespaceInode(pid: number, kind: 'net' | 'mnt'): Promise<number | undefined> {
  try {
    return namespaceInode(await readlink(`/proc/${String(pid)}/ns/${kind}`));
  } catch {
    return undefined;
  }
}

/** Inode of a named network namespace (`/run/netns/<name>`). */
export async function netnsInode(netns: string): Promise<number> {
  return (await stat(`/run/netns/${netns}`)).ino;
}

/** Processes that live in the cluster's network namespace or share its holder's mount namespace. */
async function namespaceProcesses(footprint: NodeFootprint): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const [net, mnt] = await Promise.all([
      processNamespaceInode(pid, 'net'),
      processNamespaceInode(pid, 'mnt'),
    ]);
    if (net === footprint.netnsInode || (mnt !== undefined && mnt === footprint.mountNamespaceInode))
      pids.push(pid);
  }
  return pids;
}

/** Every cgroup directory of the cluster in every hierarchy, deepest first. */
async function clusterCgroups(footprint: NodeFootprint, mounts: readonly CgroupMount[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory()) await walk(join(directory, entry.name));
    found.push(directory);
  };
  for (const mount of mounts) await walk(join(mount.mountPoint, footprint.cgroupRoot));
  return found;
}

/** Processes in the cluster's cgroups (the containers: they run in pod network namespaces). */
async function cgroupProcesses(cgroups: readonly string[]): Promise<number[]> {
  const pids = new Set<number>();
  for (const cgroup of cgroups) {
    try {
      for (const line of (await readFile(join(cgroup, 'cgroup.procs'), 'utf8')).split('\n')) {
        if (line !== '') pids.add(Number(line));
      }
    } catch {
      // removed meanwhile
    }
  }
  return [...pids];
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const teardownTimeoutMs = 60_000;

/**
 * Removes a node cluster from the host: SIGKILLs, by PID, every process in its cgroups and every
 * process in its network or mount namespace (daemons, containerd shims, containers, the holder)
 * until none is left; removes its cgroups in every hierarchy, deepest first; deletes its network
 * namespace (which takes the links to other clusters with it) and its directory. The mount
 * namespace, and with it every mount the daemons made, ends with its last process.
 */
export async function tearDownNode(footprint: NodeFootprint): Promise<void> {
  const mounts = await hostCgroupMounts();
  const deadline = Date.now() + teardownTimeoutMs;
  for (;;) {
    const cgroups = await clusterCgroups(footprint, mounts);
    const pids = [
      ...new Set([...(await cgroupProcesses(cgroups)), ...(await namespaceProcesses(footprint))]),
    ];
    if (pids.length === 0) {
      let removedAll = true;
      for (const cgroup of cgroups) {
        try {
          await rmdir(cgroup);
        } catch {
          removedAll = false; // a process is still leaving it
        }
      }
      if (removedAll) break;
    }
    for (const pid of pids) kill(pid);
    if (Date.now() > deadline)
      throw new Error(`node ${footprint.netns}: processes ${pids.join(', ')} outlived teardown`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (existsSync(`/run/netns/${footprint.netns}`)) {
    const deleted = await runCommand('ip', ['netns', 'delete', footprint.netns]);
    if (deleted.code !== 0) throw new Error(`ip netns delete ${footprint.netns}: ${deleted.stderr}`);
  }
  await rm(footprint.directory, { recursive: true, force: true });
}

/**
 * What a torn-down cluster left on the host, as sentences (empty when nothing): its network
 * namespace, processes in its namespaces or cgroups, cgroup directories, mounts under its
 * directory, the directory itself.
 */
export async function nodeLeftovers(footprint: NodeFootprint): Promise<string[]> {
  const leftovers: string[] = [];
  if (existsSync(`/run/netns/${footprint.netns}`)) leftovers.push(`network namespace ${footprint.netns}`);
  const cgroups = await clusterCgroups(footprint, await hostCgroupMounts());
  for (const cgroup of cgroups) leftovers.push(`cgroup ${cgroup}`);
  for (const pid of [...(await namespaceProcesses(footprint)), ...(await cgroupProcesses(cgroups))]) {
    leftovers.push(`process ${String(pid)}`);
  }
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) {
    if (line.includes(footprint.directory)) leftovers.push(`mount ${line}`);
  }
  if (existsSync(footprint.directory)) leftovers.push(`directory ${footprint.directory}`);
  return leftovers;
}

/**
 * Host paths a node's daemons would write by default (containerd, the kubelet, libcni, the
 * controller manager's flex-volume directory): every one of them is redirected into the cluster's
 * directory or a private tmpfs, so none may appear on the host.
 */
const defaultDaemonPaths = [
  '/var/lib/containerd',
  '/run/containerd',
  '/var/lib/kubelet',
  '/var/lib/cni',
  '/etc/cni/net.d',
  '/var/log/pods',
  '/var/log/containers',
  '/usr/libexec/kubernetes',
  '/var/run/kubernetes',
  '/etc/kubernetes',
];

/**
 * What node clusters could change on the host beyond their own footprint: the default state paths
 * of the daemons that exist, the host-wide kernel tunables the kubelet would set, and the host's
 * own iptables rules (kube-proxy's and the CNI plugins' rules belong in the cluster namespaces).
 * Taken before and after; equal snapshots mean nothing leaked.
 */
export async function hostSnapshot(): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {};
  snapshot['existing default paths'] = defaultDaemonPaths.filter((path) => existsSync(path)).join(' ');
  for (const tunable of Object.keys(kubeletKernelTunables)) {
    snapshot[tunable] = (await readFile(`/proc/sys/${tunable}`, 'utf8')).trim();
  }
  const rules = await runCommand('iptables-save', []);
  snapshot.iptables = rules.stdout
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  return snapshot;
}
