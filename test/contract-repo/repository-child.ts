import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The built repository (`npm run build` first; `npm test` does). */
export const repositoryMainScript = join(process.cwd(), 'dist', 'contract-repo', 'main.js');

const readyTimeoutMs = 20_000;

/** A repository running as its own process, as in production. */
export interface RepositoryChild {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<void>;
}

/** A repository process ended without becoming ready: its exit code and what it wrote to stderr. */
export class RepositoryExitedError extends Error {
  override readonly name = 'RepositoryExitedError';

  constructor(
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`repository exited with ${String(code)} before ready: ${stderr}`);
  }
}

/**
 * Starts `node dist/contract-repo/main.js --config FILE` and resolves once it printed its ready
 * line; `onStarted` sees every child (to kill in `afterAll`). Rejects with a `RepositoryExitedError`
 * when the process exits first, or with an Error on timeout.
 */
export async function startRepositoryChild(
  configFile: string,
  onStarted: (child: ChildProcess) => void,
): Promise<RepositoryChild> {
  if (!existsSync(repositoryMainScript))
    throw new Error(`${repositoryMainScript} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [repositoryMainScript, '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onStarted(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`repository not ready within ${readyTimeoutMs} ms: ${stderr}`)),
      readyTimeoutMs,
    );
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new RepositoryExitedError(code, stderr));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const parsed = JSON.parse(line) as { event?: string; grpcPort?: number };
      if (parsed.event === 'ready' && typeof parsed.grpcPort === 'number') {
        clearTimeout(timer);
        resolve(parsed.grpcPort);
      }
    });
  });
  return { child, port, exited };
}
