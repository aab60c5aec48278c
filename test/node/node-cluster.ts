import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfig } from '../kube/kube-api-server.js';
import {
  type KubeKeyPair,
  createKubeClusterCa,
  issueKubeClientCertificate,
  issueKubeServingCertificate,
} from '../kube/kube-certificates.js';
import { type ManagedProcess, startManagedProcess } from '../support/managed-process.js';
import { type CommandResult, type RunCommandOptions, runCommand } from '../support/run-command.js';
import { testTool } from '../support/test-tools.js';
import { corednsManifests } from './coredns-manifests.js';
import {
  type NodeAddresses,
  type NodeDirectories,
  apiServerPort,
  clusterDomain,
  cniConfigList,
  containerdConfigToml,
  kubeProxyConfig,
  kubeletConfig,
  nodeAddresses,
  nodeCgroupRoot,
  nodeDirectories,
} from './node-config.js';
import { type NodeImage, corednsImage } from './node-images.js';
import { kernelTunableFiles, namespaceReadyLine, nodeNamespaceScript } from './node-namespace.js';
import {
  type NodeFootprint,
  hostCgroupMounts,
  netnsInode,
  processNamespaceInode,
  tearDownNode,
} from './node-teardown.js';

/** How to start a node cluster. */
export interface NodeClusterOptions {
  /** Node name and kubeconfig context, a DNS label of at most 12 characters (it names links). */
  readonly name: string;
  /** Picks the cluster's address block (`nodeAddresses`); distinct per cluster of a test. */
  readonly index: number;
  /** The pod sandbox image; imported, never pulled. */
  readonly sandboxImage: NodeImage;
  /** More images to import before the cluster is returned. */
  readonly images?: readonly NodeImage[];
  /** How long the whole start may take; defaults to 4 minutes (2 shared cores). */
  readonly startupTimeoutMs?: number;
}

/**
 * A real single-node Kubernetes cluster in a network namespace of its own: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, kubelet, kube-proxy (iptables) and containerd with runc
 * and the CNI bridge, and CoreDNS as a pod serving `cluster.local`. Node, pod and Service
 * addresses exist only in that namespace; the test reaches the API server by running kubectl and
 * helm inside it. Pods run as on any cluster: probes, Service DNS names, ServiceAccount tokens,
 * `kubectl exec/logs`.
 */
export interface NodeCluster {
  readonly name: string;
  readonly addresses: NodeAddresses;
  /** The cluster's network namespace (`ip netns` name). */
  readonly netns: string;
  /** `https://<node IP>:6443`, reachable inside the namespace (and from linked clusters). */
  readonly server: string;
  /** The cluster CA (it signed every serving and client certificate of the cluster). */
  readonly caPem: string;
  /** A kubeconfig for `accord-admin` in `system:masters`. */
  readonly adminKubeconfig: string;
  readonly footprint: NodeFootprint;
  /** Runs a command inside the cluster's network namespace (it then sees node, pod and Service addresses). */
  inNetwork(binary: string, args: readonly string[], options?: RunCommandOptions): Promise<CommandResult>;
  /** kubectl as the admin, inside the namespace. */
  kubectl(args: readonly string[], options?: RunCommandOptions): Promise<CommandResult>;
  /** helm as the admin, inside the namespace, with helm's caches in the cluster directory. */
  helm(args: readonly string[], options?: RunCommandOptions): Promise<CommandResult>;
  /** Imports an OCI image archive into containerd's `k8s.io` namespace (what the kubelet uses). */
  importImage(image: NodeImage): Promise<void>;
  /** The last lines a daemon (`kubelet`, `containerd`, …) logged, to explain a failure. */
  logTail(daemon: string, lineCount: number): Promise<string>;
  /** Removes the cluster and everything it put on the host (`tearDownNode`). Safe to call twice. */
  stop(): Promise<void>;
}

/** `--service-account-issuer` of every node cluster, as on kubeadm clusters. */
const serviceAccountIssuer = `https://kubernetes.default.svc.${clusterDomain}`;
const pollIntervalMs = 250;

/** Starts a node cluster (see `NodeCluster`); on failure, removes whatever was started. */
export async function startNodeCluster(options: NodeClusterOptions): Promise<NodeCluster> {
  if (!/^[a-z][a-z0-9-]{0,11}$/.test(options.name)) throw new Error(`bad node cluster name ${options.name}`);
  const deadline = Date.now() + (options.startupTimeoutMs ?? 240_000);
  const addresses = nodeAddresses(options.index);
  const directories = nodeDirectories(await mkdtemp(join(tmpdir(), `accord-node-${options.name}-`)));
  const netns = `accord-${options.name}-${randomBytes(3).toString('hex')}`;
  const processes = new Map<string, ManagedProcess>();
  let footprint: NodeFootprint = {
    netns,
    netnsInode: -1,
    mountNamespaceInode: undefined,
    cgroupRoot: nodeCgroupRoot(netns),
    directory: directories.root,
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // The kubelet first, so that it restarts nothing while the rest goes.
      processes.get('kubelet')?.kill('SIGKILL');
      await tearDownNode(footprint);
      await Promise.all([...processes.values()].map((managed) => managed.exited));
    })();
    return stopped;
  };
  try {
    const files = await writeNodeFiles(options.name, netns, addresses, directories, options.sandboxImage);
    const created = await runCommand('ip', ['netns', 'add', netns]);
    if (created.code !== 0) throw new Error(`ip netns add ${netns}: ${created.stderr}`);
    footprint = { ...footprint, netnsInode: await netnsInode(netns) };
    const cgroups = await hostCgroupMounts();
    const holder = await startHolder(netns, nodeNamespaceScript(cgroups, addresses, directories), deadline);
    processes.set('holder', holder);
    footprint = { ...footprint, mountNamespaceInode: await processNamespaceInode(holder.pid, 'mnt') };
    await createCgroupRoot(
      cgroups.map((cgroup) => cgroup.mountPoint),
      footprint.cgroupRoot,
    );

    const enter = ['--mount=/proc/' + String(holder.pid) + '/ns/mnt', `--net=/run/netns/${netns}`, '--'];
    const startDaemon = (name: string, binary: string, args: readonly string[]): void => {
      const log = createWriteStream(join(directories.root, 'logs', `${name}.log`));
      const managed = startManagedProcess(name, 'nsenter', [...enter, binary, ...args], {
        onOutput: (chunk) => log.write(chunk),
      });
      void managed.exited.then(() => log.end());
      processes.set(name, managed);
    };
    const inNetwork: NodeCluster['inNetwork'] = (binary, args, runOptions) =>
      runCommand('nsenter', [`--net=/run/netns/${netns}`, '--', binary, ...args], runOptions);
    const inNode = (binary: string, args: readonly string[], runOptions?: RunCommandOptions) =>
      runCommand('nsenter', [...enter, binary, ...args], runOptions);
    const kubectl: NodeCluster['kubectl'] = (args, runOptions) =>
      inNetwork(testTool('kubectl'), ['--kubeconfig', files.adminKubeconfig, ...args], runOptions);
    const helmHome = join(directories.root, 'helm');
    const helm: NodeCluster['helm'] = (args, runOptions) =>
      inNetwork(testTool('helm'), ['--kubeconfig', files.adminKubeconfig, ...args], {
        ...runOptions,
        env: {
          ...process.env,
          HELM_CACHE_HOME: join(helmHome, 'cache'),
          HELM_CONFIG_HOME: join(helmHome, 'config'),
          HELM_DATA_HOME: join(helmHome, 'data'),
        },
      });
    const daemonExit = (): string | undefined => {
      for (const managed of processes.values()) {
        const reason = managed.exitReason();
        if (reason !== undefined) return reason;
      }
      return undefined;
    };
    const waitFor = async (what: string, check: () => Promise<boolean>): Promise<void> => {
      for (;;) {
        const exit = daemonExit();
        if (exit !== undefined) throw new Error(`${options.name}: ${exit}`);
        if (await check()) return;
        if (Date.now() > deadline) throw new Error(`${options.name}: ${what} not reached in time`);
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      }
    };

    startDaemon('containerd', 'containerd', ['--config', files.containerdConfig]);
    startDaemon('etcd', testTool('etcd'), [
      `--name=${options.name}`,
      `--data-dir=${directories.etcdData}`,
      '--listen-client-urls=http://127.0.0.1:2379',
      '--advertise-client-urls=http://127.0.0.1:2379',
      '--listen-peer-urls=http://127.0.0.1:2380',
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    startDaemon('kube-apiserver', testTool('kube-apiserver'), [
      `--advertise-address=${addresses.nodeIp}`,
      '--bind-address=0.0.0.0',
      `--secure-port=${String(apiServerPort)}`,
      `--cert-dir=${join(directories.pki, 'apiserver')}`,
      `--tls-cert-file=${files.pem.apiServer.certificate}`,
      `--tls-private-key-file=${files.pem.apiServer.key}`,
      `--client-ca-file=${files.pem.ca}`,
      '--etcd-servers=http://127.0.0.1:2379',
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      `--service-account-issuer=${serviceAccountIssuer}`,
      `--service-account-key-file=${files.pem.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${files.pem.serviceAccountPrivateKey}`,
      `--service-cluster-ip-range=${addresses.serviceCidr}`,
      `--kubelet-client-certificate=${files.pem.apiServerKubeletClient.certificate}`,
      `--kubelet-client-key=${files.pem.apiServerKubeletClient.key}`,
      `--kubelet-certificate-authority=${files.pem.ca}`,
      '--kubelet-preferred-address-types=InternalIP',
      '--allow-privileged=true',
      '--profiling=false',
    ]);
    await waitFor('containerd answering', async () => (await inNode('ctr', ['version'])).code === 0);
    await importInto(inNode, options.sandboxImage);
    await waitFor(
      'kube-apiserver /readyz',
      async () => (await kubectl(['get', '--raw', '/readyz'], { timeoutMs: 10_000 })).stdout === 'ok',
    );
    const componentArgs = (kubeconfigFile: string, port: number): string[] => [
      `--kubeconfig=${kubeconfigFile}`,
      `--authentication-kubeconfig=${kubeconfigFile}`,
      `--authorization-kubeconfig=${kubeconfigFile}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${String(port)}`,
      '--leader-elect=false',
      '--profiling=false',
    ];
    startDaemon('kube-controller-manager', testTool('kube-controller-manager'), [
      ...componentArgs(files.controllerManagerKubeconfig, 10257),
      `--cluster-name=${options.name}`,
      `--service-account-private-key-file=${files.pem.serviceAccountPrivateKey}`,
      `--root-ca-file=${files.pem.ca}`,
      '--use-service-account-credentials=true',
      // Its default, /usr/libexec/kubernetes/kubelet-plugins/volume/exec, would be created on the host.
      `--flex-volume-plugin-dir=${join(directories.kubeletRoot, 'volume-plugins')}`,
    ]);
    startDaemon(
      'kube-scheduler',
      testTool('kube-scheduler'),
      componentArgs(files.schedulerKubeconfig, 10259),
    );
    startDaemon('kubelet', testTool('kubelet'), [
      `--config=${files.kubeletConfig}`,
      `--kubeconfig=${files.kubeletKubeconfig}`,
      `--hostname-override=${options.name}`,
      `--node-ip=${addresses.nodeIp}`,
      `--root-dir=${directories.kubeletRoot}`,
      `--cert-dir=${join(directories.kubeletRoot, 'pki')}`,
    ]);
    startDaemon('kube-proxy', testTool('kube-proxy'), [`--config=${files.kubeProxyConfig}`]);

    const dnsImage = corednsImage();
    for (const image of [dnsImage, ...(options.images ?? [])]) await importInto(inNode, image);
    const coredns = await kubectl(['apply', '-f', '-'], { input: corednsManifests(addresses, dnsImage) });
    if (coredns.code !== 0) throw new Error(`${options.name}: applying CoreDNS: ${coredns.stderr}`);
    await waitFor(
      'node Ready',
      async () =>
        (
          await kubectl([
            'get',
            'node',
            options.name,
            '-o',
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
          ])
        ).stdout === 'True',
    );
    await waitFor(
      'CoreDNS Ready',
      async () =>
        (
          await kubectl([
            '-n',
            'kube-system',
            'get',
            'deployment',
            'coredns',
            '-o',
            'jsonpath={.status.readyReplicas}',
          ])
        ).stdout === '1',
    );
    return {
      name: options.name,
      addresses,
      netns,
      server: `https://${addresses.nodeIp}:${String(apiServerPort)}`,
      caPem: files.caPem,
      adminKubeconfig: files.adminKubeconfig,
      get footprint() {
        return footprint;
      },
      inNetwork,
      kubectl,
      helm,
      importImage: (image) => importInto(inNode, image),
      logTail: async (daemon, lineCount) => {
        try {
          const text = await readFile(join(directories.root, 'logs', `${daemon}.log`), 'utf8');
          return text.trimEnd().split('\n').slice(-lineCount).join('\n');
        } catch {
          return `(no ${daemon} log)`;
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Starts several clusters in parallel (starting is mostly waiting). When one fails, the others that
 * did start are stopped before the error is thrown: a failed start leaves nothing on the host, and
 * the caller has no half-started set to clean up.
 */
export async function startNodeClusters(options: readonly NodeClusterOptions[]): Promise<NodeCluster[]> {
  const started = await Promise.allSettled(options.map((each) => startNodeCluster(each)));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure === undefined) {
    return started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  }
  await Promise.all(
    started.flatMap((result) => (result.status === 'fulfilled' ? [result.value.stop()] : [])),
  );
  throw failure.reason;
}

/** Imports `image` with ctr inside the node (containerd's socket is on the namespace's private /run). */
async function importInto(
  inNode: (binary: string, args: readonly string[]) => Promise<CommandResult>,
  image: NodeImage,
): Promise<void> {
  const imported = await inNode('ctr', [
    '--address=/run/containerd/containerd.sock',
    '--namespace=k8s.io',
    'images',
    'import',
    `--base-name=${image.baseName}`,
    image.archive,
  ]);
  if (imported.code !== 0) throw new Error(`importing ${image.archive}: ${imported.stderr}`);
  const listed = await inNode('ctr', [
    '--address=/run/containerd/containerd.sock',
    '--namespace=k8s.io',
    'images',
    'list',
    '-q',
  ]);
  if (!listed.stdout.split('\n').includes(image.reference)) {
    throw new Error(`importing ${image.archive} gave no ${image.reference}: ${listed.stdout}`);
  }
}

/** Starts the namespace holder and waits for its ready line. */
async function startHolder(netns: string, script: string, deadline: number): Promise<ManagedProcess> {
  let signalReady: () => void = () => undefined;
  const readyLine = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  const holder = startManagedProcess(
    'node namespace holder',
    'ip',
    ['netns', 'exec', netns, 'sh', '-c', script],
    {
      onOutput: (chunk) => {
        if (chunk.toString('utf8').includes(namespaceReadyLine)) signalReady();
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`the holder of ${netns} did not get ready`),
      Math.max(0, deadline - Date.now()),
    );
  });
  const failure = await Promise.race([
    readyLine.then(() => undefined),
    holder.exited.then(() => holder.exitReason()),
    timeout,
  ]);
  clearTimeout(timer);
  if (failure !== undefined) throw new Error(failure);
  return holder;
}

/**
 * Creates the kubelet's `cgroupRoot` in every hierarchy (the kubelet refuses to start without it).
 * cpuset children start with no CPUs or memory nodes: they get the root's.
 */
async function createCgroupRoot(mountPoints: readonly string[], cgroupRoot: string): Promise<void> {
  for (const mountPoint of mountPoints) {
    const cgroup = join(mountPoint, cgroupRoot);
    await mkdir(cgroup, { recursive: true });
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      try {
        await writeFile(join(cgroup, file), await readFile(join(mountPoint, file), 'utf8'));
      } catch {
        // not the cpuset hierarchy
      }
    }
  }
}

interface PemFiles {
  certificate: string;
  key: string;
}

interface NodeFiles {
  caPem: string;
  adminKubeconfig: string;
  controllerManagerKubeconfig: string;
  schedulerKubeconfig: string;
  kubeletKubeconfig: string;
  kubeletConfig: string;
  kubeProxyConfig: string;
  containerdConfig: string;
  pem: {
    ca: string;
    apiServer: PemFiles;
    apiServerKubeletClient: PemFiles;
    serviceAccountPublicKey: string;
    serviceAccountPrivateKey: string;
  };
}

/**
 * Writes every certificate, kubeconfig and config file of a cluster. Identities as kubeadm makes
 * them: the kubelet is `system:node:<name>` in `system:nodes` (Node authorizer), the controller
 * manager, scheduler and kube-proxy their `system:` users (bound by the API server's bootstrap
 * RBAC), the API server's kubelet client and the test's admin in `system:masters`.
 */
async function writeNodeFiles(
  name: string,
  netns: string,
  addresses: NodeAddresses,
  directories: NodeDirectories,
  sandboxImage: NodeImage,
): Promise<NodeFiles> {
  for (const directory of [
    directories.pki,
    directories.cniConfig,
    directories.kernelTunables,
    join(directories.root, 'logs'),
  ]) {
    await mkdir(directory, { recursive: true });
  }
  const ca = await createKubeClusterCa(name);
  const server = `https://${addresses.nodeIp}:${String(apiServerPort)}`;
  const writePem = async (fileName: string, pair: KubeKeyPair): Promise<PemFiles> => {
    const certificate = join(directories.pki, `${fileName}.crt`);
    const key = join(directories.pki, `${fileName}.key`);
    await writeFile(certificate, pair.certificatePem);
    await writeFile(key, pair.privateKeyPem, { mode: 0o600 });
    return { certificate, key };
  };
  const writeKubeconfig = async (
    fileName: string,
    user: string,
    groups: readonly string[],
  ): Promise<string> => {
    const path = join(directories.pki, `${fileName}.kubeconfig`);
    const identity = await issueKubeClientCertificate(ca, user, groups);
    await writeFile(path, kubeconfig(name, server, ca.certificatePem, user, identity), { mode: 0o600 });
    return path;
  };
  const caFile = join(directories.pki, 'ca.crt');
  await writeFile(caFile, ca.certificatePem);
  const serviceAccountKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serviceAccountPublicKey = join(directories.pki, 'sa.pub');
  const serviceAccountPrivateKey = join(directories.pki, 'sa.key');
  await writeFile(
    serviceAccountPublicKey,
    serviceAccountKeys.publicKey.export({ type: 'spki', format: 'pem' }),
  );
  await writeFile(
    serviceAccountPrivateKey,
    serviceAccountKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    {
      mode: 0o600,
    },
  );
  const apiServer = await writePem(
    'apiserver',
    await issueKubeServingCertificate(ca, {
      ips: [addresses.nodeIp, addresses.apiServiceIp, '127.0.0.1'],
      dnsNames: [
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        `kubernetes.default.svc.${clusterDomain}`,
      ],
    }),
  );
  const kubeletServing = await writePem(
    'kubelet',
    await issueKubeServingCertificate(
      ca,
      { ips: [addresses.nodeIp], dnsNames: [name] },
      `system:node:${name}`,
    ),
  );
  const apiServerKubeletClient = await writePem(
    'apiserver-kubelet-client',
    await issueKubeClientCertificate(ca, 'kube-apiserver-kubelet-client', ['system:masters']),
  );
  for (const file of kernelTunableFiles(directories)) await writeFile(file.path, file.contents);
  const kubeProxyKubeconfig = await writeKubeconfig('kube-proxy', 'system:kube-proxy', []);
  const files: NodeFiles = {
    caPem: ca.certificatePem,
    adminKubeconfig: await writeKubeconfig('admin', 'accord-admin', ['system:masters']),
    controllerManagerKubeconfig: await writeKubeconfig(
      'controller-manager',
      'system:kube-controller-manager',
      [],
    ),
    schedulerKubeconfig: await writeKubeconfig('scheduler', 'system:kube-scheduler', []),
    kubeletKubeconfig: await writeKubeconfig('kubelet', `system:node:${name}`, ['system:nodes']),
    kubeletConfig: join(directories.root, 'kubelet.yaml'),
    kubeProxyConfig: join(directories.root, 'kube-proxy.yaml'),
    containerdConfig: join(directories.root, 'containerd.toml'),
    pem: { ca: caFile, apiServer, apiServerKubeletClient, serviceAccountPublicKey, serviceAccountPrivateKey },
  };
  await writeFile(
    files.kubeletConfig,
    kubeletConfig(netns, addresses, directories, {
      clientCaFile: caFile,
      tlsCertFile: kubeletServing.certificate,
      tlsPrivateKeyFile: kubeletServing.key,
    }),
  );
  await writeFile(files.kubeProxyConfig, kubeProxyConfig(name, addresses, kubeProxyKubeconfig));
  await writeFile(files.containerdConfig, containerdConfigToml(directories, sandboxImage));
  await writeFile(
    join(directories.cniConfig, '10-accord-pods.conflist'),
    cniConfigList(addresses, directories),
  );
  return files;
}
