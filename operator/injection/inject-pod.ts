import { bundleMapSecretName } from '../../lib/bundle/bundle-secret-layout.js';
import { type MeshWorkload, selectorMatches } from '../mesh-workload/mesh-workload.js';
import { workloadSecretFiles } from './workload-secret-files.js';

/** Set on every injected pod; its value is the injector's version. Its presence makes injection a no-op. */
export const injectedAnnotation = 'accord.dev/injected';
/** `"false"` on a pod keeps it out of the mesh even when a MeshWorkload selects it. */
export const injectAnnotation = 'accord.dev/inject';
/** Names the MeshWorkload a pod was injected for (the one whose sidecar ConfigMap it mounts). */
export const meshWorkloadAnnotation = 'accord.dev/mesh-workload';

/** The injected containers' names; either being present means the pod is already injected. */
export const envoyContainerName = 'accord-envoy';
export const translatorContainerName = 'accord-translator';

/**
 * Whether the pod has a container named `name` among its containers or its init containers (the
 * sidecars are native sidecars: init containers with `restartPolicy: Always`).
 */
export function hasContainerNamed(pod: PodJson, name: string): boolean {
  const spec = pod.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].some((c) => c.name === name);
}

/**
 * Ports inside every meshed pod besides Envoy's two listeners (which come from the injection
 * settings). High and fixed, so they do not collide with the application's own ports.
 */
export const sidecarLocalPorts = {
  /** Envoy's admin interface, on 127.0.0.1 only. */
  envoyAdmin: 15000,
  /** The translator's ext_authz gRPC server, on 127.0.0.1 only (Envoy's `accord_translator` cluster). */
  translator: 15081,
  /**
   * The translator's metrics and health, on the pod's address: the kubelet probes `/readyz` there
   * (it cannot reach 127.0.0.1) and Prometheus scrapes `/metrics`.
   */
  translatorOps: 15082,
} as const;

/** The injected volumes' names. */
export const sidecarConfigVolumeName = 'accord-sidecar-config';
export const sdsVolumeName = 'accord-sds';
export const trustBundlesVolumeName = 'accord-trust-bundles';
export const pkiTokenVolumeName = 'accord-pki-token';

/** Where the injected containers see the volumes. */
export const sidecarConfigMountPath = '/etc/accord/sidecar';
export const sdsMountPath = '/var/run/accord/sds';
export const trustBundlesMountPath = '/var/run/accord/bundles';
export const pkiTokenMountPath = '/var/run/accord/pki-token';

/**
 * The projected ServiceAccount token the translator presents to the zone PKI for its SVID and WIT:
 * bound to the pod, for the PKI's audience only (useless against the API server), renewed by the
 * kubelet before it expires.
 */
export const pkiToken = {
  audience: 'accord-pki',
  expirationSeconds: 3600,
  fileName: 'token',
  path: `${pkiTokenMountPath}/token`,
} as const;

/** The ConfigMap keys of the sidecar configuration (rendered per MeshWorkload, see docs/injection.md). */
export const sidecarConfigKeys = {
  envoyBootstrap: 'envoy.yaml',
  translatorConfig: 'translator.yaml',
  /** The zone's roots (public): what the translator authenticates the zone PKI with on first contact. */
  zoneRoots: 'zone-roots.pem',
} as const;

/**
 * The ConfigMap, in the MeshWorkload's namespace, holding the Envoy bootstrap (operator/envoy's
 * `sidecarBootstrap`) and the translator config of every pod the MeshWorkload selects. Per
 * workload, not per pod: the bootstrap depends on the workload's ports and zones only; the pod's
 * own identity reaches Envoy through `--service-node`.
 */
export function sidecarConfigMapName(meshWorkloadName: string): string {
  return `accord-sidecar-${meshWorkloadName}`;
}

/** CPU and memory of an injected container, as in a container's `resources`. */
export interface ContainerResources {
  requests?: Readonly<Record<string, string>>;
  limits?: Readonly<Record<string, string>>;
}

/** What the injector puts into pods; from the operator config. */
export interface InjectionSettings {
  /** The value of `accord.dev/injected`: the injector's version. */
  version: string;
  /** Accord's own namespace: its pods are never injected (nor are kube-system's). */
  accordNamespace: string;
  envoy: {
    image: string;
    /** The mTLS listener remote zones connect to (the Service's target port once redirected). */
    inboundPort: number;
    /** The plain-HTTP listener on 127.0.0.1 the app reaches through HTTP_PROXY. */
    outboundPort: number;
    resources?: ContainerResources;
  };
  translator: { image: string; resources?: ContainerResources };
}

/** One RFC 6902 operation; injection only adds and replaces. */
export type JsonPatchOperation =
  { op: 'add'; path: string; value: unknown } | { op: 'replace'; path: string; value: unknown };

/** Why a pod was (not) injected: the webhook's metric label and log field. */
export type InjectionOutcome =
  'Injected' | 'AlreadyInjected' | 'NotSelected' | 'OptedOut' | 'ExcludedNamespace';

/** What to do with a pod. `patch` is empty unless `outcome` is `Injected`. */
export interface InjectionDecision {
  outcome: InjectionOutcome;
  patch: JsonPatchOperation[];
  /** The MeshWorkload the pod was injected for. */
  meshWorkload?: string;
  /** For the AdmissionReview's `warnings`, e.g. several MeshWorkloads selecting one pod. */
  warnings: string[];
}

/** A pod as plain JSON: only what injection reads is typed, the rest passes through. */
export interface PodJson {
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: {
    containers?: ContainerJson[];
    initContainers?: ContainerJson[];
    volumes?: VolumeJson[];
  };
}

/** A volume as plain JSON. */
export interface VolumeJson {
  name: string;
  [field: string]: unknown;
}

/** A container as plain JSON. */
export interface ContainerJson {
  name: string;
  env?: EnvVarJson[];
  [field: string]: unknown;
}

/** An environment variable as plain JSON. */
export interface EnvVarJson {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** Namespaces whose pods are never injected whatever selects them. */
const systemNamespaces: readonly string[] = ['kube-system'];

/** Loopback in every spelling a client library compares against; Envoy is only for other zones. */
const noProxy = 'localhost,127.0.0.1,::1';

/**
 * The hardened container securityContext of the chart (`accord.containerSecurityContext`): the
 * sidecars run as an unprivileged user on a read-only root file system with no capabilities.
 */
export const sidecarSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/**
 * Decides the sidecar injection of one pod at admission, as a JSON patch. Pure: the webhook passes
 * the pod, the MeshWorkloads of the pod's namespace and the settings.
 *
 * Skipped (empty patch): pods in kube-system or Accord's namespace, pods annotated
 * `accord.dev/inject: "false"`, pods no MeshWorkload selects, and pods already injected (annotation
 * or either sidecar container present), which makes injection idempotent: applying the patch and
 * deciding again yields an empty patch. When several MeshWorkloads select a pod, the first by name
 * wins, deterministically, and a warning says so.
 *
 * @param namespace the pod's namespace (the AdmissionReview's `request.namespace`; a pod being
 *   created often has none in its metadata)
 */
export function injectPod(
  pod: PodJson,
  namespace: string,
  meshWorkloads: readonly MeshWorkload[],
  settings: InjectionSettings,
): InjectionDecision {
  const skip = (outcome: InjectionOutcome): InjectionDecision => ({ outcome, patch: [], warnings: [] });
  if (systemNamespaces.includes(namespace) || namespace === settings.accordNamespace) {
    return skip('ExcludedNamespace');
  }
  const annotations = pod.metadata?.annotations ?? {};
  const containers = pod.spec?.containers ?? [];
  if (
    annotations[injectedAnnotation] !== undefined ||
    hasContainerNamed(pod, envoyContainerName) ||
    hasContainerNamed(pod, translatorContainerName)
  ) {
    return skip('AlreadyInjected');
  }
  if (annotations[injectAnnotation] === 'false') return skip('OptedOut');
  const labels = pod.metadata?.labels ?? {};
  const selecting = meshWorkloads
    .filter((workload) => workload.namespace === namespace && selectorMatches(workload.selector, labels))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const workload = selecting[0];
  if (workload === undefined) return skip('NotSelected');
  const warnings =
    selecting.length > 1
      ? [
          `several MeshWorkloads select this pod (${selecting.map((w) => w.name).join(', ')}); ` +
            `injected for ${workload.name}`,
        ]
      : [];
  return {
    outcome: 'Injected',
    patch: [
      ...annotationPatch(pod, {
        [injectedAnnotation]: settings.version,
        [meshWorkloadAnnotation]: workload.name,
      }),
      ...containers.flatMap((container, index) => proxyEnvPatch(container, index, settings)),
      ...sidecarsPatch(pod, [translatorContainer(workload, settings), envoyContainer(workload, settings)]),
      ...volumesPatch(pod, sidecarVolumes(workload)),
    ],
    meshWorkload: workload.name,
    warnings,
  };
}

/** Escapes a key for a JSON pointer (RFC 6901): `accord.dev/injected` → `accord.dev~1injected`. */
export function jsonPointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function annotationPatch(pod: PodJson, added: Record<string, string>): JsonPatchOperation[] {
  if (pod.metadata?.annotations === undefined) {
    // `add /metadata/annotations` needs `/metadata`, which every pod sent for admission has.
    return [{ op: 'add', path: '/metadata/annotations', value: added }];
  }
  return Object.entries(added).map(([key, value]) => ({
    op: 'add',
    path: `/metadata/annotations/${jsonPointerToken(key)}`,
    value,
  }));
}

/**
 * Points the app container's HTTP clients at Envoy's outbound listener. An existing value of the
 * same variable is replaced, not duplicated: a pod in the mesh reaches other zones through Envoy.
 */
function proxyEnvPatch(
  container: ContainerJson,
  index: number,
  settings: InjectionSettings,
): JsonPatchOperation[] {
  const proxyUrl = `http://127.0.0.1:${String(settings.envoy.outboundPort)}`;
  const wanted: EnvVarJson[] = [
    { name: 'HTTP_PROXY', value: proxyUrl },
    { name: 'http_proxy', value: proxyUrl },
    { name: 'NO_PROXY', value: noProxy },
    { name: 'no_proxy', value: noProxy },
  ];
  const base = `/spec/containers/${String(index)}/env`;
  if (container.env === undefined) return [{ op: 'add', path: base, value: wanted }];
  const env = container.env;
  return wanted.map((variable): JsonPatchOperation => {
    const existing = env.findIndex((e) => e.name === variable.name);
    return existing === -1
      ? { op: 'add', path: `${base}/-`, value: variable }
      : { op: 'replace', path: `${base}/${String(existing)}`, value: variable };
  });
}

/**
 * Puts the sidecars first among the init containers, in order, as native sidecars: the kubelet
 * starts each and waits for its startup probe before the next init container and before the app,
 * keeps them running beside the app, and stops them after it, so a Job's pod still completes.
 * First, so the pod's own init containers already run in the mesh.
 */
function sidecarsPatch(pod: PodJson, sidecars: ContainerJson[]): JsonPatchOperation[] {
  if (pod.spec?.initContainers === undefined)
    return [{ op: 'add', path: '/spec/initContainers', value: sidecars }];
  // Each `add` at index 0 goes in front of the previous one, so add them last to first.
  return [...sidecars]
    .reverse()
    .map((sidecar): JsonPatchOperation => ({ op: 'add', path: '/spec/initContainers/0', value: sidecar }));
}

function volumesPatch(pod: PodJson, volumes: VolumeJson[]): JsonPatchOperation[] {
  if (pod.spec?.volumes === undefined) return [{ op: 'add', path: '/spec/volumes', value: volumes }];
  return volumes.map((volume) => ({ op: 'add', path: '/spec/volumes/-', value: volume }));
}

const podIdentityEnv: EnvVarJson[] = [
  { name: 'ACCORD_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: 'ACCORD_POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
];

/** Envoy worker threads per injected sidecar (`--concurrency`). */
export const sidecarEnvoyWorkers = 2;

function envoyContainer(workload: MeshWorkload, settings: InjectionSettings): ContainerJson {
  return {
    name: envoyContainerName,
    image: settings.envoy.image,
    args: [
      '--config-path',
      `${sidecarConfigMountPath}/${sidecarConfigKeys.envoyBootstrap}`,
      // Overrides the bootstrap's node: one ConfigMap per workload, a node id per pod.
      '--service-node',
      '$(ACCORD_POD_NAME).$(ACCORD_POD_NAMESPACE)',
      '--service-cluster',
      workload.name,
      '--disable-hot-restart',
      // Two workers, as Istio's sidecars have: by default Envoy starts one per CPU the node has
      // (dozens on a large node), each with its own connections and pools, for one workload's traffic.
      '--concurrency',
      String(sidecarEnvoyWorkers),
      '--log-level',
      'warn',
    ],
    env: podIdentityEnv,
    ports: [{ name: 'accord-inbound', containerPort: settings.envoy.inboundPort, protocol: 'TCP' }],
    restartPolicy: 'Always',
    // The app starts once Envoy listens: its first call out never meets a proxy that is not there.
    startupProbe: { tcpSocket: { port: settings.envoy.inboundPort }, periodSeconds: 1, failureThreshold: 60 },
    volumeMounts: [
      { name: sidecarConfigVolumeName, mountPath: sidecarConfigMountPath, readOnly: true },
      { name: sdsVolumeName, mountPath: sdsMountPath, readOnly: true },
    ],
    securityContext: sidecarSecurityContext,
    ...(settings.envoy.resources === undefined ? {} : { resources: settings.envoy.resources }),
  };
}

function translatorContainer(workload: MeshWorkload, settings: InjectionSettings): ContainerJson {
  return {
    name: translatorContainerName,
    image: settings.translator.image,
    // The Accord image holds every binary and runs none by default (docs/image.md): name it.
    command: ['accord-translator'],
    args: ['--config', `${sidecarConfigMountPath}/${sidecarConfigKeys.translatorConfig}`],
    restartPolicy: 'Always',
    ports: [{ name: 'accord-ops', containerPort: sidecarLocalPorts.translatorOps, protocol: 'TCP' }],
    // Ready once the SVID and Envoy's SDS files are written: Envoy (next) refuses to start while
    // a secret file it names is missing, so it waits for this. Up to two minutes for the PKI.
    startupProbe: {
      httpGet: { path: '/readyz', port: sidecarLocalPorts.translatorOps },
      periodSeconds: 1,
      failureThreshold: 120,
    },
    env: [
      ...podIdentityEnv,
      { name: 'ACCORD_MESH_WORKLOAD', value: workload.name },
      { name: 'ACCORD_SDS_DIRECTORY', value: sdsMountPath },
      { name: 'ACCORD_BUNDLE_DIRECTORY', value: trustBundlesMountPath },
    ],
    volumeMounts: [
      { name: sidecarConfigVolumeName, mountPath: sidecarConfigMountPath, readOnly: true },
      // The translator writes the SVID and the SDS files Envoy watches (docs/envoy.md).
      { name: sdsVolumeName, mountPath: sdsMountPath },
      { name: trustBundlesVolumeName, mountPath: trustBundlesMountPath, readOnly: true },
      { name: pkiTokenVolumeName, mountPath: pkiTokenMountPath, readOnly: true },
      ...workloadSecretFiles(workload).map((file) => ({
        name: file.volumeName,
        mountPath: file.mountPath,
        readOnly: true,
      })),
    ],
    securityContext: sidecarSecurityContext,
    ...(settings.translator.resources === undefined ? {} : { resources: settings.translator.resources }),
  };
}

function sidecarVolumes(workload: MeshWorkload): VolumeJson[] {
  return [
    { name: sidecarConfigVolumeName, configMap: { name: sidecarConfigMapName(workload.name) } },
    // Memory-backed: the workload's private key never touches the node's disk.
    { name: sdsVolumeName, emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
    // The provider's map Secret holds every partner zone's files under their local-mode names, so
    // mounted whole it is the bundle directory the translator reads (the own zone comes from the
    // PKI). Optional: before the first contract there is nothing to trust, and the pod still starts.
    { name: trustBundlesVolumeName, secret: { secretName: bundleMapSecretName, optional: true } },
    {
      name: pkiTokenVolumeName,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: pkiToken.audience,
              expirationSeconds: pkiToken.expirationSeconds,
              path: pkiToken.fileName,
            },
          },
        ],
      },
    },
    // Not optional, like the sidecar ConfigMap: without its credentials the translator cannot work.
    ...workloadSecretFiles(workload).map((file) => ({
      name: file.volumeName,
      secret: { secretName: file.secretName, items: [{ key: file.key, path: file.key }] },
    })),
  ];
}
