import { type NodeCluster, startNodeClusters } from './node-cluster.js';
import { builtNodeImage } from './node-images.js';
import { linkNodeClusters } from './node-link.js';
import { type KubeManifest, applyObjects, untilDeploymentsReady } from './node-objects.js';
import { hostSnapshot, nodeLeftovers, type NodeFootprint } from './node-teardown.js';

// Two real single-node clusters (test/node/node-cluster.ts) joined by a link: what the end-to-end
// tests rely on, checked on its own, and the host left exactly as it was.
jest.setTimeout(600_000);

const appPort = 8080;
const nodePort = 30090;
const credentials = 'tester:secret';
let hostBefore: Record<string, string>;
let a: NodeCluster;
let b: NodeCluster;
let footprints: NodeFootprint[] = [];

/** An HTTP app (the legacy image: it answers /healthz, and echoes Basic-authenticated requests). */
function echoApp(image: string): KubeManifest[] {
  const labels = { app: 'echo' };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'echo', namespace: 'default', labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'app',
                image,
                imagePullPolicy: 'IfNotPresent',
                env: [{ name: 'LEGACY_USERS', value: credentials }],
                readinessProbe: { httpGet: { path: '/healthz', port: appPort }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo', namespace: 'default' },
      spec: { type: 'NodePort', selector: labels, ports: [{ port: appPort, targetPort: appPort, nodePort }] },
    },
  ];
}

/** Runs `node -e script args…` in the echo pod of `cluster`; its stdout. */
async function inEchoPod(cluster: NodeCluster, script: string, ...args: string[]): Promise<string> {
  const result = await cluster.kubectl(['exec', 'deployment/echo', '--', 'node', '-e', script, ...args]);
  if (result.code !== 0) throw new Error(`${cluster.name}: exec: ${result.stderr}`);
  return result.stdout;
}

const fetchScript = `fetch(process.argv[1], { headers: { authorization: 'Basic ' + Buffer.from(process.argv[2] ?? '').toString('base64') }, signal: AbortSignal.timeout(5000) })
  .then(async (r) => console.log(r.status, await r.text()), (e) => console.log('failed', String(e.cause?.code ?? e)))`;

beforeAll(async () => {
  hostBefore = await hostSnapshot();
  const pause = await builtNodeImage('pause');
  const legacyApp = await builtNodeImage('legacy-app');
  const options = (name: string, index: number) => ({
    name,
    index,
    sandboxImage: pause,
    images: [legacyApp],
  });
  [a, b] = (await startNodeClusters([options('node-a', 4), options('node-b', 5)])) as [
    NodeCluster,
    NodeCluster,
  ];
  footprints = [a.footprint, b.footprint];
  await linkNodeClusters(a, b);
  await Promise.all([a, b].map((cluster) => applyObjects(cluster, echoApp(legacyApp.reference))));
  await Promise.all([a, b].map((cluster) => untilDeploymentsReady(cluster, 'default', 120_000)));
});

afterAll(async () => {
  // Safe after the teardown test has stopped them; stops them when an earlier step failed.
  // (Undefined when the start failed: startNodeClusters has stopped what it started.)
  const started = [a, b] as (NodeCluster | undefined)[];
  await Promise.all(started.flatMap((cluster) => (cluster === undefined ? [] : [cluster.stop()])));
});

describe('a node cluster', () => {
  it('runs pods that resolve Service names through CoreDNS and reach their Services', async () => {
    const clusterIp = (await a.kubectl(['get', 'service', 'echo', '-o', 'jsonpath={.spec.clusterIP}']))
      .stdout;
    expect(
      await inEchoPod(
        a,
        "require('dns').lookup('echo.default.svc.cluster.local', (e, ip) => console.log(e ? e.code : ip))",
      ),
    ).toBe(clusterIp);
    // A ready Deployment's endpoints reach kube-proxy's rules a moment later: until then the
    // Service's address refuses connections. Ask again for a bounded time.
    const deadline = Date.now() + 60_000;
    let answer = await inEchoPod(a, fetchScript, `http://echo:${String(appPort)}/hello`, credentials);
    while (answer === 'failed ECONNREFUSED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      answer = await inEchoPod(a, fetchScript, `http://echo:${String(appPort)}/hello`, credentials);
    }
    expect(answer).toMatch(/^200 .*"user":"tester"/);
  });

  it("reaches the linked cluster's NodePort, from a pod and from the node, and nothing outside", async () => {
    const url = `http://${b.addresses.nodeIp}:${String(nodePort)}/from-a`;
    expect(await inEchoPod(a, fetchScript, url, credentials)).toMatch(/^200 .*"path":"\/from-a"/);
    const fromNode = await a.inNetwork(process.execPath, ['-e', fetchScript, url, credentials]);
    expect(fromNode.stdout).toMatch(/^200 /);
    // No route leaves the namespaces: an address on the Internet is unreachable from node and pod.
    const outside = await a.inNetwork(process.execPath, ['-e', fetchScript, 'http://192.0.2.1/']);
    expect(outside.stdout).toBe('failed ENETUNREACH');
    expect(await inEchoPod(a, fetchScript, 'http://192.0.2.1/')).toMatch(
      /^failed (ENETUNREACH|EHOSTUNREACH|UND_ERR_CONNECT_TIMEOUT)/,
    );
  });

  it('serves kubectl logs and exec through the API server and the kubelet', async () => {
    const logs = await a.kubectl(['logs', 'deployment/echo']);
    expect(logs.stdout).toContain('legacy app listening');
    expect(await inEchoPod(a, 'console.log(process.getuid())')).toMatch(/^\d+$/);
  });

  it('is torn down by PID: no namespace, process, mount, cgroup or file is left, and the host is unchanged', async () => {
    await Promise.all([a.stop(), b.stop()]);
    for (const footprint of footprints) expect(await nodeLeftovers(footprint)).toEqual([]);
    expect(await hostSnapshot()).toEqual(hostBefore);
  });
});
