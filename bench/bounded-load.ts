/** What `runBoundedLoad` measured. */
export interface LoadResult {
  /** Latency of each completed call, in milliseconds, in completion order. */
  readonly latenciesMs: readonly number[];
  /** Wall time from the first call's start to the last call's end. */
  readonly elapsedMs: number;
}

export interface LoadOptions {
  /** Calls to make in total. */
  readonly calls: number;
  /** Calls in flight at once: a few concurrent clients, as a zone's data plane would have. */
  readonly concurrency: number;
  /** Stops issuing new calls after this much wall time, so a slow system cannot run forever. */
  readonly maxDurationMs: number;
  readonly call: () => Promise<void>;
  /** Milliseconds from an arbitrary origin; `performance.now` unless a test passes a fake. */
  readonly now?: () => number;
}

/**
 * Runs `call` `calls` times with at most `concurrency` in flight and records each latency. The loop
 * is bounded both by count and by `maxDurationMs`; a failing call fails the whole run, because a
 * throughput figure that silently includes errors would be meaningless.
 */
export async function runBoundedLoad(options: LoadOptions): Promise<LoadResult> {
  const now = options.now ?? (() => performance.now());
  const latenciesMs: number[] = [];
  const started = now();
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < options.calls && now() - started < options.maxDurationMs) {
      issued += 1;
      const callStarted = now();
      await options.call();
      latenciesMs.push(now() - callStarted);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, options.calls));
  await Promise.all(Array.from({ length: workers }, worker));
  return { latenciesMs, elapsedMs: now() - started };
}
