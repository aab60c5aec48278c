import { chainAuditRecord, type AuditCheckpoint, type AuditEntry } from '../../lib/contract/audit-chain.js';

/**
 * `count` genuinely chained audit entries after `previous`, for store tests. Each record's reason
 * is `<reason>\n<sequence>`, so entries differ and the record holds a character JSON must escape.
 */
export function auditEntriesAfter(previous: AuditCheckpoint, count: number, reason = 'line'): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let head = previous;
  for (let index = 0; index < count; index += 1) {
    const entry = chainAuditRecord(head, {
      sequence: head.sequence + 1,
      time: new Date(0).toISOString(),
      actor: 'spiffe://zone-a.example/admin',
      action: 'revoke',
      contractId: 'ab',
      details: { reason: `${reason}\n${head.sequence + 1}` },
    });
    entries.push(entry);
    head = { sequence: entry.sequence, hash: entry.hash };
  }
  return entries;
}
