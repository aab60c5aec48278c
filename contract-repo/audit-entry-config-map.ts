import type { V1ConfigMap } from '../lib/kube/kube-objects.js';
import type { AuditEntry } from '../lib/contract/audit-chain.js';
import { CorruptStoreError, parseStoredAuditEntry, toStoredAuditEntry } from './stored-audit-entry.js';

/**
 * The log name used when the config names none. With it, entry objects are called
 * `accord-audit-000000000001`, `accord-audit-000000000002`, …
 */
export const defaultAuditLogName = 'accord-audit';

/**
 * What a log name may be: it is a label value (at most 63 characters) and the prefix of every
 * object name, so a DNS label keeps both valid.
 */
export const auditLogNamePattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Label holding the log name, so several logs can share a namespace and be listed apart. */
export const auditLogLabel = 'accord.dev/audit-log';

/** Zero padding of the sequence in object names, so `kubectl get` lists them in sequence order. */
const sequenceDigits = 12;

/**
 * Label holding an entry's segment (`auditSegmentOf`), so a start lists the few thousand entries
 * after its snapshot by segment instead of GETting them one by one. Objects written before the
 * label existed have none and are read one by one, as then.
 */
export const auditSegmentLabel = 'accord.dev/audit-segment';

/** Entries per segment: entries 1–1,000 are segment 0, 1,001–2,000 segment 1, and so on. */
export const auditSegmentEntries = 1000;

/** The segment `sequence` belongs to. */
export function auditSegmentOf(sequence: number): number {
  return Math.floor((sequence - 1) / auditSegmentEntries);
}

/** The labels of every entry object of `logName`. */
export function auditLogLabels(logName: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'accord',
    'app.kubernetes.io/component': 'contract-repo',
    [auditLogLabel]: logName,
  };
}

/** The label selector that lists exactly the entry objects of `logName`. */
export function auditLogSelector(logName: string): string {
  return Object.entries(auditLogLabels(logName))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** The label selector that lists exactly the entry objects of `logName` labelled with `segment`. */
export function auditSegmentSelector(logName: string, segment: number): string {
  return `${auditLogSelector(logName)},${auditSegmentLabel}=${segment}`;
}

/**
 * The object name of entry `sequence`. The name is what makes an append atomic: the API server
 * accepts exactly one create per name, so two writers of the same sequence cannot both succeed.
 */
export function auditEntryObjectName(logName: string, sequence: number): string {
  return `${logName}-${String(sequence).padStart(sequenceDigits, '0')}`;
}

/**
 * The immutable ConfigMap that stores `entry`. Hashes are hex and `record` keeps the exact
 * canonical record bytes as text (they are UTF-8 JSON), as the file store's lines do.
 */
export function auditEntryToConfigMap(namespace: string, logName: string, entry: AuditEntry): V1ConfigMap {
  const stored = toStoredAuditEntry(entry);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: auditEntryObjectName(logName, entry.sequence),
      namespace,
      labels: { ...auditLogLabels(logName), [auditSegmentLabel]: String(auditSegmentOf(entry.sequence)) },
    },
    immutable: true,
    data: { ...stored, sequence: String(stored.sequence) },
  };
}

/**
 * Reads an entry back from its ConfigMap, refusing anything that is not exactly what
 * `auditEntryToConfigMap` writes (including an object whose name does not match its sequence, that
 * lacks the log's label or is labelled with another segment, which could only come from a
 * hand-made object; no segment label at all is an object written before there were segments). The chain itself is
 * verified by the caller.
 */
export function auditEntryFromConfigMap(logName: string, configMap: V1ConfigMap): AuditEntry {
  const where = `audit log object ${configMap.metadata?.namespace ?? ''}/${configMap.metadata?.name ?? ''}`;
  const { sequence: sequenceText, ...fields } = configMap.data ?? {};
  if (sequenceText === undefined || !/^[1-9][0-9]*$/.test(sequenceText))
    throw new CorruptStoreError(`${where}: sequence is not a positive integer`);
  const entry = parseStoredAuditEntry({ ...fields, sequence: Number(sequenceText) }, where);
  if (configMap.metadata?.name !== auditEntryObjectName(logName, entry.sequence))
    throw new CorruptStoreError(`${where}: name does not match sequence ${entry.sequence}`);
  if (configMap.metadata.labels?.[auditLogLabel] !== logName)
    throw new CorruptStoreError(`${where}: not labelled ${auditLogLabel}=${logName}`);
  const segment = configMap.metadata.labels[auditSegmentLabel];
  if (segment !== undefined && segment !== String(auditSegmentOf(entry.sequence)))
    throw new CorruptStoreError(
      `${where}: labelled segment ${segment}, not ${auditSegmentOf(entry.sequence)}`,
    );
  return entry;
}
