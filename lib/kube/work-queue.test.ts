import { silentLogger } from '../log/logger.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { ManualTimers } from '../../test/support/manual-timers.js';
import { WorkQueue, type WorkHandler, type WorkResult } from './work-queue.js';

/** A handler whose runs the test finishes by hand, recording what each run saw. */
class ScriptedHandler {
  readonly runs: { key: string; failedAttempts: number }[] = [];
  readonly #pending: { key: string; finish: (result: WorkResult | Error) => void }[] = [];
  active = 0;
  maxActive = 0;

  readonly handle: WorkHandler = (key, failedAttempts) => {
    this.runs.push({ key, failedAttempts });
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    return new Promise((resolve, reject) => {
      this.#pending.push({
        key,
        finish: (result) => {
          this.active -= 1;
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      });
    });
  };

  /** Finishes the oldest pending run of `key`. */
  finish(key: string, result: WorkResult | Error = {}): void {
    const index = this.#pending.findIndex((pending) => pending.key === key);
    const [pending] = this.#pending.splice(index, 1);
    if (pending === undefined) throw new Error(`no pending run of ${key}`);
    pending.finish(result);
  }

  pendingKeys(): string[] {
    return this.#pending.map((pending) => pending.key);
  }
}

function setup(concurrency = 2) {
  const timers = new ManualTimers();
  const handler = new ScriptedHandler();
  const depths: number[] = [];
  const queue = new WorkQueue({
    handler: handler.handle,
    backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
    clock: new ManualClock(),
    timers,
    logger: silentLogger,
    concurrency,
    random: () => 0.999_999,
    onDepthChange: (depth) => depths.push(depth),
  });
  return { timers, handler, queue, depths };
}

/** Lets the queue's promise callbacks run. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn += 1) await Promise.resolve();
}

describe('WorkQueue', () => {
  it('runs a key added several times while it waits only once', async () => {
    const { handler, queue } = setup(1);
    queue.add('busy');
    queue.add('a');
    queue.add('a');
    queue.add('a');
    expect(queue.depth()).toBe(1);
    handler.finish('busy');
    await settle();
    handler.finish('a');
    await queue.whenIdle();
    expect(handler.runs.map((run) => run.key)).toEqual(['busy', 'a']);
  });

  it('never runs one key twice at once, and runs it again after a change during its run', async () => {
    const { handler, queue } = setup(4);
    queue.add('a');
    await settle();
    queue.add('a');
    queue.add('a');
    await settle();
    expect(handler.pendingKeys()).toEqual(['a']);
    handler.finish('a');
    await settle();
    expect(handler.pendingKeys()).toEqual(['a']);
    handler.finish('a');
    await queue.whenIdle();
    expect(handler.runs).toHaveLength(2);
    expect(handler.maxActive).toBe(1);
  });

  it('runs different keys concurrently up to its concurrency', async () => {
    const { handler, queue } = setup(2);
    for (const key of ['a', 'b', 'c']) queue.add(key);
    await settle();
    expect(handler.pendingKeys()).toEqual(['a', 'b']);
    expect(queue.depth()).toBe(1);
    handler.finish('a');
    await settle();
    expect(handler.pendingKeys()).toEqual(['b', 'c']);
    handler.finish('b');
    handler.finish('c');
    await queue.whenIdle();
    expect(handler.maxActive).toBe(2);
  });

  it('retries a throwing key with capped exponential backoff and counts its failed attempts', async () => {
    const { handler, queue, timers } = setup();
    queue.add('a');
    for (const expectedDelayMs of [100, 200, 400, 800, 1000, 1000]) {
      await settle();
      handler.finish('a', new Error('API server unreachable'));
      await queue.whenIdle();
      expect(timers.delays()).toEqual([expectedDelayMs]);
      timers.fire(() => true);
    }
    await settle();
    expect(handler.runs.map((run) => run.failedAttempts)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    handler.finish('a');
    await queue.whenIdle();
    expect(queue.failedAttempts('a')).toBe(0);
    expect(timers.delays()).toEqual([]);
  });

  it('requeues after the delay a run asks for, counting it as unfinished until a run succeeds', async () => {
    const { handler, queue, timers } = setup();
    queue.add('a');
    await settle();
    handler.finish('a', { requeueAfterMs: 5000 });
    await queue.whenIdle();
    expect(timers.delays()).toEqual([5000]);
    expect(queue.failedAttempts('a')).toBe(1);
    timers.fire((delay) => delay === 5000);
    await settle();
    handler.finish('a');
    await queue.whenIdle();
    expect(handler.runs).toEqual([
      { key: 'a', failedAttempts: 0 },
      { key: 'a', failedAttempts: 1 },
    ]);
    expect(queue.failedAttempts('a')).toBe(0);
  });

  it('keeps only the earliest of several delayed adds of one key', () => {
    const { queue, timers } = setup();
    queue.addAfter('a', 5000);
    queue.addAfter('a', 9000);
    expect(timers.delays()).toEqual([5000]);
    queue.addAfter('a', 1000);
    expect(timers.delays()).toEqual([1000]);
  });

  it('forgets the retry and failure count of a key that is gone', async () => {
    const { handler, queue, timers } = setup();
    queue.add('a');
    await settle();
    handler.finish('a', new Error('boom'));
    await queue.whenIdle();
    queue.forget('a');
    expect(timers.delays()).toEqual([]);
    expect(queue.failedAttempts('a')).toBe(0);
  });

  it('reports its depth as keys wait and leave', async () => {
    const { handler, queue, depths } = setup(1);
    queue.add('a');
    queue.add('b');
    queue.add('c');
    await settle();
    handler.finish('a');
    await settle();
    handler.finish('b');
    await settle();
    handler.finish('c');
    await queue.whenIdle();
    expect(depths.at(-1)).toBe(0);
    expect(Math.max(...depths)).toBe(2);
  });

  it('stops taking keys, cancels retries and waits for the run in flight', async () => {
    const { handler, queue, timers } = setup();
    queue.addAfter('later', 1000);
    queue.add('a');
    await settle();
    let isStopped = false;
    const stopping = queue.stop().then(() => {
      isStopped = true;
    });
    queue.add('b');
    await settle();
    expect(isStopped).toBe(false);
    expect(timers.delays()).toEqual([]);
    handler.finish('a');
    await stopping;
    expect(handler.runs.map((run) => run.key)).toEqual(['a']);
  });
});
