import { silentLogger } from '../log/logger.js';
import { ManualTimers } from '../../test/support/manual-timers.js';
import type { ResourceWatchHandlers, WatchEnd } from './kube-list-watch.js';
import { ResourceInformer, type InformedResource, type ListWatchApi } from './resource-informer.js';

interface Item extends InformedResource {
  spec: { value: string };
}

function item(name: string, resourceVersion: string, value: string): Item {
  return {
    metadata: {
      name,
      resourceVersion,
      managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
    },
    spec: { value },
  };
}

/** A list/watch port that lists `listed` and hands the test the watch's handlers. */
function scriptedApi(listed: Item[]): {
  api: ListWatchApi<Item>;
  watching: Promise<ResourceWatchHandlers<Item>>;
} {
  let started: (handlers: ResourceWatchHandlers<Item>) => void = () => undefined;
  const watching = new Promise<ResourceWatchHandlers<Item>>((resolve) => {
    started = resolve;
  });
  const api: ListWatchApi<Item> = {
    list: () => Promise.resolve({ items: listed, resourceVersion: '10' }),
    watch: (_, handlers) => {
      started(handlers);
      let stop: (end: WatchEnd) => void = () => undefined;
      const ended = new Promise<WatchEnd>((resolve) => {
        stop = resolve;
      });
      return { ended, stop: () => stop({ kind: 'stopped' }) };
    },
  };
  return { api, watching };
}

describe('ResourceInformer', () => {
  it('caches listed and watched objects without their managedFields, and reports each change with the object before', async () => {
    const changed: [string, string | undefined, string | undefined][] = [];
    const { api, watching } = scriptedApi([item('one', '5', 'first')]);
    const informer = new ResourceInformer({
      api,
      kind: 'Item',
      onChange: (key, previous, current) => changed.push([key, previous?.spec.value, current?.spec.value]),
      backoff: { initialDelayMs: 10, maxDelayMs: 100 },
      timers: new ManualTimers(),
      logger: silentLogger,
    });
    informer.start();
    const handlers = await watching;
    handlers.onChange('MODIFIED', item('two', '11', 'second'));
    handlers.onChange('MODIFIED', item('one', '12', 'changed'));

    expect(informer.get('one')).toEqual({
      metadata: { name: 'one', resourceVersion: '12' },
      spec: { value: 'changed' },
    });
    expect(informer.get('two')).toEqual({
      metadata: { name: 'two', resourceVersion: '11' },
      spec: { value: 'second' },
    });
    // The cached object before and after each change: what a controller filters on.
    expect(changed).toEqual([
      ['one', undefined, 'first'],
      ['two', undefined, 'second'],
      ['one', 'first', 'changed'],
    ]);
    await informer.stop();
  });
});
