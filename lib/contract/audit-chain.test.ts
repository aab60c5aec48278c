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

describe('decodeAuditRecord', () => {
  const valid = {
    action: 'approve',
    actor: 'spiffe://zone-a.example/accord/admin',
    contractId: 'ab',
    details: {},
    sequence: 7,
    time: '2026-12-06T03:00:00.000Z',
  };
  const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('decodes a canonical record with each of the actions', () => {
    for (const action of [
      'propose',
      'approve',
      'revoke',
      'delete',
      'announce-root',
      'activate-root',
      'acknowledge-root',
      'revoke-root',
    ]) {
      expect(decodeAuditRecord(bytesOf({ ...valid, action }))).toEqual({ ...valid, action });
    }
  });

  it.each([
    ['an array', [], 'record is not an object'],
    ['null', null, 'record is not an object'],
    ['a number', 7, 'record is not an object'],
    ['a seventh field', { ...valid, extra: 1 }, 'record must have exactly six fields'],
    ['five fields', { ...valid, details: undefined }, 'record must have exactly six fields'],
    ['a sequence that is a string', { ...valid, sequence: '7' }, 'record.sequence is not a positive integer'],
    ['a fractional sequence', { ...valid, sequence: 1.5 }, 'record.sequence is not a positive integer'],
    ['a sequence of 0', { ...valid, sequence: 0 }, 'record.sequence is not a positive integer'],
    [
      'a time that is a number',
      { ...valid, time: 0 },
      'record.time is not an RFC 3339 UTC timestamp with milliseconds',
    ],
    [
      'a time that is no date',
      { ...valid, time: 'soon' },
      'record.time is not an RFC 3339 UTC timestamp with milliseconds',
    ],
    [
      'a time without milliseconds',
      { ...valid, time: '2026-12-06T03:00:00Z' },
      'record.time is not an RFC 3339 UTC timestamp with milliseconds',
    ],
    ['an actor that is not a string', { ...valid, actor: 1 }, 'record.actor is not a string'],
    ['an action that is not a string', { ...valid, action: 1 }, 'record.action is unknown'],
    ['an unknown action', { ...valid, action: 'rewrite' }, 'record.action is unknown'],
    ['a contract id that is not a string', { ...valid, contractId: 1 }, 'record.contractId is not a string'],
    ['details that are an array', { ...valid, details: [] }, 'record.details is not an object'],
    ['details that are null', { ...valid, details: null }, 'record.details is not an object'],
    ['details that are a string', { ...valid, details: 'x' }, 'record.details is not an object'],
    [
      'keys out of order',
      Object.fromEntries(Object.entries(valid).reverse()),
      'record is not canonical JSON',
    ],
  ])('refuses %s with its reason', (_name, value, message) => {
    expect(() => decodeAuditRecord(bytesOf(value))).toThrow(new TypeError(message));
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => decodeAuditRecord(new Uint8Array([0xff, 0xfe]))).toThrow('not valid for encoding utf-8');
  });
});

/** What `run` throws (the test fails when it throws nothing). */
function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('AuditChainVerifier', () => {
  it('refuses a chain record that belongs to another sequence, even with a valid link and hash', () => {
    const [first] = chainOf(1);
    if (first === undefined) throw new Error('no entry');
    const record = encodeAuditRecord({ ...decodeAuditRecord(first.record), sequence: 2 });
    const entry = {
      sequence: 1,
      record,
      previousHash: auditGenesisHash,
      hash: auditEntryHash(auditGenesisHash, record),
    };
    const verifier = new AuditChainVerifier();
    expect(() => verifier.add(entry)).toThrow(
      new AuditChainError('entry 1 holds the record of sequence 2', 1),
    );
    expect(() => verifier.add(entry)).toThrow('entry 1 holds the record of sequence 2');
  });

  it('names the entry at fault and why a malformed record is refused', () => {
    const bytes = new TextEncoder().encode('[]');
    const entry = {
      sequence: 1,
      record: bytes,
      previousHash: auditGenesisHash,
      hash: auditEntryHash(auditGenesisHash, bytes),
    };
    expect(errorOf(() => new AuditChainVerifier().add(entry))).toMatchObject({
      name: 'AuditChainError',
      message: 'entry 1 record is malformed: record is not an object',
      sequence: 1,
    });
  });

  it('reports the sequence at fault: the missing one for a gap, the next one for a truncation', () => {
    const [first, , third, fourth] = chainOf(4);
    if (first === undefined || third === undefined || fourth === undefined) throw new Error('short chain');
    const verifier = new AuditChainVerifier(auditGenesis, { sequence: 4, hash: fourth.hash });
    verifier.add(first);
    expect(errorOf(() => verifier.add(third))).toMatchObject({
      message: 'expected entry 2, found 3 (gap or reordering)',
      sequence: 2,
    });
    expect(errorOf(() => verifier.finish())).toMatchObject({
      message: 'the chain ends at 1, below checkpoint 4 (truncated)',
      sequence: 2,
    });
  });

  it('accepts a checkpoint at its start, refuses one that is not, and reads the head', () => {
    const [, second] = chainOf(2);
    if (second === undefined) throw new Error('short chain');
    const head = { sequence: 2, hash: second.hash };
    expect(new AuditChainVerifier(head, head).finish()).toEqual(head);
    expect(
      errorOf(() => new AuditChainVerifier(head, { sequence: 2, hash: new Uint8Array(32) })),
    ).toMatchObject({
      message: 'the chain does not contain checkpoint 2',
      sequence: 2,
    });
    // A hash of another length is simply another hash, never an exception of the comparison.
    expect(() => new AuditChainVerifier(head, { sequence: 2, hash: new Uint8Array(31) })).toThrow(
      'the chain does not contain checkpoint 2',
    );
  });

  it('refuses to chain a record whose sequence does not follow', () => {
    expect(() =>
      chainAuditRecord(auditGenesis, {
        sequence: 2,
        time: '2026-12-06T03:00:00.000Z',
        actor: 'a',
        action: 'propose',
        contractId: 'ab',
        details: {},
      }),
    ).toThrow(new RangeError('record sequence 2 does not follow 0'));
  });
});
