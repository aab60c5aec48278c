const defaultIntervalMs = 25;

/**
 * Polls `check` until it returns a value other than `undefined` and resolves with it; rejects
 * after `timeoutMs` naming `what`. A deadline, not a fixed sleep: it returns as soon as the state
 * is reached, and an error thrown by `check` fails at once.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = defaultIntervalMs,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not reached within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
