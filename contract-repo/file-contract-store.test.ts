import { fstatSync, statSync } from 'node:fs';
import { appendFile, mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditGenesis, type AuditEntry } from '../lib/contract/audit-chain.js';
import { AlreadyExistsError, UnavailableError } from '../lib/errors/accord-error.js';
import { silentLogger } from '../lib/log/logger.js';
import type { Logger } from '../lib/log/logger.js';
import {
  FileContractStore,
  auditLogFileName,
  auditLogLine,
  snapshotFileName,
} from './file-contract-store.js';
import { CorruptStoreError } from './stored-audit-entry.js';
import { auditEntriesAfter } from '../test/support/test-audit-entries.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'file-contract-store-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function storeWith(entries: AuditEntry[]): Promise<void> {
  const store = new FileContractStore(directory, silentLogger);
  await store.load();
  for (const entry of entries) await store.append(entry, entry.sequence - 1);
  await store.close();
}

async function load(): Promise<AuditEntry[]> {
  const store = new FileContractStore(directory, silentLogger);
  try {
    return (await store.load()).entries;
  } finally {
    await store.close();
  }
}

describe('FileContractStore', () => {
  it('returns every appended entry after a reopen', async () => {
    const entries = auditEntriesAfter(auditGenesis, 3);
    await storeWith(entries);
    expect(await load()).toEqual(entries);
  });

  it('drops a torn last line that was never acknowledged and keeps appending after it', async () => {
    const entries = auditEntriesAfter(auditGenesis, 3);
    await storeWith(entries.slice(0, 2));
    await appendFile(join(directory, auditLogFileName), '{"sequence":3,"previousHa');
    expect(await load()).toEqual(entries.slice(0, 2));
    const store = new FileContractStore(directory, silentLogger);
    await store.load();
    const third = entries[2];
    if (third === undefined) throw new Error('missing entry');
    await store.append(third, 2);
    await store.close();
    expect(await load()).toEqual(entries);
  });

  const corruptions: { name: string; corrupt: (text: string) => string; message: RegExp }[] = [
    {
      name: 'an edited acknowledged line',
      corrupt: (text) => text.replace('line\\\\n2', 'line\\\\nX'),
      message: /does not verify: entry 2 hash does not match/,
    },
    {
      name: 'a removed line in the middle',
      corrupt: (text) =>
        text
          .split('\n')
          .filter((_, index) => index !== 1)
          .join('\n'),
      message: /expected entry 2, found 3/,
    },
    { name: 'a line that is not JSON', corrupt: (text) => `garbage\n${text}`, message: /line 1: not JSON/ },
  ];

  it.each(corruptions)('refuses to load a log with $name', async ({ corrupt, message }) => {
    await storeWith(auditEntriesAfter(auditGenesis, 3));
    const path = join(directory, auditLogFileName);
    await writeFile(path, corrupt(await readFile(path, 'utf8')));
    await expect(load()).rejects.toThrow(CorruptStoreError);
    await expect(load()).rejects.toThrow(message);
  });

  it('refuses an append whose expected previous sequence is not the head', async () => {
    const entries = auditEntriesAfter(auditGenesis, 2);
    await storeWith(entries.slice(0, 1));
    const store = new FileContractStore(directory, silentLogger);
    await store.load();
    const second = entries[1];
    if (second === undefined) throw new Error('missing entry');
    await expect(store.append(second, 0)).rejects.toThrow(AlreadyExistsError);
    await store.close();
  });

  describe('durability', () => {
    /** The file system calls on the audit log file, in order; `datasync` may be held back or fail. */
    interface DiskCalls {
      readonly calls: string[];
      /** Lets the held-back `fdatasync`s complete. */
      release(): void;
      restore(): void;
    }

    /**
     * Records `appendFile`, `truncate` and `datasync` on the audit log file (by inode, so the lock
     * file's writes are not counted) from now on.
     */
    async function recordDiskCalls(datasync: 'hold' | 'fail' | 'pass'): Promise<DiskCalls> {
      const probe = await open(join(directory, 'probe'), 'w');
      const prototype = Object.getPrototypeOf(probe) as FileHandle;
      await probe.close();
      const calls: string[] = [];
      const logInode = statSync(join(directory, auditLogFileName)).ino;
      const record = (handle: FileHandle, method: string) => {
        if (fstatSync(handle.fd).ino === logInode) calls.push(method);
      };
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      const spies = (['appendFile', 'truncate'] as const).map((method) => {
        const original = Reflect.get(prototype, method) as (
          this: FileHandle,
          ...args: unknown[]
        ) => Promise<void>;
        return jest.spyOn(prototype, method).mockImplementation(function (
          this: FileHandle,
          ...args: unknown[]
        ) {
          record(this, method);
          return original.apply(this, args);
        });
      });
      const originalDatasync = Reflect.get(prototype, 'datasync');
      spies.push(
        jest.spyOn(prototype, 'datasync').mockImplementation(async function (this: FileHandle) {
          record(this, 'datasync');
          if (datasync === 'fail')
            throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
          await originalDatasync.call(this);
          if (datasync === 'hold') await released;
        }),
      );
      return {
        calls,
        release,
        restore: () => {
          for (const spy of spies) spy.mockRestore();
        },
      };
    }

    it('acknowledges an append only after its line was written and fdatasync completed', async () => {
      const [first, second] = auditEntriesAfter(auditGenesis, 2);
      if (first === undefined || second === undefined) throw new Error('missing entry');
      const store = new FileContractStore(directory, silentLogger);
      await store.load();
      const disk = await recordDiskCalls('hold');
      try {
        let isAcknowledged = false;
        const appended = store.append(first, 0).then(() => (isAcknowledged = true));
        for (let turn = 0; turn < 1000 && !disk.calls.includes('datasync'); turn += 1)
          await new Promise((resolve) => setImmediate(resolve));
        expect(disk.calls).toEqual(['appendFile', 'datasync']);
        await new Promise((resolve) => setImmediate(resolve));
        expect(isAcknowledged).toBe(false);
        disk.release();
        await appended;
        expect(isAcknowledged).toBe(true);
        await store.append(second, 1);
        expect(disk.calls).toEqual(['appendFile', 'datasync', 'appendFile', 'datasync']);
      } finally {
        disk.restore();
        await store.close();
      }
      expect(await load()).toEqual([first, second]);
    });

    // After a failed fsync the kernel may have dropped the dirty pages and cleared the error, so a
    // retry that "succeeds" proves nothing (PostgreSQL's "fsyncgate"): the store stops instead.
    it('refuses an append whose fdatasync fails, and every later append until a restart', async () => {
      const [first] = auditEntriesAfter(auditGenesis, 1);
      if (first === undefined) throw new Error('missing entry');
      const store = new FileContractStore(directory, silentLogger);
      await store.load();
      const disk = await recordDiskCalls('fail');
      try {
        const failure: unknown = await store.append(first, 0).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(UnavailableError);
        expect((failure as UnavailableError).message).toBe('the audit log could not be written');
        expect(disk.calls).toEqual(['appendFile', 'datasync']);
      } finally {
        disk.restore();
      }
      await expect(store.append(first, 0)).rejects.toThrow(
        'the audit log file failed earlier; restart to recover',
      );
      await store.close();
      // The refused entry was never acknowledged: a restart may find it (the write reached the page
      // cache) or not, and serves either way.
      const restarted = await load();
      expect(restarted.length).toBeLessThanOrEqual(1);
    });

    it('makes the removal of a torn last line durable before it appends after it', async () => {
      const [first, second] = auditEntriesAfter(auditGenesis, 2);
      if (first === undefined || second === undefined) throw new Error('missing entry');
      await storeWith([first]);
      await appendFile(join(directory, auditLogFileName), '{"sequence":2,"previousHa');
      const disk = await recordDiskCalls('pass');
      const store = new FileContractStore(directory, silentLogger);
      try {
        await store.load();
        await store.append(second, 1);
        expect(disk.calls).toEqual(['truncate', 'datasync', 'appendFile', 'datasync']);
      } finally {
        disk.restore();
        await store.close();
      }
    });
  });

  describe('with a snapshot', () => {
    const entries = auditEntriesAfter(auditGenesis, 600);
    const snapshotHead = (sequence: number) => {
      const entry = entries[sequence - 1];
      if (entry === undefined) throw new Error(`no entry ${sequence}`);
      return { sequence, hash: entry.hash };
    };

    /**
     * A store holding `entries`, with a snapshot written at `sequence` (the state being `state`).
     * The lines are written in one go (as the store writes them, without an fsync each).
     */
    async function storeWithSnapshot(sequence: number, state = 'state'): Promise<void> {
      const path = join(directory, auditLogFileName);
      await writeFile(path, entries.slice(0, sequence).map(auditLogLine).join(''));
      const store = new FileContractStore(directory, silentLogger);
      await store.load();
      await store.writeSnapshot({ head: snapshotHead(sequence), bytes: Buffer.from(state) });
      await store.close();
      await appendFile(path, entries.slice(sequence).map(auditLogLine).join(''));
    }

    /** Loads with a logger that keeps its warnings. */
    async function loadWarning(): Promise<{
      loaded: Awaited<ReturnType<FileContractStore['load']>>;
      warnings: string[];
    }> {
      const warnings: string[] = [];
      const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
      const store = new FileContractStore(directory, logger);
      try {
        return { loaded: await store.load(), warnings };
      } finally {
        await store.close();
      }
    }

    it('starts from the snapshot and reads only the entries after it', async () => {
      await storeWithSnapshot(300);
      const { loaded, warnings } = await loadWarning();
      expect(loaded.snapshot).toEqual({ head: snapshotHead(300), bytes: Buffer.from('state') });
      expect(loaded.entries).toEqual(entries.slice(300));
      expect(warnings).toEqual([]);
    });

    it.each([
      [
        'a snapshot that does not match its digest',
        async () => {
          const path = join(directory, snapshotFileName);
          await writeFile(path, (await readFile(path, 'utf8')).replace(/state$/, 'stale'));
        },
      ],
      [
        'a snapshot whose head is not in the log any more',
        async () => {
          const path = join(directory, auditLogFileName);
          const text = await readFile(path, 'utf8');
          await writeFile(path, text.slice(0, text.indexOf('{"sequence":300,')));
        },
      ],
    ])('ignores %s and reads the whole log', async (_name, damage) => {
      await storeWithSnapshot(300);
      await damage();
      const { loaded, warnings } = await loadWarning();
      expect(loaded.snapshot).toBeUndefined();
      expect(loaded.entries[0]).toEqual(entries[0]);
      expect(warnings).toEqual(['contract snapshot ignored, reading the whole audit log']);
    });

    it('refuses an edited entry after the snapshot', async () => {
      await storeWithSnapshot(300);
      const path = join(directory, auditLogFileName);
      await writeFile(path, (await readFile(path, 'utf8')).replace('line\\\\n400', 'line\\\\nX'));
      await expect(load()).rejects.toThrow(/does not verify: entry 400 hash does not match/);
    });

    it('drops a torn last line after the snapshot', async () => {
      await storeWithSnapshot(600);
      await appendFile(join(directory, auditLogFileName), '{"sequence":601,"previousHa');
      const { loaded } = await loadWarning();
      expect(loaded.snapshot?.head.sequence).toBe(600);
      expect(loaded.entries).toEqual([]);
    });

    it('reads pages of entries from any sequence, before and after the snapshot, never past the head', async () => {
      await storeWithSnapshot(300);
      const store = new FileContractStore(directory, silentLogger);
      await store.load();
      try {
        expect(await store.readEntries(250, 100)).toEqual(entries.slice(249, 349));
        expect(await store.readEntries(1, 3)).toEqual(entries.slice(0, 3));
        expect(await store.readEntries(590, 50)).toEqual(entries.slice(589));
        expect(await store.readEntries(601, 10)).toEqual([]);
      } finally {
        await store.close();
      }
    });
  });
});
