import type { TimerHandle, Timers } from '../../lib/time/timers.js';

/** Timers that fire only when the test says so, so renewal, backoff and resync are tested without sleeping. */
export class ManualTimers implements Timers {
  readonly #pending = new Map<number, { callback: () => void; delayMs: number }>();
  #nextId = 1;

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    this.#pending.set(id, { callback, delayMs });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle as number);
  }

  /** Delays of the timers still pending, in scheduling order. */
  delays(): number[] {
    return [...this.#pending.values()].map((timer) => timer.delayMs);
  }

  /** Fires (and removes) the first pending timer whose delay matches. */
  fire(matches: (delayMs: number) => boolean): void {
    for (const [id, timer] of this.#pending) {
      if (!matches(timer.delayMs)) continue;
      this.#pending.delete(id);
      timer.callback();
      return;
    }
    throw new Error(`no pending timer matches; pending delays: ${this.delays().join(', ')}`);
  }
}
