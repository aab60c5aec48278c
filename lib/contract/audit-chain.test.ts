import {
  AuditChainError,
  AuditChainVerifier,
  auditEntryHash,
  auditGenesis,
  auditGenesisHash,
  chainAuditRecord,
  decodeAuditRecord,
  encodeAuditRecord,
  verifyAuditChain,
  type AuditAction,
  type AuditEntry,
  type AuditRecord,
} from './audit-chain.js';

function chainOf(length: number): AuditEntry[] {
  const actions: AuditAction[] = ['propose', 'approve', 'approve', 'revoke', 'delete'];
  const entries: AuditEntry[] = [];
  let previous = auditGenesis;
  for (let sequence = 1; sequence <= length; sequence += 1) {
    const entry = chainAuditRecord(previous, {
      sequence,
      time: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString(),
      actor: 'spiffe://zone-a.example/admin',
      action: actions[(sequence - 1) % actions.length] ?? 'propose',
      contractId: 'ab',
      details: { note: `change ${sequence}`, nested: { b: 1, a: [true, null] } },
    });
    entries.push(entry);
    previous = { sequence: entry.sequence, hash: entry.hash };
  }
  return entries;
}

function replaceAt(
  entries: AuditEntry[],
  index: number,
  change: (entry: AuditEntry) => AuditEntry,
): AuditEntry[] {
  return entries.map((entry, position) => (position === index ? change(entry) : entry));
}

describe('audit chain', () => {
  it('encodes records as canonical JSON with sorted keys and decodes them back', () => {
    const [first] = chainOf(1);
    expect(first).toBeDefined();
    const text = new TextDecoder().decode(first?.record);
    expect(text).toBe(
      '{"action":"propose","actor":"spiffe://zone-a.example/admin","contractId":"ab","details":{"nested":{"a":[true,null],"b":1},"note":"change 1"},"sequence":1,"time":"2026-01-01T00:00:01.000Z"}',
    );
    expect(encodeAuditRecord(decodeAuditRecord(first?.record ?? new Uint8Array()))).toEqual(first?.record);
    expect(first?.previousHash).toEqual(auditGenesisHash);
  });

  it('verifies an untouched chain and returns its head', () => {
    const entries = chainOf(5);
    const head = verifyAuditChain(entries);
    expect(head.sequence).toBe(5);
    expect(head.hash).toEqual(entries[4]?.hash);
  });

  it('verifies a chain in pages, starting from a trusted head', () => {
    const entries = chainOf(6);
    const firstPage = new AuditChainVerifier();
    entries.slice(0, 3).forEach((entry) => firstPage.add(entry));
    const secondPage = new AuditChainVerifier(firstPage.head);
    entries.slice(3).forEach((entry) => secondPage.add(entry));
    expect(secondPage.finish().sequence).toBe(6);
  });

  const tamperings: { name: string; tamper: (entries: AuditEntry[]) => AuditEntry[]; message: RegExp }[] = [
    {
      name: 'an edited record',
      tamper: (entries) =>
        replaceAt(entries, 2, (entry) => ({
          ...entry,
          record: new TextEncoder().encode(
            new TextDecoder().decode(entry.record).replace('zone-a', 'zone-c'),
          ),
        })),
      message: /entry 3 hash does not match its record/,
    },
    {
      name: 'an edited record with a recomputed hash',
      tamper: (entries) => {
        const [, , third] = entries;
        if (third === undefined) throw new Error('chain too short');
        const forged = chainAuditRecord(
          { sequence: 2, hash: third.previousHash },
          { ...decodeAuditRecord(third.record), actor: 'spiffe://zone-c.example/x' },
        );
        return replaceAt(entries, 2, () => forged);
      },
      message: /entry 4 does not link to the hash of entry 3/,
    },
    {
      name: 'two entries swapped',
      tamper: ([first, second, third, ...rest]) =>
        [first, third, second, ...rest].filter((entry) => entry !== undefined),
      message: /expected entry 2, found 3/,
    },
    {
      name: 'a removed entry',
      tamper: (entries) => entries.filter((entry) => entry.sequence !== 3),
      message: /expected entry 3, found 4/,
    },
    {
      name: 'a record that is valid JSON but not canonical',
      tamper: (entries) =>
        replaceAt(entries, 0, (entry) => {
          const record = new TextEncoder().encode(` ${new TextDecoder().decode(entry.record)}`);
          return chainAuditRecordBytes(entry, record);
        }),
      message: /entry 1 record is malformed: record is not canonical JSON/,
    },
  ];

  it.each(tamperings)('detects $name', ({ tamper, message }) => {
    const tampered = tamper(chainOf(5));
    expect(() => verifyAuditChain(tampered)).toThrow(AuditChainError);
    expect(() => verifyAuditChain(tampered)).toThrow(message);
  });

  it('detects truncation below a known checkpoint and accepts the chain that still reaches it', () => {
    const entries = chainOf(5);
    const checkpoint = { sequence: 4, hash: entries[3]?.hash ?? new Uint8Array() };
    expect(verifyAuditChain(entries, checkpoint).sequence).toBe(5);
    expect(() => verifyAuditChain(entries.slice(0, 3), checkpoint)).toThrow(
      /ends at 3, below checkpoint 4 \(truncated\)/,
    );
  });

  // A store's owner can rewrite history and re-hash every later entry: the rewritten chain verifies
  // on its own, and only a checkpoint seen before the rewrite exposes it.
  it('detects a history rewritten and re-hashed from an entry below the checkpoint, which verifies without it', () => {
    const entries = chainOf(5);
    const checkpoint = { sequence: 4, hash: entries[3]?.hash ?? new Uint8Array() };
    const rewritten = rechainFrom(entries, 1, (record) => ({
      ...record,
      actor: 'spiffe://zone-c.example/x',
    }));
    expect(verifyAuditChain(rewritten).sequence).toBe(5);
    expect(() => verifyAuditChain(rewritten, checkpoint)).toThrow(
      new AuditChainError('entry 4 differs from the checkpoint (history rewritten)', 4),
    );
    let error: unknown;
    try {
      verifyAuditChain(rewritten, checkpoint);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(AuditChainError);
    expect((error as AuditChainError).sequence).toBe(4);
    expect(verifyAuditChain(entries, checkpoint).hash).toEqual(entries[4]?.hash);
  });

  it('detects a rewrite of the checkpoint entry itself, re-hashed, and accepts the checkpoint at the head', () => {
    const entries = chainOf(5);
    const atHead = { sequence: 5, hash: entries[4]?.hash ?? new Uint8Array() };
    expect(verifyAuditChain(entries, atHead).sequence).toBe(5);
    const rewritten = rechainFrom(entries, 4, (record) => ({ ...record, action: 'approve' }));
    expect(() => verifyAuditChain(rewritten, atHead)).toThrow(
      'entry 5 differs from the checkpoint (history rewritten)',
    );
  });

  it('detects a rewritten history that no longer contains the checkpoint', () => {
    const entries = chainOf(5);
    const checkpoint = { sequence: 4, hash: entries[3]?.hash ?? new Uint8Array() };
    const other = replaceAt(chainOf(5), 3, (entry) => ({ ...entry, hash: new Uint8Array(32).fill(7) }));
    expect(() => verifyAuditChain(other, checkpoint)).toThrow(AuditChainError);
    const [first] = entries;
    expect(() =>
      verifyAuditChain(entries.slice(1), { sequence: 0, hash: first?.hash ?? new Uint8Array() }),
    ).toThrow(/does not contain checkpoint 0/);
  });
});

/** Rebuilds an entry's hash over arbitrary record bytes, as a forger with write access would. */
function chainAuditRecordBytes(entry: AuditEntry, record: Uint8Array): AuditEntry {
  return { ...entry, record, hash: auditEntryHash(entry.previousHash, record) };
}

/**
 * Rewrites the record at `index` and re-chains it and every later entry with valid hashes, as a
 * forger with write access to the whole store would: the result verifies on its own.
 */
function rechainFrom(
  entries: AuditEntry[],
  index: number,
  change: (record: AuditRecord) => AuditRecord,
): AuditEntry[] {
  const rewritten = entries.slice(0, index);
  let previous =
    index === 0 ? auditGenesis : { sequence: index, hash: entries[index - 1]?.hash ?? new Uint8Array() };
  for (const [position, entry] of entries.entries()) {
    if (position < index) continue;
    const record = decodeAuditRecord(entry.record);
    const next = chainAuditRecord(previous, position === index ? change(record) : record);
    rewritten.push(next);
    previous = { sequence: next.sequence, hash: next.hash };
  }
  return rewritten;
}
