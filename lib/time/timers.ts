/** An opaque handle for a scheduled callback. */
export type TimerHandle = object | number;

/**
 * Scheduling, injected next to the `Clock` so that tests drive renewal, backoff and resync by
 * hand instead of sleeping.
 */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real timers. They are unref'd: a pending retry or renewal must not keep a stopping process alive. */
export const systemTimers: Timers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
