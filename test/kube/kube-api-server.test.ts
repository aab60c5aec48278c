import { existsSync } from 'node:fs';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';
import { kubectl } from './kubectl.js';

describe('startKubeApiServer', () => {
  let zoneA: KubeApiServer;
  let zoneB: KubeApiServer;

  beforeAll(async () => {
    [zoneA, zoneB] = await Promise.all([
      startKubeApiServer({ name: 'zone-a' }),
      startKubeApiServer({ name: 'zone-b' }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([zoneA.stop(), zoneB.stop()]);
  }, 60_000);

  it('two API servers started at once listen on different loopback ports', () => {
    expect(zoneA.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(zoneB.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(zoneA.server).not.toBe(zoneB.server);
  });

  it('a namespace created in one cluster exists there and not in the other', async () => {
    expect(await kubectl(zoneA.adminKubeconfig, 'create', 'namespace', 'only-in-a')).toMatchObject({
      code: 0,
    });
    expect(await kubectl(zoneB.adminKubeconfig, 'create', 'namespace', 'only-in-b')).toMatchObject({
      code: 0,
    });

    const namespacesOf = async (cluster: KubeApiServer): Promise<string[]> =>
      (await kubectl(cluster.adminKubeconfig, 'get', 'namespaces', '-o', 'name')).stdout.split('\n');
    const [inA, inB] = await Promise.all([namespacesOf(zoneA), namespacesOf(zoneB)]);
    expect(inA).toContain('namespace/only-in-a');
    expect(inA).not.toContain('namespace/only-in-b');
    expect(inB).toContain('namespace/only-in-b');
    expect(inB).not.toContain('namespace/only-in-a');
  }, 60_000);

  it('the admin may create namespaces and an unbound user may not', async () => {
    const stranger = await zoneA.kubeconfigFor('stranger', ['strangers']);

    expect(await kubectl(zoneA.adminKubeconfig, 'auth', 'can-i', 'create', 'namespaces')).toMatchObject({
      code: 0,
      stdout: 'yes',
    });
    expect(await kubectl(stranger, 'auth', 'can-i', 'create', 'namespaces')).toMatchObject({
      code: 1,
      stdout: 'no',
    });
    const attempt = await kubectl(stranger, 'create', 'namespace', 'stranger-was-here');
    expect(attempt.code).not.toBe(0);
    expect(attempt.stderr).toContain('forbidden');
    expect(attempt.stderr).toContain('User "stranger"');
  }, 60_000);

  it('a group bound by RBAC gains exactly the bound permission', async () => {
    const viewer = await zoneA.kubeconfigFor('viewer-user', ['accord:viewers']);
    expect(await kubectl(viewer, 'auth', 'can-i', 'list', 'configmaps', '-n', 'default')).toMatchObject({
      code: 1,
      stdout: 'no',
    });

    // A Role of our own: the built-in `view` ClusterRole is aggregated, and without a
    // controller-manager nothing fills in its rules.
    const role = await kubectl(
      zoneA.adminKubeconfig,
      'create',
      'role',
      'configmap-reader',
      '-n',
      'default',
      '--verb=get,list',
      '--resource=configmaps',
    );
    expect(role).toMatchObject({ code: 0 });
    const binding = await kubectl(
      zoneA.adminKubeconfig,
      'create',
      'rolebinding',
      'viewers',
      '-n',
      'default',
      '--role=configmap-reader',
      '--group=accord:viewers',
    );
    expect(binding).toMatchObject({ code: 0 });

    expect(await kubectl(viewer, 'auth', 'can-i', 'list', 'configmaps', '-n', 'default')).toMatchObject({
      code: 0,
      stdout: 'yes',
    });
    expect(await kubectl(viewer, 'auth', 'can-i', 'create', 'configmaps', '-n', 'default')).toMatchObject({
      code: 1,
      stdout: 'no',
    });
    expect(await kubectl(viewer, 'auth', 'can-i', 'list', 'configmaps', '-n', 'kube-system')).toMatchObject({
      code: 1,
      stdout: 'no',
    });
  }, 60_000);

  it('a client that does not trust the cluster CA cannot talk to it', async () => {
    const wrongCa = await zoneB.kubeconfigFor('accord-admin', ['system:masters']);
    const result = await kubectl(wrongCa, '--server', zoneA.server, 'get', 'namespaces');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/certificate/i);
  }, 60_000);

  it('stop removes the temporary kubeconfigs and can be called twice', async () => {
    const cluster = await startKubeApiServer({ name: 'short-lived' });
    const kubeconfig = cluster.adminKubeconfig;
    expect(existsSync(kubeconfig)).toBe(true);

    await cluster.stop();
    await cluster.stop();

    expect(existsSync(kubeconfig)).toBe(false);
  }, 120_000);
});
