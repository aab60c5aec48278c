import { runBoundedLoad } from './bounded-load.js';

/** A clock that advances only when the test says so: no real time is measured. */
function steppingClock(stepMs: number): () => number {
  let nowMs = 0;
  return () => (nowMs += stepMs);
}

describe('runBoundedLoad', () => {
  it('makes exactly the requested number of calls with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await runBoundedLoad({
      calls: 50,
      concurrency: 4,
      maxDurationMs: Number.POSITIVE_INFINITY,
      call: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await Promise.resolve();
        inFlight -= 1;
      },
    });
    expect(result.latenciesMs).toHaveLength(50);
    expect(maxInFlight).toBe(4);
  });

  it('stops issuing calls once the time budget is spent', async () => {
    let calls = 0;
    const result = await runBoundedLoad({
      calls: 1000,
      concurrency: 1,
      maxDurationMs: 10,
      now: steppingClock(1),
      call: () => {
        calls += 1;
        return Promise.resolve();
      },
    });
    expect(calls).toBeLessThan(10);
    expect(result.latenciesMs).toHaveLength(calls);
  });

  it('fails the run when a call fails', async () => {
    await expect(
      runBoundedLoad({
        calls: 3,
        concurrency: 1,
        maxDurationMs: Number.POSITIVE_INFINITY,
        call: () => Promise.reject(new Error('unavailable')),
      }),
    ).rejects.toThrow('unavailable');
  });
});
