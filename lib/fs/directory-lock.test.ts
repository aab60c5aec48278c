import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TemporaryDirectories } from '../../test/support/temporary-directories.js';
import { DirectoryLock, DirectoryLockedError } from './directory-lock.js';

const directories = new TemporaryDirectories('directory-lock');
const fileName = 'test.lock';

afterAll(() => directories.removeAll());

async function refusal(directory: string): Promise<DirectoryLockedError> {
  const error: unknown = await DirectoryLock.acquire(directory, { fileName }).then(
    async (lock) => {
      await lock.release();
      return undefined;
    },
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DirectoryLockedError);
  return error as DirectoryLockedError;
}

describe('DirectoryLock', () => {
  it('refuses a second holder, naming the first, until the first releases it', async () => {
    const directory = await directories.make();
    const first = await DirectoryLock.acquire(directory, { fileName });
    const refused = await refusal(directory);
    const startedAt = new Date(performance.timeOrigin).toISOString();
    expect(refused.holder).toEqual({ pid: process.pid, host: hostname(), startedAt });
    expect(refused.message).toBe(
      `${directory} is locked by pid ${process.pid} on host "${hostname()}", started "${startedAt}"`,
    );
    await first.release();
    const second = await DirectoryLock.acquire(directory, { fileName });
    await second.release();
  });

  it('is free at once after its holder is killed with SIGKILL, and the new holder records itself', async () => {
    const directory = await directories.make();
    // flock(1) exec-ing sleep (--no-fork): one process holding the lock, recording nothing.
    const holder = spawn('flock', ['--no-fork', '--exclusive', join(directory, fileName), 'sleep', '60'], {
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    try {
      let refused: DirectoryLockedError | undefined;
      for (let attempt = 0; attempt < 200 && refused === undefined; attempt += 1) {
        const lock = await DirectoryLock.acquire(directory, { fileName }).catch((error: unknown) => {
          if (error instanceof DirectoryLockedError) refused = error;
          else throw error;
        });
        // Until flock(1) has the lock, we may get it first: give it back and try again.
        if (lock !== undefined) await lock.release();
      }
      expect(refused?.message).toBe(
        `${directory} is locked by another process that has not recorded itself yet`,
      );
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    const lock = await DirectoryLock.acquire(directory, { fileName });
    const recorded = JSON.parse(await readFile(join(directory, fileName), 'utf8')) as { pid: number };
    expect(recorded.pid).toBe(process.pid);
    await lock.release();
  });

  it('overwrites what a dead holder left in the lock file', async () => {
    const directory = await directories.make();
    await writeFile(
      join(directory, fileName),
      '{"pid":1,"host":"gone","startedAt":"2020-01-01T00:00:00.000Z"} and more',
    );
    const lock = await DirectoryLock.acquire(directory, { fileName });
    expect(JSON.parse(await readFile(join(directory, fileName), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('fails closed, leaving the lock file as it was, when the flock program is missing', async () => {
    const directory = await directories.make();
    const recorded = '{"pid":7,"host":"h","startedAt":"2020-01-01T00:00:00.000Z"}\n';
    await writeFile(join(directory, fileName), recorded);
    await expect(
      DirectoryLock.acquire(directory, { fileName, flockCommand: 'accord-no-such-flock' }),
    ).rejects.toThrow(
      /^cannot lock: running accord-no-such-flock \(util-linux\) failed: spawn accord-no-such-flock ENOENT$/,
    );
    expect(await readFile(join(directory, fileName), 'utf8')).toBe(recorded);
  });
});
