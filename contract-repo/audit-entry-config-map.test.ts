import type { V1ConfigMap } from '../lib/kube/kube-objects.js';
import { auditGenesis, chainAuditRecord, type AuditEntry } from '../lib/contract/audit-chain.js';
import {
  auditEntryFromConfigMap,
  auditEntryObjectName,
  auditEntryToConfigMap,
  auditLogLabel,
  auditLogSelector,
  auditSegmentLabel,
  auditSegmentOf,
  auditSegmentSelector,
} from './audit-entry-config-map.js';
import { CorruptStoreError } from './stored-audit-entry.js';

const entry: AuditEntry = chainAuditRecord(auditGenesis, {
  sequence: 1,
  time: new Date(0).toISOString(),
  actor: 'spiffe://zone-a.example/admin',
  action: 'revoke',
  contractId: 'ab',
  details: { reason: 'line\n1 ü' },
});

/** The object written for `entry`, with `change` applied to a copy of its data. */
function stored(change: (data: Record<string, string>) => void = () => undefined): V1ConfigMap {
  const configMap = auditEntryToConfigMap('accord-system', 'accord-audit', entry);
  const data = { ...configMap.data };
  change(data);
  configMap.data = data;
  return configMap;
}

describe('audit entry ConfigMaps', () => {
  it('names entry objects after the log and the zero-padded sequence', () => {
    expect(auditEntryObjectName('accord-audit', 1)).toBe('accord-audit-000000000001');
    expect(auditEntryObjectName('hub', 123_456)).toBe('hub-000000123456');
  });

  it('stores an immutable, labelled object that reads back as the same entry', () => {
    const configMap = stored();
    expect(configMap.immutable).toBe(true);
    expect(configMap.metadata?.labels).toEqual({
      'app.kubernetes.io/name': 'accord',
      'app.kubernetes.io/component': 'contract-repo',
      'accord.dev/audit-log': 'accord-audit',
      'accord.dev/audit-segment': '0',
    });
    expect(auditEntryFromConfigMap('accord-audit', configMap)).toEqual(entry);
  });

  it('puts entries 1–1,000 in segment 0, 1,001–2,000 in segment 1, and selects one segment', () => {
    expect([1, 1000, 1001, 2000, 2001].map(auditSegmentOf)).toEqual([0, 0, 1, 1, 2]);
    expect(auditSegmentSelector('hub', 7)).toBe(`${auditLogSelector('hub')},accord.dev/audit-segment=7`);
  });

  it('reads an object written before segments, without the segment label', () => {
    const configMap = stored();
    delete configMap.metadata?.labels?.[auditSegmentLabel];
    expect(auditEntryFromConfigMap('accord-audit', configMap)).toEqual(entry);
  });

  it('refuses an object labelled with another segment than its sequence is in', () => {
    const configMap = stored();
    if (configMap.metadata?.labels !== undefined) configMap.metadata.labels[auditSegmentLabel] = '1';
    expect(() => auditEntryFromConfigMap('accord-audit', configMap)).toThrow(
      /accord-audit-000000000001: labelled segment 1, not 0/,
    );
  });

  it('selects exactly the labels it writes', () => {
    expect(auditLogSelector('hub')).toBe(
      'app.kubernetes.io/name=accord,app.kubernetes.io/component=contract-repo,accord.dev/audit-log=hub',
    );
  });

  const corruptions: { name: string; change: (data: Record<string, string>) => void; message: RegExp }[] = [
    {
      name: 'a sequence that is not a positive integer',
      change: (data) => (data.sequence = '01'),
      message: /accord-system\/accord-audit-000000000001: sequence is not a positive integer/,
    },
    {
      name: 'a name that does not match the sequence',
      change: (data) => (data.sequence = '2'),
      message: /name does not match sequence 2/,
    },
    {
      name: 'a hash that is not hex SHA-256',
      change: (data) => (data.hash = 'abc'),
      message: /hash is not hex SHA-256/,
    },
    {
      name: 'no record',
      change: (data) => delete data.record,
      message: /record is missing/,
    },
  ];

  it.each(corruptions)('refuses an object with $name', ({ change, message }) => {
    const configMap = stored(change);
    expect(() => auditEntryFromConfigMap('accord-audit', configMap)).toThrow(CorruptStoreError);
    expect(() => auditEntryFromConfigMap('accord-audit', configMap)).toThrow(message);
  });

  it('refuses an object named for an entry of the log but labelled for another log', () => {
    const configMap = stored();
    if (configMap.metadata?.labels !== undefined) configMap.metadata.labels[auditLogLabel] = 'other';
    expect(() => auditEntryFromConfigMap('accord-audit', configMap)).toThrow(
      /not labelled accord.dev\/audit-log=accord-audit/,
    );
  });
});
