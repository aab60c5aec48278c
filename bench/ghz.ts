import { spawn } from 'node:child_process';

/** One ghz run against a gRPC server over mTLS. */
export interface GhzRun {
  /** The ghz binary (`testTool('ghz')`). */
  readonly ghz: string;
  /** `host:port` of the server. */
  readonly address: string;
  /** Fully qualified method, e.g. `accord.contracts.v1.ContractService/GetCertificates`. */
  readonly method: string;
  /** The request as protobuf JSON. */
  readonly requestJson: string;
  /** The client's certificate and key files (PEM). */
  readonly certificateFile: string;
  readonly privateKeyFile: string;
  readonly calls: number;
  /** Calls in flight at once, spread over `connections` HTTP/2 connections. */
  readonly concurrency: number;
  readonly connections: number;
  /** Fails the run (and kills ghz) when it takes longer than this. */
  readonly maxDurationMs: number;
}

/** What ghz measured. */
export interface GhzReport {
  /** Calls made, successful or not. */
  readonly count: number;
  /** Calls that ended with OK. */
  readonly okCount: number;
  /** Completed calls per second over the run. */
  readonly callsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Status codes other than OK (a failed connection counts as Unavailable), with how often each occurred. */
  readonly errors: Readonly<Record<string, number>>;
}

/**
 * Runs ghz, the compiled gRPC load generator, and returns its report. A client written in Go
 * costs the shared cores far less per call than one in Node (where the client, not the server,
 * was the ceiling), so the server's own cost shows. ghz finds the method by server reflection.
 * `--skipTLS` skips only ghz's check of the server's certificate, which is an SVID without the DNS
 * name Go insists on; the server still authenticates ghz by its client certificate.
 */
export async function runGhz(run: GhzRun): Promise<GhzReport> {
  const args = [
    '--skipTLS',
    `--cert=${run.certificateFile}`,
    `--key=${run.privateKeyFile}`,
    `--call=${run.method}`,
    `--data=${run.requestJson}`,
    `--total=${run.calls}`,
    `--concurrency=${run.concurrency}`,
    `--connections=${run.connections}`,
    '--disable-template-functions',
    '--disable-template-data',
    '--format=json',
    run.address,
  ];
  const child = spawn(run.ghz, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  // Not ghz's --max-duration: with it, ghz 0.121 keeps calling until the duration ends, whatever --total says.
  const timer = setTimeout(() => child.kill('SIGKILL'), run.maxDurationMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearTimeout(timer));
  if (code !== 0) {
    throw new Error(`ghz exited with ${String(code)} (killed after ${run.maxDurationMs} ms?): ${stderr}`);
  }
  return parseGhzReport(Buffer.concat(stdout).toString('utf8'));
}

/** Reads the report ghz prints with `--format=json`; throws when a field is missing. */
export function parseGhzReport(json: string): GhzReport {
  const report = JSON.parse(json) as {
    count?: unknown;
    rps?: unknown;
    statusCodeDistribution?: Record<string, unknown> | null;
    latencyDistribution?: { percentage?: unknown; latency?: unknown }[] | null;
  };
  if (typeof report.count !== 'number' || typeof report.rps !== 'number')
    throw new Error('ghz report without count or rps');
  const latencyMsAt = (percentage: number): number => {
    const entry = report.latencyDistribution?.find((each) => each.percentage === percentage);
    if (typeof entry?.latency !== 'number') throw new Error(`ghz report without a p${percentage} latency`);
    return entry.latency / 1e6;
  };
  const statusCodes = Object.entries(report.statusCodeDistribution ?? {});
  const errors: Record<string, number> = {};
  for (const [code, count] of statusCodes) {
    if (code !== 'OK' && typeof count === 'number') errors[code] = count;
  }
  const ok = statusCodes.find(([code]) => code === 'OK')?.[1];
  return {
    count: report.count,
    okCount: typeof ok === 'number' ? ok : 0,
    callsPerSecond: report.rps,
    p50Ms: latencyMsAt(50),
    p99Ms: latencyMsAt(99),
    errors,
  };
}
