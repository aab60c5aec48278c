import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError } from '../lib/errors/accord-error.js';
import type { CaState } from './ca-state.js';
import { FileCaStore } from './file-ca-store.js';

const state = (name: string, version = 1): CaState => ({
  version,
  sequence: 1,
  roots: [{ certificatePem: name, privateKeyPem: `${name}-key` }],
});

let directory: string;
beforeEach(async () => {
  directory = join(await mkdtemp(join(tmpdir(), 'accord-ca-store-')), 'ca');
});
afterEach(async () => {
  await rm(join(directory, '..'), { recursive: true, force: true });
});

describe('FileCaStore', () => {
  it('loads nothing from an empty directory', async () => {
    expect(await new FileCaStore(directory).load()).toBeUndefined();
  });

  it('keeps exactly one state when many creators race, and every creator gets that winner', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        new FileCaStore(directory).createIfAbsent(state(`root-${index}`)),
      ),
    );
    const winner = await new FileCaStore(directory).load();
    expect(winner).toBeDefined();
    expect(results.every((result) => JSON.stringify(result) === JSON.stringify(winner))).toBe(true);
    expect(await readdir(directory)).toEqual(['ca-state.json']);
    expect((await stat(join(directory, 'ca-state.json'))).mode & 0o777).toBe(0o600);
  });

  it('replaces the state when the expected version matches and refuses a stale version', async () => {
    const store = new FileCaStore(directory);
    await store.createIfAbsent(state('first'));
    await store.replace(state('second', 2), 1);
    expect((await store.load())?.roots[0]?.certificatePem).toBe('second');
    await expect(store.replace(state('third', 2), 1)).rejects.toThrow(FailedPreconditionError);
    expect((await store.load())?.roots[0]?.certificatePem).toBe('second');
  });

  it('lets only one of two concurrent replacements win', async () => {
    const store = new FileCaStore(directory);
    await store.createIfAbsent(state('first'));
    const outcomes = await Promise.allSettled([
      store.replace(state('a', 2), 1),
      store.replace(state('b', 2), 1),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(await readdir(directory)).toEqual(['ca-state.json']);
  });
});
