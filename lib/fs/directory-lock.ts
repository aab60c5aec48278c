import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pid } from 'node:process';
import { quoteUntrusted } from '../errors/quote-untrusted.js';

/** Who holds a directory lock, as recorded in the lock file for the process that is refused. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** When the holding process started (ISO 8601). */
  readonly startedAt: string;
}

/** Another live process holds the lock; `holder` is what it recorded, when it did. */
export class DirectoryLockedError extends Error {
  override readonly name = 'DirectoryLockedError';

  constructor(
    readonly directory: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      holder === undefined
        ? `${directory} is locked by another process that has not recorded itself yet`
        : `${directory} is locked by pid ${holder.pid} on host ${quoteUntrusted(holder.host)}, started ${quoteUntrusted(holder.startedAt)}`,
    );
  }
}

/** Options of `DirectoryLock.acquire`; the defaults are what the daemons use. */
export interface DirectoryLockOptions {
  /** The lock file's name inside the directory. */
  fileName: string;
  /** The `flock` program (util-linux); tests point it elsewhere. */
  flockCommand?: string;
}

/** Exit code `flock` is told to use when the lock is taken, to tell it from its own failures. */
const heldExitCode = 75;

/**
 * An exclusive lock on a directory held for the life of this process: one writer per data
 * directory. It is an OS lock (`flock(2)`) on `<directory>/<fileName>`, so the kernel releases it
 * when the holder dies, however it dies (`kill -9` included): no stale lock, no timeout to wait
 * out, and a second process on the same directory is refused at once. The lock lives on the open
 * file description of the handle kept here; Node has no `flock`, so the `flock` program (util-linux)
 * takes it on that description, inherited as its file descriptor 3, and exits: the lock stays as
 * long as this process keeps the handle open. Alternatives and why not (docs/contracts-api.md,
 * "One process per data directory"): `proper-lockfile`'s mkdir and mtime lock is released only
 * after a timeout and can be taken from a live holder whose event loop stalls; POSIX `fcntl` locks
 * (native addons only) vanish when the process closes any descriptor of the file; sockets are
 * scoped to a network namespace.
 */
export class DirectoryLock {
  readonly #handle: FileHandle;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /**
   * Takes the lock or throws `DirectoryLockedError` naming the holder. Records this process (pid,
   * host, start time) in the lock file once it holds the lock. The directory must exist.
   */
  static async acquire(directory: string, options: DirectoryLockOptions): Promise<DirectoryLock> {
    const path = join(directory, options.fileName);
    // Not truncated on open: until the lock is ours, the file describes the holder.
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      const outcome = await flockExclusive(handle, options.flockCommand ?? 'flock');
      if (outcome === 'held') throw new DirectoryLockedError(directory, await readHolder(path));
      const holder: LockHolder = {
        pid,
        host: hostname(),
        startedAt: new Date(performance.timeOrigin).toISOString(),
      };
      await handle.truncate(0);
      await handle.write(`${JSON.stringify(holder)}\n`, 0);
      return new DirectoryLock(handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Releases the lock (closing the only descriptor that holds it). */
  async release(): Promise<void> {
    await this.#handle.close();
  }
}

/** Runs `flock --exclusive --nonblock 3` on the handle's open file description. */
function flockExclusive(handle: FileHandle, command: string): Promise<'locked' | 'held'> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      command,
      ['--exclusive', '--nonblock', '--conflict-exit-code', String(heldExitCode), '3'],
      { stdio: ['ignore', 'ignore', 'pipe', handle.fd] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', (error) =>
      reject(
        new Error(`cannot lock: running ${command} (util-linux) failed: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    child.once('close', (code) => {
      if (code === 0) resolve('locked');
      else if (code === heldExitCode) resolve('held');
      else reject(new Error(`cannot lock: ${command} exited with ${String(code)}: ${stderr.trim()}`));
    });
  });
}

/** The holder recorded in the lock file, or undefined while it has not written it (or wrote garbage). */
async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const recorded = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder> | null;
    if (
      typeof recorded?.pid === 'number' &&
      typeof recorded.host === 'string' &&
      typeof recorded.startedAt === 'string'
    )
      return { pid: recorded.pid, host: recorded.host, startedAt: recorded.startedAt };
  } catch {
    // Empty or torn while the holder writes it: reported as not recorded.
  }
  return undefined;
}
