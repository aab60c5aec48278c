import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KubeConflictError } from '../../lib/kube/custom-resource-api.js';
import { connectKube } from '../../lib/kube/kube-client.js';
import { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { KubeCustomObjectsApi } from '../../lib/kube/kube-custom-objects-api.js';
import {
  KubeTrustContractApi,
  trustContractResource,
  type TrustContractChange,
  type TrustContractResource,
} from '../../lib/kube/trust-contract-api.js';
import { systemClock } from '../../lib/time/clock.js';
import { systemTimers } from '../../lib/time/timers.js';
import { createTestZone, type TestZone } from '../support/test-zone.js';
import { pollUntil } from '../e2e/poll-until.js';
import { installAccordCrds } from './accord-crds.js';
import { clientNodeApi } from './client-node-api.js';
import { startKubeApiServer, type KubeApiServer } from './kube-api-server.js';

// The adapter against a REAL kube-apiserver with the CRDs: the JSON patches must be accepted as
// written, and their `test`s must fail exactly when the object changed.

let cluster: KubeApiServer;
/** client-node, for what another writer does and for reading back what Accord wrote. */
let customObjects: CustomObjectsApi;
let core: CoreV1Api;
let api: KubeTrustContractApi;
let zoneA: TestZone;
let zoneB: TestZone;

const apiPath = {
  group: trustContractResource.group,
  version: trustContractResource.version,
  plural: trustContractResource.plural,
};

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'trust-contract-api' });
  await installAccordCrds(cluster.adminKubeconfig);
  customObjects = clientNodeApi(cluster.adminKubeconfig, CustomObjectsApi);
  core = clientNodeApi(cluster.adminKubeconfig, CoreV1Api);
  const kube = connectKube(cluster.adminKubeconfig);
  api = new KubeTrustContractApi({
    customObjects: new KubeCustomObjectsApi(kube),
    events: new KubeCoreApi(kube),
    watcher: kube,
    component: 'accord-operator',
    instance: 'test-0',
    clock: systemClock,
    timers: systemTimers,
    watchTimeoutSeconds: 2,
    pageSize: 1,
  });
  [zoneA, zoneB] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
}, 180_000);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

async function create(name: string, finalizers?: string[]): Promise<TrustContractResource> {
  return (await customObjects.createClusterCustomObject({
    ...apiPath,
    body: {
      apiVersion: 'accord.dev/v1alpha1',
      kind: 'TrustContract',
      metadata: { name, ...(finalizers === undefined ? {} : { finalizers }) },
      spec: {
        participants: [zoneA, zoneB].map((zone) => ({
          name: zone.name,
          trustDomain: zone.trustDomain,
          root: { pem: zone.rootPem },
        })),
      },
    },
  })) as TrustContractResource;
}

async function read(name: string): Promise<TrustContractResource> {
  return (await customObjects.getClusterCustomObject({ ...apiPath, name })) as TrustContractResource;
}

const ours = 'accord.dev/revoke-on-delete';
const theirs = 'example.com/keep-me';

const status = (generation: number) => ({
  observedGeneration: generation,
  conditions: [
    {
      type: 'Proposed',
      status: 'True',
      observedGeneration: generation,
      lastTransitionTime: '2026-01-01T00:00:00Z',
      reason: 'ContractProposed',
      message: 'proposed',
    },
  ],
});

describe('KubeTrustContractApi', () => {
  it('adds its finalizer to an object without any, and next to another controller’s', async () => {
    const bare = await api.addFinalizer(await create('no-finalizers'), ours);
    expect(bare.metadata.finalizers).toEqual([ours]);
    const shared = await api.addFinalizer(await create('shared', [theirs]), ours);
    expect((await read('shared')).metadata.finalizers).toEqual([theirs, ours]);
    expect(await api.addFinalizer(shared, ours)).toBe(shared);
  });

  it('fails with a conflict instead of dropping a finalizer added since it read the object', async () => {
    const stale = await create('raced');
    await customObjects.patchClusterCustomObject(
      { ...apiPath, name: 'raced', body: { metadata: { finalizers: [theirs] } } },
      // a merge patch by "another controller"
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await expect(api.addFinalizer(stale, ours)).rejects.toBeInstanceOf(KubeConflictError);
    expect((await read('raced')).metadata.finalizers).toEqual([theirs]);
    await api.addFinalizer(await read('raced'), ours);
    expect((await read('raced')).metadata.finalizers).toEqual([theirs, ours]);
  });

  it('removes only its own finalizer', async () => {
    const object = await create('removing', [theirs, ours]);
    const updated = await api.removeFinalizer(object, ours);
    expect(updated?.metadata.finalizers).toEqual([theirs]);
    expect((await read('removing')).metadata.finalizers).toEqual([theirs]);
  });

  it('writes the status subresource only from the current resourceVersion', async () => {
    const object = await create('with-status');
    const written = await api.replaceStatus(object, status(1));
    expect((await read('with-status')).status).toEqual(status(1));
    await expect(api.replaceStatus(object, status(2))).rejects.toBeInstanceOf(KubeConflictError);
    const rewritten = await api.replaceStatus(written, { ...status(1), state: 'Proposed' });
    expect(rewritten.status).toEqual({ ...status(1), state: 'Proposed' });
    expect(rewritten.metadata.generation).toBe(object.metadata.generation);
  });

  it('reports a status the schema refuses as an error, not as a conflict', async () => {
    const object = await create('invalid-status');
    const refused = api.replaceStatus(object, { observedGeneration: 'one', conditions: [] });
    await expect(refused).rejects.not.toBeInstanceOf(KubeConflictError);
    await expect(refused).rejects.toMatchObject({ code: 422 });
  });

  it('records an Event about the TrustContract in default, where kubectl describe finds it', async () => {
    const object = await create('with-event');
    await api.recordEvent(object, { type: 'Warning', reason: 'InvalidSpec', message: 'x'.repeat(2000) });
    // kubectl describe's lookup for a cluster-scoped object: its name and kind, in `default`.
    const events = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.name=with-event,involvedObject.kind=TrustContract',
    });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      metadata: { namespace: 'default' },
      type: 'Warning',
      reason: 'InvalidSpec',
      involvedObject: { kind: 'TrustContract', name: 'with-event', uid: object.metadata.uid },
      source: { component: 'accord-operator' },
      reportingInstance: 'test-0',
    });
    expect(events.items[0]?.involvedObject.namespace).toBeUndefined();
    expect(events.items[0]?.message).toHaveLength(1024);
  });

  it('cannot record an Event about a TrustContract in any namespace but default', async () => {
    // Why the namespace is not configurable: the API server refuses the Event anywhere else.
    await core.createNamespace({ body: { metadata: { name: 'accord' } } });
    const refused = core.createNamespacedEvent({
      namespace: 'accord',
      body: {
        metadata: { generateName: 'with-event.', namespace: 'accord' },
        involvedObject: { apiVersion: 'accord.dev/v1alpha1', kind: 'TrustContract', name: 'with-event' },
        type: 'Normal',
        reason: 'ContractProposed',
        message: 'proposed',
      },
    });
    await expect(refused).rejects.toMatchObject({ code: 422 });
  });

  it('lists every page, and watches from the list until the server ends the watch', async () => {
    const listed = await api.list();
    expect(listed.items.map((item) => item.metadata.name)).toEqual(
      expect.arrayContaining(['no-finalizers', 'shared', 'raced', 'removing', 'with-status', 'with-event']),
    );
    const changes: [TrustContractChange, string][] = [];
    const watch = api.watch(listed.resourceVersion, {
      onChange: (change, object) => changes.push([change, object.metadata.name]),
      onBookmark: () => undefined,
    });
    await create('watched');
    await pollUntil('ADDED watched', () => Promise.resolve(changes.length > 0 ? true : undefined), 30_000);
    expect(changes).toEqual([['ADDED', 'watched']]);
    // timeoutSeconds is 2: the server closes the watch, which ends as `closed`, to be resumed.
    expect(await watch.ended).toEqual({ kind: 'closed' });
  });

  it('ends a watch on stop()', async () => {
    const { resourceVersion } = await api.list();
    const watch = api.watch(resourceVersion, { onChange: () => undefined, onBookmark: () => undefined });
    watch.stop();
    expect(await watch.ended).toEqual({ kind: 'stopped' });
  });
});
