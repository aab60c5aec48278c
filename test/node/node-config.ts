import { join } from 'node:path';

/**
 * The addresses of one node cluster. They exist only inside the cluster's network namespace (and,
 * for the node IP, in the namespaces linked to it), so clusters may be numbered freely.
 */
export interface NodeAddresses {
  /** The node's IP, on a port-less bridge: kubelet, the API server and NodePorts answer there. */
  readonly nodeIp: string;
  /** The pod subnet of the one node (CNI bridge + host-local), e.g. `10.244.1.0/24`. */
  readonly podCidr: string;
  /** The CNI bridge's address: the pods' gateway. */
  readonly podGatewayIp: string;
  /** `--service-cluster-ip-range`. */
  readonly serviceCidr: string;
  /** The `kubernetes` Service's ClusterIP (first address of the range): a SAN of the API server. */
  readonly apiServiceIp: string;
  /** The ClusterIP of `kube-system/kube-dns` (CoreDNS), the kubelet's `clusterDNS`. */
  readonly dnsServiceIp: string;
}

/** Node, pod and Service addresses of cluster number `index` (1–250): distinct per cluster. */
export function nodeAddresses(index: number): NodeAddresses {
  if (!Number.isInteger(index) || index < 1 || index > 250)
    throw new Error(`cluster index ${String(index)} out of range`);
  const octet = String(index);
  return {
    nodeIp: `172.30.${octet}.1`,
    podCidr: `10.244.${octet}.0/24`,
    podGatewayIp: `10.244.${octet}.1`,
    serviceCidr: `10.96.${octet}.0/24`,
    apiServiceIp: `10.96.${octet}.1`,
    dnsServiceIp: `10.96.${octet}.10`,
  };
}

/** The cluster DNS domain, as in every kubeadm cluster. */
export const clusterDomain = 'cluster.local';

/** The API server's secure port on the node IP (only inside the namespace, so fixed). */
export const apiServerPort = 6443;

/** The port CoreDNS listens on inside its pod: above 1023, so it runs without capabilities. */
export const corednsContainerPort = 1053;

/** Where each daemon keeps its state under the cluster's directory. */
export interface NodeDirectories {
  readonly root: string;
  readonly containerdRoot: string;
  readonly cniConfig: string;
  readonly cniState: string;
  readonly kubeletRoot: string;
  readonly etcdData: string;
  readonly pki: string;
  /** Files shown to the kubelet in place of host-wide kernel tunables (`nodeNamespaceScript`). */
  readonly kernelTunables: string;
}

/** The state directories of a cluster rooted at `root` (a fresh temporary directory). */
export function nodeDirectories(root: string): NodeDirectories {
  return {
    root,
    containerdRoot: join(root, 'containerd'),
    cniConfig: join(root, 'cni', 'net.d'),
    cniState: join(root, 'cni', 'networks'),
    kubeletRoot: join(root, 'kubelet'),
    etcdData: join(root, 'etcd'),
    pki: join(root, 'pki'),
    kernelTunables: join(root, 'kernel-tunables'),
  };
}

/** The image the CRI plugin starts every pod sandbox from; it must be imported, never pulled. */
export interface SandboxImage {
  readonly reference: string;
}

/**
 * containerd's config (version 2 schema, read by 1.6 and 1.7). Every path the CRI plugin would
 * otherwise take from the host (`/var/lib/containerd`, `/etc/cni/net.d`, `/opt/containerd`) points
 * into the cluster's directory; `/run/containerd` is the namespace's private tmpfs.
 * `restrict_oom_score_adj`: CAP_SYS_RESOURCE is withheld on these machines, so runc may not give a
 * container a lower OOM score than containerd's own (every sandbox failed without it).
 */
export function containerdConfigToml(directories: NodeDirectories, sandbox: SandboxImage): string {
  const quoted = (value: string): string => JSON.stringify(value);
  return `version = 2
root = ${quoted(directories.containerdRoot)}
state = "/run/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = ${quoted(join(directories.containerdRoot, 'opt'))}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${quoted(sandbox.reference)}
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ${quoted(directories.cniConfig)}
    max_conf_num = 1
`;
}

/**
 * The pod network: a bridge (`cni0`, the pods' gateway) with host-local addresses from the node's
 * pod subnet, masquerading what leaves the subnet (so a pod reaches a linked cluster's node IP with
 * the node's address), portmap for hostPorts. host-local keeps its leases in the cluster directory.
 */
export function cniConfigList(addresses: NodeAddresses, directories: NodeDirectories): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'accord-pods',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: addresses.podCidr, gateway: addresses.podGatewayIp }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: directories.cniState,
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

/** The files the kubelet's config names. */
export interface KubeletFiles {
  readonly clientCaFile: string;
  readonly tlsCertFile: string;
  readonly tlsPrivateKeyFile: string;
}

/**
 * The kubelet's KubeletConfiguration (JSON is YAML). Choices this machine forces, from
 * ../shared/TOOLING.md: cgroup v1 hosts need `failCgroupV1: false`, and the cgroupfs driver
 * (no systemd). `cgroupRoot` keeps every pod cgroup of this cluster under one directory per
 * hierarchy (`nodeCgroupRoot`), so two clusters never share `/kubepods` and teardown removes
 * exactly that subtree.
 * Eviction and image garbage collection are off (a shared disk's free space is not this cluster's
 * to judge), the read-only port is closed, the kubelet's API takes the cluster CA's client
 * certificates, authorized by the API server, and pods are synced every 5 s.
 */
export function kubeletConfig(
  netns: string,
  addresses: NodeAddresses,
  directories: NodeDirectories,
  files: KubeletFiles,
): string {
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: nodeCgroupRoot(netns),
      containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
      address: addresses.nodeIp,
      port: 10250,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: 10248,
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: files.clientCaFile },
      },
      authorization: { mode: 'Webhook' },
      tlsCertFile: files.tlsCertFile,
      tlsPrivateKeyFile: files.tlsPrivateKeyFile,
      clusterDomain,
      clusterDNS: [addresses.dnsServiceIp],
      // No upstream resolver: pods with dnsPolicy Default get none, and nothing is asked outside.
      resolvConf: '',
      failSwapOn: false,
      evictionHard: {
        'memory.available': '1Mi',
        'nodefs.available': '0%',
        'nodefs.inodesFree': '0%',
        'imagefs.available': '0%',
      },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      serializeImagePulls: false,
      volumePluginDir: join(directories.kubeletRoot, 'volume-plugins'),
      registerNode: true,
      rotateCertificates: false,
      serverTLSBootstrap: false,
      nodeStatusUpdateFrequency: '4s',
      // Secret and ConfigMap volumes are refreshed when the kubelet syncs a pod: every minute by
      // default. Trust changes reach Accord's sidecars through such a volume (the bundle Secret),
      // so the tests' "within seconds" needs a shorter period (docs/injection.md).
      syncFrequency: '5s',
    },
    null,
    2,
  );
}

/**
 * The cgroup (in every hierarchy) under which the kubelet puts every pod: named after the
 * cluster's network namespace, which is unique, so clusters of concurrent tests never share one.
 */
export function nodeCgroupRoot(netns: string): string {
  return `/${netns}`;
}

/**
 * kube-proxy's KubeProxyConfiguration in iptables mode. NodePorts answer on the node IP only (no
 * localhost NodePorts, so `route_localnet` stays off). The conntrack settings are zero because
 * `nf_conntrack_max` and the TCP timeouts are host-wide: kube-proxy leaves them alone then.
 */
export function kubeProxyConfig(name: string, addresses: NodeAddresses, kubeconfig: string): string {
  return JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig },
      mode: 'iptables',
      hostnameOverride: name,
      bindAddress: '0.0.0.0',
      clusterCIDR: addresses.podCidr,
      healthzBindAddress: '127.0.0.1:10256',
      metricsBindAddress: '127.0.0.1:10249',
      nodePortAddresses: [`${addresses.nodeIp}/32`],
      oomScoreAdj: 0,
      iptables: { localhostNodePorts: false, masqueradeAll: false },
      conntrack: {
        maxPerCore: 0,
        min: 0,
        tcpEstablishedTimeout: '0s',
        tcpCloseWaitTimeout: '0s',
        udpTimeout: '0s',
        udpStreamTimeout: '0s',
      },
    },
    null,
    2,
  );
}

/**
 * The host-wide kernel tunables the kubelet sets at start when they differ
 * (pkg/kubelet/cm/container_manager_linux.go, setupKernelTunables), with the values it wants. On
 * a shared machine it must not change them: the node namespace shows it files holding exactly
 * these values instead, so it finds nothing to change.
 */
export const kubeletKernelTunables: Readonly<Record<string, string>> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};
