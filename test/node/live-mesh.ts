import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hubTrustDomain, repositoryServerId } from '../../demo/loopback-hub.js';
import { hashBasicPassword } from '../../translator/basic-credentials.js';
import { pollUntil } from '../e2e/poll-until.js';
import { createTestZone } from '../support/test-zone.js';
import { repositoryRoot } from '../support/test-tools.js';
import { type NodeCluster, startNodeClusters } from './node-cluster.js';
import { type NodeImage, builtNodeImage } from './node-images.js';
import { linkNodeClusters } from './node-link.js';
import {
  type KubeManifest,
  applyObjects,
  getJson,
  listPods,
  namespaceManifest,
  secretManifest,
  untilDeploymentsReady,
} from './node-objects.js';

/** The namespace Accord is installed into in every cluster (hub and zones). */
export const releaseNamespace = 'accord-system';
/** The Helm release of the zones. */
export const zoneRelease = 'accord';
/** The Helm release of the hub. */
export const hubRelease = 'accord-hub';
/** The mesh namespace of both zones, where the legacy workload runs. */
export const meshNamespace = 'mesh';
/** The legacy workload's name (Deployment, Service, ServiceAccount, MeshWorkload) in both zones. */
export const legacyApp = 'legacy';
/** The NodePort of each zone's legacy Service: the zone's ingress for the other zone's calls. */
export const legacyNodePort = 30080;
const legacyPort = 8080;
/** The local user the legacy app calls out as (checked by the outbound translator). */
const legacyClientUser = 'legacy-client';

/** The images the live mesh runs (docs/image.md). */
export interface LiveMeshImages {
  readonly accord: NodeImage;
  readonly envoy: NodeImage;
  readonly pause: NodeImage;
  readonly legacyApp: NodeImage;
}

/** The images of `npm run image`, built (or reused) one after the other: the builder serializes them anyway. */
export async function liveMeshImages(): Promise<LiveMeshImages> {
  return {
    accord: await builtNodeImage('accord'),
    envoy: await builtNodeImage('envoy'),
    pause: await builtNodeImage('pause'),
    legacyApp: await builtNodeImage('legacy-app'),
  };
}

/** Generous bounds for 2 shared cores: they are deadlines, not sleeps. */
const installTimeoutMs = 300_000;

/** One zone cluster of the live mesh and the secrets the test made for it. */
export class LiveZone {
  readonly trustDomain: string;
  /** The SPIFFE ID of this zone's legacy workload (its ServiceAccount). */
  readonly legacyWorkloadId: string;
  /** `user:password` the test reaches the legacy app's `/call` with. */
  readonly testerCredentials = `tester:${randomBytes(9).toString('base64url')}`;
  /** `user:password` the partner's calls reach this zone's app as (inbound translation). */
  readonly partnerCredentials: string;
  /** `user:password` the legacy app calls out with (outbound translation checks it). */
  readonly clientCredentials = `${legacyClientUser}:${randomBytes(9).toString('base64url')}`;
  readonly bootstrapTokens = {
    provider: randomBytes(24).toString('base64url'),
    operator: randomBytes(24).toString('base64url'),
  };
  /** This zone's PKI root, once its PKI has created it. */
  rootPem = '';

  constructor(
    readonly name: 'zone-a' | 'zone-b',
    readonly partnerName: 'zone-a' | 'zone-b',
    readonly cluster: NodeCluster,
  ) {
    this.trustDomain = `${name}.example`;
    this.legacyWorkloadId = `spiffe://${this.trustDomain}/ns/${meshNamespace}/sa/${legacyApp}`;
    this.partnerCredentials = `from-${partnerName}:${randomBytes(9).toString('base64url')}`;
  }
}

/** What one `kubectl`-driven call between the zones' pods returned. */
export interface CrossZoneCall {
  /** The status the calling app got from its sidecar (0 when the call itself failed). */
  readonly status: number;
  /** What the called app saw, when the call reached it. */
  readonly seenByPartner?: { user: string; headers: Record<string, string> };
  /** The raw answer, to explain a failed expectation. */
  readonly detail: string;
}

/** One Accord container's usage as the kubelet reports it (cgroup figures). */
export interface ContainerStats {
  readonly cluster: string;
  readonly pod: string;
  readonly container: string;
  readonly workingSetBytes: number;
  readonly cpuCoreNanoseconds: number;
}

/** The fields of the kubelet's `/stats/summary` pods that are read. */
interface KubeletPodStats {
  podRef: { name: string; namespace: string };
  containers?: {
    name: string;
    memory?: { workingSetBytes?: number };
    cpu?: { usageCoreNanoSeconds?: number };
  }[];
}

/** How often a waiting call is retried: each call is a process start in the namespace (~50 ms). */
const callPollIntervalMs = 100;

/**
 * Two zone clusters and a hub cluster on real nodes (test/node/node-cluster.ts), joined pairwise by
 * links, with Accord installed by `helm install` from charts/accord and a legacy workload per zone.
 * The steps are methods so that the end-to-end test and the benchmark drive and time them.
 */
export class LiveMesh {
  readonly zones: readonly [LiveZone, LiveZone];
  /** What the test applied as a user's own input, per cluster, as `kind/name` (kubectl's `-o name`). */
  readonly #inputs = new Map<NodeCluster, string[]>();
  #repositoryNodePort: number | undefined;
  #hubRootPem = '';

  private constructor(
    readonly hub: NodeCluster,
    zoneA: NodeCluster,
    zoneB: NodeCluster,
    readonly images: LiveMeshImages,
    readonly directory: string,
  ) {
    this.zones = [new LiveZone('zone-a', 'zone-b', zoneA), new LiveZone('zone-b', 'zone-a', zoneB)];
  }

  /**
   * Starts the three clusters (in parallel: it is mostly waiting) and joins each pair with a link:
   * the zones reach each other's NodePorts and the hub's repository NodePort.
   */
  static async start(images: LiveMeshImages, directory: string): Promise<LiveMesh> {
    await mkdir(directory, { recursive: true });
    const zoneImages = [images.accord, images.envoy, images.legacyApp];
    const clusters = await startNodeClusters([
      { name: 'zone-a', index: 1, sandboxImage: images.pause, images: zoneImages },
      { name: 'zone-b', index: 2, sandboxImage: images.pause, images: zoneImages },
      { name: 'hub', index: 3, sandboxImage: images.pause, images: [images.accord] },
    ]);
    const [zoneA, zoneB, hub] = clusters;
    try {
      if (zoneA === undefined || zoneB === undefined || hub === undefined) throw new Error('three clusters');
      await linkNodeClusters(zoneA, zoneB);
      await linkNodeClusters(zoneA, hub);
      await linkNodeClusters(zoneB, hub);
      return new LiveMesh(hub, zoneA, zoneB, images, directory);
    } catch (error) {
      await Promise.all(clusters.map((cluster) => cluster.stop()));
      throw error;
    }
  }

  /** Every cluster of the mesh. */
  get clusters(): NodeCluster[] {
    return [this.hub, ...this.zones.map((zone) => zone.cluster)];
  }

  /** Stops every cluster; each removes everything it put on the host. */
  async stop(): Promise<void> {
    await Promise.all(this.clusters.map((cluster) => cluster.stop()));
  }

  /** The hub repository's `host:port` as the zones reach it: the hub's node IP and NodePort. */
  get repositoryAddress(): string {
    if (this.#repositoryNodePort === undefined) throw new Error('the hub is not installed yet');
    return `${this.hub.addresses.nodeIp}:${String(this.#repositoryNodePort)}`;
  }

  /**
   * Installs Accord as its docs say: the hub release first (its repository's NodePort is the zones'
   * `provider.repositoryAddress`), then both zone releases; as soon as a zone PKI is Ready, its root
   * is distributed out of band the way an admin would (the zone's `accord-pki-root`, the hub's
   * enrolment Secret, the partner zone's copy for TrustContracts). Resolves once every Deployment of
   * the three releases has rolled out with every pod Ready through its probes.
   */
  async installAccord(): Promise<void> {
    await this.#installHub();
    await Promise.all(this.zones.map((zone) => this.#installZone(zone)));
    await Promise.all(this.zones.map((zone) => this.#distributeRoot(zone)));
    await Promise.all(
      this.clusters.map((cluster) => untilDeploymentsReady(cluster, releaseNamespace, installTimeoutMs)),
    );
  }

  /**
   * Applies objects a user creates as inputs (Secrets, ServiceAccounts, namespaces), remembering
   * their names: they are the user's, so an uninstall rightly leaves them.
   */
  async #applyInputs(cluster: NodeCluster, objects: readonly KubeManifest[]): Promise<void> {
    await applyObjects(cluster, objects);
    const names = this.#inputs.get(cluster) ?? [];
    for (const object of objects) names.push(`${object.kind.toLowerCase()}/${object.metadata.name}`);
    this.#inputs.set(cluster, names);
  }

  /** The inputs applied to `cluster` so far, as `kind/name`. */
  inputsOf(cluster: NodeCluster): string[] {
    return [...(this.#inputs.get(cluster) ?? [])];
  }

  /** Writes a values file (JSON is YAML) for `helm -f`. */
  async writeValues(path: string, values: unknown): Promise<string> {
    await writeFile(path, JSON.stringify(values, null, 2));
    return path;
  }

  /** `helm` of the chart in this checkout; throws with helm's message. */
  async helm(cluster: NodeCluster, args: readonly string[]): Promise<string> {
    const result = await cluster.helm(args, { timeoutMs: installTimeoutMs });
    if (result.code !== 0) throw new Error(`${cluster.name}: helm ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  /** The chart of this checkout. */
  get chart(): string {
    return join(repositoryRoot, 'charts', 'accord');
  }

  get #imageValues(): { repository: string; tag: string; pullPolicy: 'IfNotPresent' } {
    const reference = this.images.accord.reference;
    const colon = reference.lastIndexOf(':');
    return {
      repository: reference.slice(0, colon),
      tag: reference.slice(colon + 1),
      pullPolicy: 'IfNotPresent',
    };
  }

  async #installHub(): Promise<void> {
    // The repository's identity is an SVID of the hub's trust domain (`repositoryServerId`), from a
    // hub CA made here: a hub-mode release brings no PKI and takes its TLS Secret as an input.
    const hubZone = await createTestZone('hub', hubTrustDomain);
    this.#hubRootPem = hubZone.rootPem;
    const tls = await hubZone.issueWithUri(repositoryServerId);
    await this.#applyInputs(this.hub, [
      namespaceManifest(releaseNamespace),
      {
        ...secretManifest(releaseNamespace, 'accord-contract-repo-tls', {
          'tls.crt': tls.certificatePem,
          'tls.key': tls.privateKeyPem,
        }),
        type: 'kubernetes.io/tls',
      },
    ]);
    const values = await this.writeValues(join(this.directory, 'hub.values.json'), this.hubValues());
    await this.helm(this.hub, ['install', hubRelease, this.chart, '-n', releaseNamespace, '-f', values]);
    const port = await this.hub.kubectl([
      '-n',
      releaseNamespace,
      'get',
      'service',
      `${hubRelease}-contract-repo`,
      '-o',
      'jsonpath={.spec.ports[0].nodePort}',
    ]);
    this.#repositoryNodePort = Number(port.stdout);
    if (!Number.isInteger(this.#repositoryNodePort) || this.#repositoryNodePort <= 0)
      throw new Error(`the repository Service has no NodePort: ${port.stdout} ${port.stderr}`);
  }

  /** The hub's values: the repository with both zones enrolled, zone A's operator as its admin. */
  hubValues(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      mode: 'hub',
      image: this.#imageValues,
      repo: {
        admins: [`spiffe://zone-a.example${operatorSpiffePath}`],
        enrolledZones: this.zones.map((zone) => ({
          trustDomain: zone.trustDomain,
          rootCaSecret: { secretName: `${zone.name}-root`, key: 'ca.pem' },
        })),
        tlsSecretName: 'accord-contract-repo-tls',
        service: { type: 'NodePort' },
      },
      ...overrides,
    };
  }

  /** A zone's values: its PKI's bootstrap tokens, the hub, two operators, injection routed to the partner. */
  zoneValues(zone: LiveZone, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const partner = this.partnerOf(zone);
    return {
      mode: 'zone',
      image: this.#imageValues,
      zone: { trustDomain: zone.trustDomain, meshNamespaces: [meshNamespace] },
      provider: {
        repositoryAddress: this.repositoryAddress,
        repositoryServerId,
        repositoryCa: { secretName: 'accord-repository-ca', key: 'ca.pem' },
        pkiCa: { secretName: 'accord-pki-root', key: 'ca.pem' },
        bootstrapToken: { secretName: 'accord-provider-bootstrap-token', key: 'token' },
      },
      operator: {
        replicas: 2,
        zoneName: zone.name,
        bootstrapToken: { secretName: 'accord-operator-bootstrap-token', key: 'token' },
        // Short enough that a deleted leader is replaced within seconds.
        leaderElection: { leaseDuration: '6s', renewDeadline: '4s', retryPeriod: '1s' },
        resyncInterval: '5s',
        injection: {
          enabled: true,
          envoy: { image: this.images.envoy.reference },
          remoteZones: [
            {
              trustDomain: partner.trustDomain,
              hostSuffix: partner.name,
              endpoint: { host: partner.cluster.addresses.nodeIp, port: legacyNodePort },
            },
          ],
        },
      },
      ...overrides,
    };
  }

  /** The other zone. */
  partnerOf(zone: LiveZone): LiveZone {
    const partner = this.zones.find((candidate) => candidate.name === zone.partnerName);
    if (partner === undefined) throw new Error(`${zone.name} has no partner`);
    return partner;
  }

  async #installZone(zone: LiveZone): Promise<void> {
    await this.#applyInputs(zone.cluster, [
      namespaceManifest(releaseNamespace),
      namespaceManifest(meshNamespace, { 'accord.dev/mesh': 'enabled' }),
      secretManifest(releaseNamespace, 'accord-repository-ca', { 'ca.pem': this.#hubRootPem }),
      secretManifest(releaseNamespace, 'accord-provider-bootstrap-token', {
        token: zone.bootstrapTokens.provider,
      }),
      secretManifest(releaseNamespace, 'accord-operator-bootstrap-token', {
        token: zone.bootstrapTokens.operator,
      }),
    ]);
    const values = await this.writeValues(
      join(this.directory, `${zone.name}.values.json`),
      this.zoneValues(zone),
    );
    await this.helm(zone.cluster, ['install', zoneRelease, this.chart, '-n', releaseNamespace, '-f', values]);
  }

  /** Waits for the zone PKI's root (its CA Secret), then publishes it where it is needed. */
  async #distributeRoot(zone: LiveZone): Promise<void> {
    zone.rootPem = await pollUntil(
      `${zone.name}: the PKI created its root`,
      async () => this.readZoneRoot(zone),
      installTimeoutMs,
      500,
    );
    const rootSecret = (name: string) => secretManifest(releaseNamespace, name, { 'ca.pem': zone.rootPem });
    await this.#applyInputs(zone.cluster, [rootSecret('accord-pki-root')]);
    await this.#applyInputs(this.hub, [rootSecret(`${zone.name}-root`)]);
    await this.#applyInputs(this.partnerOf(zone).cluster, [rootSecret(`${zone.name}-root`)]);
  }

  /** The zone's signing root as its PKI stored it (`ca-state.json` of the CA Secret), or undefined. */
  async readZoneRoot(zone: LiveZone): Promise<string | undefined> {
    const secret = await zone.cluster.kubectl([
      '-n',
      releaseNamespace,
      'get',
      'secret',
      `${zoneRelease}-pki-ca`,
      '-o',
      'jsonpath={.data.ca-state\\.json}',
    ]);
    if (secret.code !== 0 || secret.stdout === '') return undefined;
    const state = JSON.parse(Buffer.from(secret.stdout, 'base64').toString('utf8')) as {
      roots: { certificatePem: string }[];
    };
    return state.roots[0]?.certificatePem;
  }

  /**
   * Deploys the legacy workload in both zones: an app that speaks only Basic, its MeshWorkload
   * (Basic in both directions), the Secrets the translator reads, and a NodePort Service (the
   * zone's ingress for the partner). Resolves once both Deployments have rolled out with their
   * sidecars injected and Ready.
   */
  async deployLegacyWorkloads(): Promise<void> {
    await Promise.all(
      this.zones.map(async (zone) => this.#applyInputs(zone.cluster, await this.legacyManifests(zone))),
    );
    await Promise.all(
      this.zones.map((zone) => untilDeploymentsReady(zone.cluster, meshNamespace, installTimeoutMs)),
    );
  }

  /** The legacy workload of `zone` and everything its MeshWorkload names. */
  async legacyManifests(zone: LiveZone): Promise<KubeManifest[]> {
    const partner = this.partnerOf(zone);
    const [partnerUser, partnerPassword] = splitCredentials(zone.partnerCredentials);
    const [clientUser, clientPassword] = splitCredentials(zone.clientCredentials);
    const labels = { app: legacyApp };
    return [
      secretManifest(meshNamespace, `${legacyApp}-inbound-users`, {
        'credentials.yaml': JSON.stringify({
          mappings: [
            { workload: partner.legacyWorkloadId, username: partnerUser, password: partnerPassword },
          ],
        }),
      }),
      secretManifest(meshNamespace, `${legacyApp}-outbound-users`, {
        'users.yaml': JSON.stringify({ users: { [clientUser]: await hashBasicPassword(clientPassword) } }),
      }),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: legacyApp, namespace: meshNamespace } },
      {
        apiVersion: 'accord.dev/v1alpha1',
        kind: 'MeshWorkload',
        metadata: { name: legacyApp, namespace: meshNamespace },
        spec: {
          selector: { matchLabels: labels },
          port: legacyPort,
          inbound: { type: 'basic', basic: { usersSecretName: `${legacyApp}-inbound-users` } },
          outbound: { type: 'basic', basic: { usersSecretName: `${legacyApp}-outbound-users` } },
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: legacyApp, namespace: meshNamespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: legacyApp,
              securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 },
              containers: [
                {
                  name: 'app',
                  image: this.images.legacyApp.reference,
                  imagePullPolicy: 'IfNotPresent',
                  env: [
                    { name: 'PORT', value: String(legacyPort) },
                    { name: 'LEGACY_USERS', value: `${zone.testerCredentials},${zone.partnerCredentials}` },
                    { name: 'LEGACY_CALL_CREDENTIALS', value: zone.clientCredentials },
                  ],
                  ports: [{ name: 'http', containerPort: legacyPort }],
                  readinessProbe: { httpGet: { path: '/healthz', port: legacyPort }, periodSeconds: 2 },
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ['ALL'] },
                  },
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: legacyApp, namespace: meshNamespace },
        spec: {
          type: 'NodePort',
          selector: labels,
          ports: [{ name: 'http', port: legacyPort, targetPort: legacyPort, nodePort: legacyNodePort }],
        },
      },
    ];
  }

  /**
   * Zone `from`'s legacy app calls the partner's legacy app, as the app would: the test asks the app
   * (`GET /call`, on its pod IP, from inside the node) to call `http://legacy.<partner>/hello`
   * through its HTTP_PROXY, i.e. the injected Envoy, which routes `*.<partner>` to the partner's
   * ingress (its NodePort) over mTLS.
   */
  async callPartner(from: LiveZone): Promise<CrossZoneCall> {
    const [pod] = (await listPods(from.cluster, meshNamespace, `app=${legacyApp}`)).filter(
      (candidate) =>
        candidate.metadata.deletionTimestamp === undefined && candidate.status.podIP !== undefined,
    );
    if (pod?.status.podIP === undefined) return { status: 0, detail: 'no legacy pod with an IP' };
    const target = `http://${legacyApp}.${from.partnerName}/hello`;
    const url = `http://${pod.status.podIP}:${String(legacyPort)}/call?url=${encodeURIComponent(target)}`;
    const answer = await from.cluster.inNetwork(
      process.execPath,
      ['-e', httpGetScript, url, from.testerCredentials],
      {
        timeoutMs: 30_000,
      },
    );
    const detail = `${answer.stdout} ${answer.stderr}`.trim();
    let outer: { status?: number; body?: string };
    try {
      outer = JSON.parse(answer.stdout) as { status?: number; body?: string };
    } catch {
      return { status: 0, detail };
    }
    if (outer.status !== 200 || outer.body === undefined) return { status: 0, detail };
    const inner = JSON.parse(outer.body) as { status?: number; body?: string; error?: string };
    const status = inner.status ?? 0;
    if (status !== 200 || inner.body === undefined) return { status, detail };
    try {
      const seen = JSON.parse(inner.body) as { user: string; headers: Record<string, string> };
      return { status, seenByPartner: seen, detail };
    } catch {
      return { status, detail };
    }
  }

  /**
   * Zone `from`'s legacy pod presents its own X509-SVID (the one its translator obtained and wrote
   * for Envoy) straight to the partner's ingress, in a TLS handshake from inside the pod's
   * translator container. Resolves with `accepted` or the TLS error the partner's Envoy caused.
   */
  async handshakeWithPartner(from: LiveZone): Promise<string> {
    const partner = this.partnerOf(from);
    const [pod] = await listPods(from.cluster, meshNamespace, `app=${legacyApp}`);
    if (pod === undefined) throw new Error(`${from.name}: no legacy pod`);
    const result = await from.cluster.kubectl([
      '-n',
      meshNamespace,
      'exec',
      pod.metadata.name,
      '-c',
      'accord-translator',
      '--',
      'node',
      '-e',
      svidHandshakeScript,
      partner.cluster.addresses.nodeIp,
      String(legacyNodePort),
    ]);
    if (result.code !== 0) throw new Error(`${from.name}: handshake script: ${result.stderr}`);
    return result.stdout;
  }

  /** The TrustContract `id` between the zones as `zone` applies it: its root inline, the partner's by Secret. */
  trustContract(id: string, zone: LiveZone): KubeManifest {
    return {
      apiVersion: 'accord.dev/v1alpha1',
      kind: 'TrustContract',
      metadata: { name: id },
      spec: {
        participants: this.zones.map((participant) => ({
          name: participant.name,
          trustDomain: participant.trustDomain,
          root:
            participant === zone
              ? { pem: participant.rootPem }
              : {
                  secretKeyRef: {
                    namespace: releaseNamespace,
                    name: `${participant.name}-root`,
                    key: 'ca.pem',
                  },
                },
        })),
      },
    };
  }

  /** `kubectl apply` of TrustContract `id` in `zone`, as `trustContract` writes it. */
  async applyContract(zone: LiveZone, id: string): Promise<void> {
    await applyObjects(zone.cluster, [this.trustContract(id, zone)]);
  }

  /** Calls from `from` until one reaches the partner's app; resolves with it. */
  async untilCallSucceeds(from: LiveZone, timeoutMs: number): Promise<CrossZoneCall> {
    return pollUntil(
      `${from.name} -> ${from.partnerName}: a successful call`,
      async () => {
        const call = await this.callPartner(from);
        return call.status === 200 && call.seenByPartner !== undefined ? call : undefined;
      },
      timeoutMs,
      callPollIntervalMs,
    );
  }

  /** Calls from `from` until one is refused (does not reach the partner's app); resolves with it. */
  async untilCallRefused(from: LiveZone, timeoutMs: number): Promise<CrossZoneCall> {
    return pollUntil(
      `${from.name} -> ${from.partnerName}: a refused call`,
      async () => {
        const call = await this.callPartner(from);
        return call.seenByPartner === undefined ? call : undefined;
      },
      timeoutMs,
      callPollIntervalMs,
    );
  }

  /**
   * Memory and CPU of every Accord container (the release's pods and the injected sidecars), as each
   * node's kubelet reports them from the containers' cgroups (`/stats/summary`, through the API
   * server's node proxy).
   */
  async accordContainerStats(): Promise<ContainerStats[]> {
    const stats: ContainerStats[] = [];
    for (const cluster of this.clusters) {
      const summary = await cluster.kubectl([
        'get',
        '--raw',
        `/api/v1/nodes/${cluster.name}/proxy/stats/summary`,
      ]);
      if (summary.code !== 0) throw new Error(`${cluster.name}: kubelet stats: ${summary.stderr}`);
      const { pods } = JSON.parse(summary.stdout) as { pods?: KubeletPodStats[] };
      for (const pod of pods ?? []) {
        for (const container of pod.containers ?? []) {
          const isAccord =
            pod.podRef.namespace === releaseNamespace ||
            (pod.podRef.namespace === meshNamespace && container.name.startsWith('accord-'));
          if (!isAccord) continue;
          stats.push({
            cluster: cluster.name,
            pod: pod.podRef.name,
            container: container.name,
            workingSetBytes: container.memory?.workingSetBytes ?? 0,
            cpuCoreNanoseconds: container.cpu?.usageCoreNanoSeconds ?? 0,
          });
        }
      }
    }
    return stats;
  }

  /** The `state` a zone's operator reported for TrustContract `id` (undefined while it has none). */
  async contractState(zone: LiveZone, id: string): Promise<string | undefined> {
    const result = await zone.cluster.kubectl(['get', 'trustcontract', id, '-o', 'jsonpath={.status.state}']);
    return result.code === 0 && result.stdout !== '' ? result.stdout : undefined;
  }

  /** Names of the bundle Secrets the provider wrote into the mesh namespace. */
  async bundleSecretKeys(zone: LiveZone): Promise<string[]> {
    const secret = await getJson<{ data?: Record<string, string> }>(zone.cluster, [
      'secret',
      '-n',
      meshNamespace,
      'accord-bundle-map',
    ]).catch(() => ({ data: undefined }));
    return Object.keys(secret.data ?? {}).sort();
  }
}

/** The operator's SPIFFE ID path (its bootstrap token's, in every zone PKI): zone A's is the hub's admin. */
const operatorSpiffePath = '/accord/operator';

function splitCredentials(credentials: string): [string, string] {
  const colon = credentials.indexOf(':');
  return [credentials.slice(0, colon), credentials.slice(colon + 1)];
}

/**
 * Run with `node -e` inside a namespace: GET argv[1] with Basic argv[2], print `{status, body}`.
 * (The test process cannot open sockets in another network namespace; a child can.)
 */
const httpGetScript = `
const [url, credentials] = process.argv.slice(1);
fetch(url, { headers: { authorization: 'Basic ' + Buffer.from(credentials).toString('base64') }, signal: AbortSignal.timeout(25000) })
  .then(async (response) => console.log(JSON.stringify({ status: response.status, body: await response.text() })))
  .catch((error) => console.log(JSON.stringify({ status: 0, error: String(error.cause ?? error) })));
`;

/**
 * Run with \`node -e\` in the translator container: a TLS connection to argv[1]:argv[2] with the
 * pod's SVID (/var/run/accord/sds/svid), any server certificate accepted (what is tested is whether the
 * server accepts this client), one HTTP request; prints \`accepted\` when an answer comes, else the
 * TLS error (with TLS 1.3 a refused client certificate arrives as an alert after the handshake).
 */
const svidHandshakeScript = `
const tls = require('node:tls');
const fs = require('node:fs');
const [host, port] = process.argv.slice(1);
const socket = tls.connect({ host, port: Number(port), servername: 'legacy', rejectUnauthorized: false,
  cert: fs.readFileSync('/var/run/accord/sds/svid/cert.pem'), key: fs.readFileSync('/var/run/accord/sds/svid/key.pem') });
socket.setTimeout(10000, () => { console.log('timeout'); socket.destroy(); });
socket.on('secureConnect', () => socket.write('GET /hello HTTP/1.1\\r\\nhost: legacy\\r\\nconnection: close\\r\\n\\r\\n'));
socket.once('data', () => { console.log('accepted'); socket.destroy(); });
socket.on('error', (error) => { console.log(error.message); });
socket.on('close', () => process.exit(0));
`;
