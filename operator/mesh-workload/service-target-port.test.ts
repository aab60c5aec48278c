import { envoyContainerName, injectedAnnotation, type PodJson } from '../injection/inject-pod.js';
import {
  originalTargetPortsAnnotation,
  type ServiceJson,
  serviceTargetPortChange,
  type ServicePortJson,
} from './service-target-port.js';
import { ordersApiWorkload as ordersApi } from '../../test/support/test-mesh-workload.js';

function service(
  ports: ServicePortJson[] = [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
  annotations?: Record<string, string>,
  selector: Record<string, string> = { app: 'orders-api' },
): ServiceJson {
  return {
    metadata: { name: 'orders-api', ...(annotations === undefined ? {} : { annotations }) },
    spec: { selector, ports },
  };
}

function pod(isInjected: boolean, labels: Record<string, string> = { app: 'orders-api' }): PodJson {
  return {
    metadata: { labels, ...(isInjected ? { annotations: { [injectedAnnotation]: '1' } } : {}) },
    spec: {
      containers: [{ name: 'app' }],
      // Injected pods carry Envoy as a native sidecar (an init container that keeps running).
      ...(isInjected ? { initContainers: [{ name: envoyContainerName, restartPolicy: 'Always' }] } : {}),
    },
  };
}

const redirectedAnnotations = { [originalTargetPortsAnnotation]: '{"80/TCP":8080}' };
const redirectedPorts: ServicePortJson[] = [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 15006 }];

describe('serviceTargetPortChange', () => {
  it.each([
    ['leaves a Service no MeshWorkload selects', service(), [], [pod(true)], 'none'],
    [
      'leaves a Service whose pods are not all injected yet',
      service(),
      [ordersApi],
      [pod(true), pod(false)],
      'none',
    ],
    ['leaves a Service selecting no pod', service(), [ordersApi], [], 'none'],
    [
      'leaves a Service without a selector',
      service(undefined, undefined, {}),
      [ordersApi],
      [pod(true)],
      'none',
    ],
    [
      'leaves a Service whose target port is not the workload port',
      service([{ name: 'metrics', port: 9090, targetPort: 9090 }]),
      [ordersApi],
      [pod(true)],
      'none',
    ],
    [
      'leaves a Service with a named target port',
      service([{ name: 'http', port: 80, targetPort: 'http' }]),
      [ordersApi],
      [pod(true)],
      'none',
    ],
    [
      'leaves an already redirected, still meshed Service',
      service(redirectedPorts, redirectedAnnotations),
      [ordersApi],
      [pod(true)],
      'none',
    ],
    [
      'redirects a meshed Service whose injected pods all run Envoy',
      service(),
      [ordersApi],
      [pod(true), pod(true)],
      'redirect',
    ],
    [
      'restores a redirected Service whose MeshWorkload is gone',
      service(redirectedPorts, redirectedAnnotations),
      [],
      [pod(true)],
      'restore',
    ],
    [
      'restores a redirected Service with a pod that has no Envoy',
      service(redirectedPorts, redirectedAnnotations),
      [ordersApi],
      [pod(true), pod(false)],
      'restore',
    ],
  ])('%s', (_name, input, workloads, pods, action) => {
    expect(serviceTargetPortChange(input, workloads, pods, 15006).action).toBe(action);
  });

  it('redirects only the workload port, records the originals and keeps other annotations', () => {
    const change = serviceTargetPortChange(
      service(
        [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
          { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 9090 },
        ],
        { team: 'shop' },
      ),
      [ordersApi],
      [pod(true)],
      15006,
    );
    expect(change).toEqual({
      action: 'redirect',
      meshWorkload: 'orders-api',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 15006 },
        { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 9090 },
      ],
      annotations: { team: 'shop', [originalTargetPortsAnnotation]: '{"80/TCP":8080}' },
    });
  });

  it('redirects again a port set back to the workload port while the record stayed (kubectl apply of the original)', () => {
    const reapplied = service(
      [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
        { name: 'grpc', port: 81, protocol: 'TCP', targetPort: 15006 },
      ],
      { [originalTargetPortsAnnotation]: '{"81/TCP":8080}' },
    );
    const change = serviceTargetPortChange(reapplied, [ordersApi], [pod(true)], 15006);
    expect(change).toEqual({
      action: 'redirect',
      meshWorkload: 'orders-api',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 15006 },
        { name: 'grpc', port: 81, protocol: 'TCP', targetPort: 15006 },
      ],
      annotations: { [originalTargetPortsAnnotation]: '{"81/TCP":8080,"80/TCP":8080}' },
    });
    if (change.action === 'none') throw new Error('no change');
    const again = service(change.ports, change.annotations);
    expect(serviceTargetPortChange(again, [ordersApi], [pod(true)], 15006).action).toBe('none');
    // Leaving the mesh then restores both ports from the merged record.
    const restore = serviceTargetPortChange(again, [], [pod(true)], 15006);
    expect(restore.action === 'restore' && restore.ports.map((port) => port.targetPort)).toEqual([
      8080, 8080,
    ]);
  });

  it('never rewrites a workload port that already is the inbound port', () => {
    const sameAsInbound = { ...ordersApi, port: 15006 };
    const change = serviceTargetPortChange(
      service([{ name: 'http', port: 80, protocol: 'TCP', targetPort: 15006 }]),
      [sameAsInbound],
      [pod(true)],
      15006,
    );
    expect(change.action).toBe('none');
  });

  it('restores the recorded target ports and removes only its annotation; restoring twice is a no-op', () => {
    const input = service(redirectedPorts, { ...redirectedAnnotations, team: 'shop' });
    const change = serviceTargetPortChange(input, [], [], 15006);
    expect(change).toEqual({
      action: 'restore',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      annotations: { team: 'shop' },
    });
    if (change.action === 'none') throw new Error('no change');
    const restored = service(change.ports, change.annotations);
    expect(serviceTargetPortChange(restored, [], [], 15006).action).toBe('none');
  });

  it('removes an unreadable record without touching the ports', () => {
    const change = serviceTargetPortChange(
      service(redirectedPorts, { [originalTargetPortsAnnotation]: 'not json' }),
      [],
      [],
      15006,
    );
    expect(change).toEqual({ action: 'restore', ports: redirectedPorts, annotations: {} });
  });
});
