const checkIntervalMs = 20;

/**
 * Resolves once `isMet` holds, checking every 20 ms; rejects after `timeoutMs`, naming `what`. For
 * start-up conditions that have no event to wait on (a provider's first sync); never used inside a
 * measured interval.
 */
export async function waitUntil(isMet: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!isMet()) {
    if (performance.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, checkIntervalMs));
  }
}
