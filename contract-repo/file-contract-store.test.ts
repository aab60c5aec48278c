import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditGenesis, type AuditEntry } from '../lib/contract/audit-chain.js';
import { AlreadyExistsError } from '../lib/errors/accord-error.js';
import { silentLogger } from '../lib/log/logger.js';
import { FileContractStore, auditLogFileName } from './file-contract-store.js';
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
    return await store.load();
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
});
