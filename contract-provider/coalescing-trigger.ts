/**
 * Runs `work` whenever triggered, never twice at once, and folds every trigger that arrives
 * while it runs into a single follow-up run. Events therefore only say "something changed";
 * the work itself is level-triggered and reads the current state (spire-controller-manager's
 * pattern), so a burst of a hundred changes costs at most two runs.
 */
export class CoalescingTrigger {
  readonly #work: () => Promise<void>;
  #isRunning = false;
  #isPending = false;
  #idle: Promise<void> = Promise.resolve();
  #resolveIdle: (() => void) | undefined;

  constructor(work: () => Promise<void>) {
    this.#work = work;
  }

  /** Asks for a run; returns at once. Errors are the work's own business (it must catch them). */
  trigger(): void {
    this.#isPending = true;
    if (this.#isRunning) return;
    this.#isRunning = true;
    this.#idle = new Promise((resolve) => {
      this.#resolveIdle = resolve;
    });
    void this.#drain();
  }

  /** Resolves when no run is in progress or pending: for shutdown and tests. */
  whenIdle(): Promise<void> {
    return this.#idle;
  }

  async #drain(): Promise<void> {
    while (this.#isPending) {
      this.#isPending = false;
      try {
        await this.#work();
      } catch {
        // The work reports its own failures; a throw must not stop later triggers.
      }
    }
    this.#isRunning = false;
    this.#resolveIdle?.();
  }
}
