/** One call that did not answer as expected, and when (ms since the loop started). */
export interface FailedCall {
  readonly atMs: number;
  /** The HTTP status, or the client error's message when there was no answer. */
  readonly outcome: number | string;
}

/** What a loop of calls saw. */
export interface CallTally {
  readonly succeeded: number;
  readonly failed: readonly FailedCall[];
}

/** Bounds of a loop of calls: it stops at whichever comes first. */
export interface ContinuousCallsOptions {
  readonly maxCalls: number;
  readonly maxDurationMs: number;
  /** Pause between two calls, so the loop does not starve a shared machine. */
  readonly pauseMs: number;
}

/**
 * Calls `call` one after the other until stopped (or a bound is reached) and counts every answer
 * other than `expectedStatus` as a failure: the "continuous traffic" of the rotation tests.
 */
export class ContinuousCalls {
  readonly #call: () => Promise<{ status: number }>;
  readonly #expectedStatus: number;
  readonly #options: ContinuousCallsOptions;
  readonly #failed: FailedCall[] = [];
  #succeeded = 0;
  #isStopped = false;
  #loop: Promise<void> | undefined;
  #startedAtMs = 0;

  constructor(
    call: () => Promise<{ status: number }>,
    expectedStatus: number,
    options: ContinuousCallsOptions,
  ) {
    this.#call = call;
    this.#expectedStatus = expectedStatus;
    this.#options = options;
  }

  start(): void {
    this.#startedAtMs = performance.now();
    this.#loop = this.#run();
  }

  /** The counts so far. */
  tally(): CallTally {
    return { succeeded: this.#succeeded, failed: [...this.#failed] };
  }

  /** Stops after the call in flight and returns the counts. */
  async stop(): Promise<CallTally> {
    this.#isStopped = true;
    await this.#loop;
    return this.tally();
  }

  async #run(): Promise<void> {
    for (let calls = 0; calls < this.#options.maxCalls && !this.#isStopped; calls += 1) {
      if (performance.now() - this.#startedAtMs > this.#options.maxDurationMs) return;
      const atMs = Math.round(performance.now() - this.#startedAtMs);
      try {
        const { status } = await this.#call();
        if (status === this.#expectedStatus) this.#succeeded += 1;
        else this.#failed.push({ atMs, outcome: status });
      } catch (error) {
        this.#failed.push({ atMs, outcome: error instanceof Error ? error.message : String(error) });
      }
      await new Promise((resolve) => setTimeout(resolve, this.#options.pauseMs));
    }
  }
}
