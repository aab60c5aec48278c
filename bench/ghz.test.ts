import { parseGhzReport } from './ghz.js';

const report = {
  count: 1000,
  rps: 5123.4,
  statusCodeDistribution: { OK: 998, Unavailable: 2 },
  errorDistribution: { 'rpc error: code = Unavailable desc = closing': 2 },
  latencyDistribution: [
    { percentage: 50, latency: 1_500_000 },
    { percentage: 99, latency: 12_250_000 },
  ],
};

describe('parseGhzReport', () => {
  it('reads counts, throughput, the p50 and p99 latency in ms and the failed status codes', () => {
    expect(parseGhzReport(JSON.stringify(report))).toEqual({
      count: 1000,
      okCount: 998,
      callsPerSecond: 5123.4,
      p50Ms: 1.5,
      p99Ms: 12.25,
      errors: { Unavailable: 2 },
    });
  });

  it('refuses a report without the p99 latency', () => {
    const partial = { ...report, latencyDistribution: [{ percentage: 50, latency: 1 }] };
    expect(() => parseGhzReport(JSON.stringify(partial))).toThrow('ghz report without a p99 latency');
  });
});
