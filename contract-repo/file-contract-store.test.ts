import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditGenesis, type AuditEntry } from '../lib/contract/audit-chain.js';
import { AlreadyExistsError } from '../lib/errors/accord-error.js';
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
