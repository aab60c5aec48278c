import {
  envoyContainerName,
  hasContainerNamed,
  injectedAnnotation,
  type PodJson,
} from '../injection/inject-pod.js';
import { type MeshWorkload, selectorMatches } from './mesh-workload.js';

/**
 * Records, on a redirected Service, the target ports it had before: JSON `{"<port>/<protocol>":
 * <targetPort>}`. Its presence marks the Service as redirected by Accord; restore reads it back.
 */
export const originalTargetPortsAnnotation = 'accord.dev/original-target-ports';

/** A Service as plain JSON: only what the redirect reads is typed. */
export interface ServiceJson {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { selector?: Record<string, string>; ports?: ServicePortJson[] };
}

/** One Service port as plain JSON. */
export interface ServicePortJson {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
  [field: string]: unknown;
}

/** What to write to a Service, or `none`. `ports` and `annotations` replace the Service's own. */
export type TargetPortChange =
  | { action: 'none' }
  | {
      action: 'redirect' | 'restore';
      ports: ServicePortJson[];
      annotations: Record<string, string>;
      meshWorkload?: string;
    };

function portKey(port: ServicePortJson): string {
  return `${String(port.port)}/${port.protocol ?? 'TCP'}`;
}

/**
 * Decides, level-triggered, where a Service's traffic goes: to Envoy's inbound listener, or back
 * to the application. Redirect when a MeshWorkload selects every pod the Service selects (the
 * Service's selector, read as labels, satisfies the MeshWorkload's), at least one such pod exists
 * and every one of them is injected; then each port whose `targetPort` is the MeshWorkload's
 * `spec.port` (numeric only: a named port is left alone) goes to `inboundPort`, and the originals
 * are recorded in `accord.dev/original-target-ports`; a port set back to the workload port on a
 * Service redirected before is redirected again. Otherwise, a redirected Service is restored
 * from that annotation: pointing a Service at a port nothing listens on would drop its traffic,
 * while the application port stays reachable on injected pods too, so restoring is always safe.
 * A Service without a selector (manual Endpoints) is never touched.
 */
export function serviceTargetPortChange(
  service: ServiceJson,
  meshWorkloads: readonly MeshWorkload[],
  pods: readonly PodJson[],
  inboundPort: number,
): TargetPortChange {
  const annotations = service.metadata?.annotations ?? {};
  const ports = service.spec?.ports ?? [];
  const recorded = annotations[originalTargetPortsAnnotation];
  const isRedirected = recorded !== undefined;
  const selector = service.spec?.selector ?? {};
  const workload =
    Object.keys(selector).length === 0
      ? undefined
      : [...meshWorkloads]
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .find((candidate) => selectorMatches(candidate.selector, selector));
  const selectedPods = pods.filter((pod) =>
    Object.entries(selector).every(([key, value]) => pod.metadata?.labels?.[key] === value),
  );
  const isMeshed =
    workload !== undefined &&
    selectedPods.length > 0 &&
    selectedPods.every(
      (pod) =>
        pod.metadata?.annotations?.[injectedAnnotation] !== undefined &&
        hasContainerNamed(pod, envoyContainerName),
    );

  if (isMeshed) {
    // Also on a Service redirected before: `kubectl apply` of its original manifest puts the
    // application's target port back and leaves the record, which must not hide the bypass.
    const onWorkloadPort = ports.filter((port) => {
      const target = port.targetPort ?? port.port;
      return target === workload.port && target !== inboundPort;
    });
    if (onWorkloadPort.length === 0) return { action: 'none' };
    const originals = isRedirected ? parseOriginals(recorded) : {};
    for (const port of onWorkloadPort) originals[portKey(port)] = workload.port;
    return {
      action: 'redirect',
      ports: ports.map((port) =>
        onWorkloadPort.includes(port) ? { ...port, targetPort: inboundPort } : port,
      ),
      annotations: { ...annotations, [originalTargetPortsAnnotation]: JSON.stringify(originals) },
      meshWorkload: workload.name,
    };
  }
  if (isRedirected) {
    const originals = parseOriginals(recorded);
    const restored = ports.map((port) => {
      const original = originals[portKey(port)];
      return original === undefined ? port : { ...port, targetPort: original };
    });
    const remaining = Object.fromEntries(
      Object.entries(annotations).filter(([key]) => key !== originalTargetPortsAnnotation),
    );
    return { action: 'restore', ports: restored, annotations: remaining };
  }
  return { action: 'none' };
}

/** The recorded originals; an unreadable annotation restores nothing but is still removed. */
function parseOriginals(recorded: string): Record<string, number | string> {
  try {
    const parsed: unknown = JSON.parse(recorded);
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (entry): entry is [string, number | string] =>
          typeof entry[1] === 'number' || typeof entry[1] === 'string',
      ),
    );
  } catch {
    return {};
  }
}
