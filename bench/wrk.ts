import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One wrk run: a closed loop of keep-alive connections POSTing the same request for a fixed time. */
export interface WrkRun {
  /** The wrk binary (`testTool('wrk')`, provisioned by scripts/provision-test-tools.sh). */
  readonly wrk: string;
  /** Where wrk connects: `127.0.0.1:<port>`. */
  readonly address: string;
  /** The request target: an origin path, or an absolute URL when `address` is an HTTP proxy. */
  readonly target: string;
  /** Header names and values, sent as given (Host among them). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Connections, each with one request in flight: the closed loop's concurrency. */
  readonly connections: number;
  readonly durationSeconds: number;
}

/** What wrk measured (its HdrHistogram, microsecond resolution). */
export interface WrkReport {
  readonly requests: number;
  readonly durationUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Answers with a status other than 2xx or 3xx. */
  readonly non2xx: number;
  /** Connect, read, write and timeout errors together. */
  readonly socketErrors: number;
}

/**
 * Runs wrk (C and LuaJIT: a few microseconds of CPU per request, where a Node client costs more
 * than the path it measures on two cores) and returns its report, printed as one JSON line by the
 * script's `done` hook. One thread: the concurrency is the connections, the CPU goes to the path.
 * Bounded by `durationSeconds` (wrk stops itself) and, should it hang, killed 30 s after that.
 */
export async function runWrk(run: WrkRun): Promise<WrkReport> {
  const directory = await mkdtemp(join(tmpdir(), 'accord-wrk-'));
  try {
    const script = join(directory, 'request.lua');
    await writeFile(script, wrkScript(run));
    const args = [
      '--threads',
      '1',
      '--connections',
      String(run.connections),
      '--duration',
      `${run.durationSeconds}s`,
      '--timeout',
      '5s',
      '--script',
      script,
      `http://${run.address}/`,
    ];
    const child = spawn(run.wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), (run.durationSeconds + 30) * 1000);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    }).finally(() => clearTimeout(timer));
    if (code !== 0) throw new Error(`wrk exited with ${String(code)}: ${output.slice(-2000)}`);
    return parseWrkReport(output);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** The request as a wrk script, and a `done` hook printing the figures as one JSON line. */
function wrkScript(run: WrkRun): string {
  const headers = Object.entries(run.headers)
    .map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)
    .join('\n');
  return `wrk.method = "POST"
wrk.path = ${JSON.stringify(run.target)}
wrk.body = ${JSON.stringify(run.body)}
${headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"non2xx":%d,"socketErrors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
`;
}

/** Reads the JSON line of the script's `done` hook from wrk's output; throws when it is missing. */
export function parseWrkReport(output: string): WrkReport {
  const line = output.split('\n').find((each) => each.startsWith('{"requests":'));
  if (line === undefined) throw new Error(`wrk printed no report: ${output.slice(-2000)}`);
  return JSON.parse(line) as WrkReport;
}
