import { parseWrkReport } from './wrk.js';

describe('parseWrkReport', () => {
  it("reads the JSON line of the script's done hook among wrk's own output", () => {
    const output = [
      'Running 3s test @ http://127.0.0.1:4000/',
      '  1 threads and 8 connections',
      '{"requests":1200,"durationUs":3000000,"p50Us":1500,"p99Us":12250,"non2xx":2,"socketErrors":0}',
      '',
    ].join('\n');
    expect(parseWrkReport(output)).toEqual({
      requests: 1200,
      durationUs: 3_000_000,
      p50Us: 1500,
      p99Us: 12_250,
      non2xx: 2,
      socketErrors: 0,
    });
  });

  it('refuses output without a report, naming what wrk printed', () => {
    expect(() => parseWrkReport('unable to connect to 127.0.0.1:1 Connection refused\n')).toThrow(
      'wrk printed no report: unable to connect',
    );
  });
});
