import type { NodeCluster } from './node-cluster.js';
import { pollUntil } from '../e2e/poll-until.js';

/** A Kubernetes object as `kubectl apply` takes it. */
export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** `kubectl apply` of `objects` (a JSON `List`) as the admin; throws with kubectl's message. */
export async function applyObjects(cluster: NodeCluster, objects: readonly KubeManifest[]): Promise<void> {
  const applied = await cluster.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  if (applied.code !== 0) throw new Error(`${cluster.name}: kubectl apply: ${applied.stderr}`);
}

/** An Opaque Secret holding `data` as strings. */
export function secretManifest(
  namespace: string,
  name: string,
  data: Readonly<Record<string, string>>,
): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    stringData: data,
  };
}

/** A namespace with labels. */
export function namespaceManifest(name: string, labels: Readonly<Record<string, string>> = {}): KubeManifest {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** `kubectl get … -o json` parsed; throws with kubectl's message when it fails. */
export async function getJson<T>(cluster: NodeCluster, args: readonly string[]): Promise<T> {
  const result = await cluster.kubectl(['get', ...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`${cluster.name}: kubectl get ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** The fields of a pod the tests read. */
export interface PodJson {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: {
    containers: ContainerJson[];
    initContainers?: ContainerJson[];
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatusJson[];
    initContainerStatuses?: ContainerStatusJson[];
  };
}

/** The fields of a container the tests read. */
export interface ContainerJson {
  name: string;
  image: string;
  restartPolicy?: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; readOnlyRootFilesystem?: boolean };
}

/** The fields of a container status the tests read. */
export interface ContainerStatusJson {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  containerID?: string;
  state?: { running?: { startedAt: string } };
}

/** Whether a pod's `Ready` condition is True (and it is not being deleted). */
export function isPodReady(pod: PodJson): boolean {
  return (
    pod.metadata.deletionTimestamp === undefined &&
    (pod.status.conditions ?? []).some(
      (condition) => condition.type === 'Ready' && condition.status === 'True',
    )
  );
}

/** The pods of a namespace, optionally by label selector. */
export async function listPods(
  cluster: NodeCluster,
  namespace: string,
  selector?: string,
): Promise<PodJson[]> {
  const args = ['pods', '-n', namespace, ...(selector === undefined ? [] : ['-l', selector])];
  return (await getJson<{ items: PodJson[] }>(cluster, args)).items;
}

/** The fields of a Deployment the tests read. */
interface DeploymentJson {
  metadata: { name: string; generation: number };
  spec: { replicas: number; selector: { matchLabels: Record<string, string> } };
  status: {
    observedGeneration?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    replicas?: number;
  };
}

/**
 * Waits until every Deployment of `namespace` has rolled out: the current generation observed, and
 * as many updated, ready replicas as wanted and no others (an old pod still terminating counts).
 */
export async function untilDeploymentsReady(
  cluster: NodeCluster,
  namespace: string,
  timeoutMs: number,
): Promise<void> {
  let pending: DeploymentJson[] = [];
  await pollUntil(
    `${cluster.name}: every Deployment in ${namespace} rolled out`,
    async () => {
      const { items } = await getJson<{ items: DeploymentJson[] }>(cluster, ['deployments', '-n', namespace]);
      pending = items.filter(
        (deployment) =>
          deployment.status.observedGeneration !== deployment.metadata.generation ||
          deployment.status.readyReplicas !== deployment.spec.replicas ||
          deployment.status.updatedReplicas !== deployment.spec.replicas ||
          deployment.status.replicas !== deployment.spec.replicas,
      );
      return items.length > 0 && pending.length === 0 ? true : undefined;
    },
    timeoutMs,
    500,
  ).catch(async (error: unknown) => {
    const names = pending.map((deployment) => deployment.metadata.name).join(', ');
    const reports = await Promise.all(
      pending.map((deployment) => rolloutReport(cluster, namespace, deployment)),
    );
    throw new Error(`${String(error)} (still rolling out: ${names})\n${reports.join('\n')}`);
  });
}

/**
 * What a stuck rollout's pods say: their phase, restarts and events, and the last log lines of
 * the current and the previous container, so a failure in CI names its cause without a rerun.
 */
async function rolloutReport(
  cluster: NodeCluster,
  namespace: string,
  deployment: DeploymentJson,
): Promise<string> {
  const selector = Object.entries(deployment.spec.selector.matchLabels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const sections: [string, string[]][] = [
    ['pods', ['get', 'pods', '-n', namespace, '-l', selector, '-o', 'wide']],
    ['events', ['describe', 'pods', '-n', namespace, '-l', selector]],
    ['log', ['logs', '-n', namespace, '-l', selector, '--all-containers', '--tail=40']],
    [
      'previous log',
      ['logs', '-n', namespace, '-l', selector, '--all-containers', '--tail=40', '--previous'],
    ],
  ];
  const outputs = await Promise.all(
    sections.map(async ([title, args]) => {
      const result = await cluster.kubectl(args, { timeoutMs: 20_000 });
      return `--- ${deployment.metadata.name}: ${title}\n${result.stdout}${result.stderr}`;
    }),
  );
  return outputs.join('\n');
}
