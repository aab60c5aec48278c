import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import { configApiVersion } from '../lib/config/load-config.js';
import { createGrpcClient, type GrpcClient } from '../lib/grpc/grpc-client.js';
import { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import {
  contractRepoConfigKind,
  type contractRepoConfigSchema,
} from '../contract-repo/contract-repo-config.js';
import type { TestSvid, TestZone } from '../test/support/test-zone.js';

/** Path of the repository's server identity inside the hub zone. */
const repositoryPath = '/accord/contract-repo';
const defaultReadyTimeoutMs = 30_000;
const stopTimeoutMs = 10_000;

/** The built repository entry point, relative to this compiled file (`dist-bench/bench/`). */
export const repositoryMainScript = new URL('../contract-repo/main.js', import.meta.url);

/** What a benchmark repository needs: where to keep its files and who may call it. */
export interface RepositoryProcessOptions {
  /** Receives the config, certificates and (under `data/`) the audit log. */
  readonly directory: string;
  /** The hub zone: issues the repository's server certificate. */
  readonly hub: TestZone;
  /** SPIFFE IDs allowed to propose and revoke. */
  readonly admins: readonly string[];
  /** Zones whose SVIDs may call (the hub is enrolled too, for the admin). */
  readonly zones: readonly TestZone[];
}

/** A repository running as its own process, as in production, and how to reach and stop it. */
export interface RepositoryProcess {
  readonly address: string;
  readonly dataDir: string;
  /** The process id, to read its CPU time and memory from `/proc`. */
  readonly pid: number;
  /** An mTLS client presenting `identity` that accepts only the repository's own SVID. */
  client(identity: TestSvid): GrpcClient<typeof ContractService>;
  /** Stops it cleanly (SIGTERM, SIGKILL after a grace period). */
  close(): Promise<void>;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
}

/** A repository's config file and what its clients need to know, written once, started many times. */
export interface RepositorySetup {
  readonly configFile: string;
  readonly dataDir: string;
  readonly hub: TestZone;
}

/**
 * Writes a `ContractRepoConfig` file for the zones and starts `node dist/contract-repo/main.js
 * --config FILE`, resolving once it printed its ready line. Running it out of process keeps the
 * repository's event loop, fsyncs and TLS work from competing with the benchmark's own clients
 * for the same thread, which an in-process server would hide.
 */
export async function startRepositoryProcess(options: RepositoryProcessOptions): Promise<RepositoryProcess> {
  return launchRepository(await writeRepositorySetup(options));
}

/** Writes the config file, the repository's certificate and the enrolled roots into `directory`. */
export async function writeRepositorySetup(options: RepositoryProcessOptions): Promise<RepositorySetup> {
  const { directory, hub } = options;
  const file = async (name: string, content: string): Promise<string> => {
    const path = join(directory, name);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  };
  const server = await hub.issue(repositoryPath);
  const enrolled = [hub, ...options.zones];
  const dataDir = join(directory, 'data');
  const config: z.input<typeof contractRepoConfigSchema> = {
    listen: { host: '127.0.0.1', port: 0 },
    ops: { host: '127.0.0.1', port: 0 },
    dataDir,
    admins: [...options.admins],
    enrolledZones: await Promise.all(
      enrolled.map(async (zone) => ({
        trustDomain: zone.trustDomain,
        rootCaFile: await file(`${zone.name}-root.pem`, zone.rootPem),
      })),
    ),
    tls: {
      certificateFile: await file('repository.pem', server.certificatePem),
      privateKeyFile: await file('repository-key.pem', server.privateKeyPem),
    },
  };
  const configFile = await file(
    'contract-repo.json',
    JSON.stringify({ apiVersion: configApiVersion, kind: contractRepoConfigKind, ...config }),
  );
  return { configFile, dataDir, hub };
}

/**
 * Starts a repository from a setup, resolving once it printed its ready line (within 30 s unless
 * `readyTimeoutMs` allows more: a first start on a large log folds every entry).
 */
export async function launchRepository(
  setup: RepositorySetup,
  readyTimeoutMs = defaultReadyTimeoutMs,
): Promise<RepositoryProcess> {
  const { configFile, dataDir, hub } = setup;
  const child = spawn(process.execPath, [repositoryMainScript.pathname, '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderrTail = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout });
  const grpcPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`repository not ready within ${readyTimeoutMs} ms: ${stderrTail}`));
    }, readyTimeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`repository exited with ${String(code)} before it was ready: ${stderrTail}`));
    });
    lines.on('line', (line) => {
      const port = readyPort(line);
      if (port === undefined) return;
      clearTimeout(timer);
      resolve(port);
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  const address = `127.0.0.1:${grpcPort}`;
  const pid = child.pid;
  if (pid === undefined) throw new Error('the repository process has no pid');
  return {
    address,
    dataDir,
    pid,
    client: (identity) =>
      createGrpcClient(ContractService, address, {
        caPems: [hub.rootPem],
        expectedServerId: `spiffe://${hub.trustDomain}${repositoryPath}`,
        certificatePem: identity.certificatePem,
        privateKeyPem: identity.privateKeyPem,
      }),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(killer);
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The gRPC port of the repository's `{"event":"ready",...}` line, or `undefined` for any other line. */
export function readyPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { event?: unknown; grpcPort?: unknown };
    return parsed.event === 'ready' && typeof parsed.grpcPort === 'number' ? parsed.grpcPort : undefined;
  } catch {
    return undefined;
  }
}
