import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { injectPod, type InjectionSettings, type PodJson } from './inject-pod.js';
import type { MeshWorkload } from '../mesh-workload/mesh-workload.js';

// Golden files: `UPDATE_GOLDEN=1 npx jest operator/injection` rewrites them; review the diff.
const goldenDirectory = join(dirname(fileURLToPath(import.meta.url)), '__golden__');
const isUpdatingGolden = process.env.UPDATE_GOLDEN === '1';

function expectGolden(name: string, rendered: string): void {
  const path = join(goldenDirectory, `${name}.json`);
  if (isUpdatingGolden) {
    mkdirSync(goldenDirectory, { recursive: true });
    writeFileSync(path, rendered);
  }
  expect(rendered).toBe(readFileSync(path, 'utf8'));
}

const settings: InjectionSettings = {
  version: '1',
  accordNamespace: 'accord-system',
  envoy: {
    image: 'envoyproxy/envoy:v1.40.0',
    inboundPort: 15006,
    outboundPort: 15001,
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  },
  translator: { image: 'ghcr.io/accord/accord:0.1.0' },
};
const ordersApi: MeshWorkload = {
  name: 'orders-api',
  namespace: 'shop',
  selector: { matchLabels: { app: 'orders-api' } },
  port: 8080,
  inbound: { type: 'basic', usersSecretName: 'orders-api-inbound-credentials' },
  outbound: { type: 'basic', usersSecretName: 'orders-api-outbound-users' },
};

const variants: [string, PodJson][] = [
  [
    'inject-pod-minimal',
    {
      metadata: { labels: { app: 'orders-api' } },
      spec: { containers: [{ name: 'app', image: 'orders:1' }] },
    },
  ],
  [
    'inject-pod-existing-env-volumes-annotations',
    {
      metadata: { labels: { app: 'orders-api' }, annotations: { team: 'shop' } },
      spec: {
        containers: [
          { name: 'app', image: 'orders:1', env: [{ name: 'HTTP_PROXY', value: 'http://corp:3128' }] },
          { name: 'worker', image: 'orders-worker:1', env: [] },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    },
  ],
];

describe('injectPod golden patches', () => {
  it.each(variants)('produces the patch of %s as in its golden file', (name, pod) => {
    const decision = injectPod(pod, 'shop', [ordersApi], settings);
    expectGolden(name, `${JSON.stringify(decision.patch, null, 2)}\n`);
  });
});
