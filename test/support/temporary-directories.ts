import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The temporary directories of one test file, named `<prefix>-XXXXXX`, removed together by
 * `removeAll` — called from the file's `afterAll` once whatever used them has stopped — so a test
 * run leaves nothing behind in the system's temporary directory.
 */
export class TemporaryDirectories {
  readonly #prefix: string;
  readonly #made: string[] = [];

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  async make(): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), `${this.#prefix}-`));
    this.#made.push(directory);
    return directory;
  }

  async removeAll(): Promise<void> {
    const made = this.#made.splice(0);
    await Promise.all(made.map((directory) => rm(directory, { recursive: true, force: true })));
  }
}
