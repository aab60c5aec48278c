import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, UnavailableError } from '../lib/errors/accord-error.js';
import { syncDirectory, writeFileAtomic } from '../lib/fs/atomic-write.js';
import { parseCaState, type CaState } from './ca-state.js';
import type { CaStore } from './ca-store.js';

const stateFileName = 'ca-state.json';
const lockFileName = 'ca-state.json.lock';

/**
 * Local-mode `CaStore`: one JSON file (mode 0600, it holds private keys) in `directory`.
 * Creation writes a complete, fsynced temporary file and hard-links it to the final name: `link`
 * fails if the name exists, so exactly one of several concurrent creators wins and nobody can
 * ever read a half-written state. Replacement takes an exclusive lock file, checks the version and
 * renames a new file into place.
 */
export class FileCaStore implements CaStore {
  readonly #directory: string;

  constructor(directory: string) {
    this.#directory = directory;
  }

  async load(): Promise<CaState | undefined> {
    const path = join(this.#directory, stateFileName);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return undefined;
      throw error;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new FailedPreconditionError(`${path}: not valid JSON`);
    }
    const state = parseCaState(document);
    if ('problems' in state) {
      throw new FailedPreconditionError(`${path}: not a CA state (${state.problems.join('; ')})`);
    }
    return state;
  }

  async createIfAbsent(state: CaState): Promise<CaState> {
    await mkdir(this.#directory, { recursive: true, mode: 0o700 });
    const temporary = join(this.#directory, `.${stateFileName}.${randomBytes(8).toString('hex')}.tmp`);
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(state, undefined, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, join(this.#directory, stateFileName));
    } catch (error) {
      if (!isErrorCode(error, 'EEXIST')) throw error;
    } finally {
      await unlink(temporary);
    }
    await syncDirectory(this.#directory);
    const stored = await this.load();
    if (stored === undefined) throw new UnavailableError('CA state vanished right after creation');
    return stored;
  }

  async replace(state: CaState, expectedVersion: number): Promise<void> {
    const lockPath = join(this.#directory, lockFileName);
    let lock;
    try {
      lock = await open(lockPath, 'wx', 0o600);
    } catch (error) {
      if (isErrorCode(error, 'EEXIST')) {
        throw new FailedPreconditionError(
          `another change of the CA state is in progress (lock file ${lockPath})`,
        );
      }
      throw error;
    }
    try {
      const current = await this.load();
      if (current?.version !== expectedVersion) {
        throw new FailedPreconditionError('the CA state changed concurrently; reload and retry');
      }
      await writeFileAtomic(join(this.#directory, stateFileName), JSON.stringify(state, undefined, 2), {
        mode: 0o600,
      });
    } finally {
      await lock.close();
      await unlink(lockPath);
    }
  }
}

// Duck-typed: fs errors may come from another realm (e.g. under jest), where instanceof fails.
function isErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
