import type { V1ConfigMap } from '../lib/kube/kube-objects.js';
import { CorruptStoreError } from './stored-audit-entry.js';

/**
 * The two sets of chunk objects a snapshot is written into, in turn: a new snapshot goes into the
 * set the published one does not use, so a reader never sees a half-written one.
 */
export type SnapshotSlot = 'a' | 'b';

/** Most chunk objects one snapshot may take; the Role grants `update` on exactly these names. */
export const maxSnapshotChunks = 64;

/** Bytes of (compressed) snapshot per chunk object: well under the 1 MiB object limit. */
export const snapshotChunkBytes = 768 * 1024;

/** Label holding the log name on snapshot objects (not the entries' label: they are never listed). */
export const snapshotLogLabel = 'accord.dev/audit-log-snapshot';

/** A published snapshot: where its chunks are and what they must hash to. */
export interface PublishedSnapshot {
  readonly sequence: number;
  /** Hex hash of the log entry at `sequence`: the snapshot's head. */
  readonly hash: string;
  readonly slot: SnapshotSlot;
  readonly chunks: number;
  /** Hex SHA-256 of the chunks' bytes, concatenated. */
  readonly sha256: string;
}

/** A writer's claim on the unpublished slot, so replicas do not write one slot at once. */
export interface SnapshotClaim {
  readonly slot: SnapshotSlot;
  readonly sequence: number;
  /** When it was claimed (ISO 8601); a claim older than the claim timeout may be taken over. */
  readonly claimedAt: string;
}

/** What the pointer object says. */
export interface SnapshotPointer {
  readonly published: PublishedSnapshot | undefined;
  readonly claim: SnapshotClaim | undefined;
}

/** The pointer object's name: the one place a reader looks for the current snapshot. */
export function snapshotPointerName(logName: string): string {
  return `${logName}-snapshot`;
}

/** Name of chunk `index` of `slot`, e.g. `accord-audit-snapshot-a-007`. */
export function snapshotChunkName(logName: string, slot: SnapshotSlot, index: number): string {
  return `${logName}-snapshot-${slot}-${String(index).padStart(3, '0')}`;
}

/** Every name the repository may update: the pointer and both slots' chunks (for the Role). */
export function snapshotObjectNames(logName: string): string[] {
  const chunks = (slot: SnapshotSlot) =>
    Array.from({ length: maxSnapshotChunks }, (_, index) => snapshotChunkName(logName, slot, index));
  return [snapshotPointerName(logName), ...chunks('a'), ...chunks('b')];
}

function labels(logName: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'accord',
    'app.kubernetes.io/component': 'contract-repo',
    [snapshotLogLabel]: logName,
  };
}

/** The pointer object holding `pointer`; `resourceVersion` makes a replace conditional. */
export function snapshotPointerToConfigMap(
  namespace: string,
  logName: string,
  pointer: SnapshotPointer,
  resourceVersion?: string,
): V1ConfigMap {
  const { published, claim } = pointer;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: snapshotPointerName(logName),
      namespace,
      labels: labels(logName),
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    },
    data: {
      ...(published === undefined
        ? {}
        : {
            sequence: String(published.sequence),
            hash: published.hash,
            slot: published.slot,
            chunks: String(published.chunks),
            sha256: published.sha256,
          }),
      ...(claim === undefined
        ? {}
        : {
            claimSlot: claim.slot,
            claimSequence: String(claim.sequence),
            claimedAt: claim.claimedAt,
          }),
    },
  };
}

/** Reads the pointer; throws `CorruptStoreError` for anything `snapshotPointerToConfigMap` does not write. */
export function snapshotPointerFromConfigMap(configMap: V1ConfigMap): SnapshotPointer {
  const where = `snapshot pointer ${configMap.metadata?.namespace ?? ''}/${configMap.metadata?.name ?? ''}`;
  const data = configMap.data ?? {};
  const fail = (reason: string): never => {
    throw new CorruptStoreError(`${where}: ${reason}`);
  };
  const count = (text: string | undefined, field: string): number =>
    text !== undefined && /^[1-9][0-9]{0,14}$/.test(text)
      ? Number(text)
      : fail(`${field} is not a positive integer`);
  const slot = (text: string | undefined, field: string): SnapshotSlot =>
    text === 'a' || text === 'b' ? text : fail(`${field} is not a or b`);
  const hex = (text: string | undefined, field: string): string =>
    text !== undefined && /^[0-9a-f]{64}$/.test(text) ? text : fail(`${field} is not hex SHA-256`);
  const published =
    data.sequence === undefined
      ? undefined
      : {
          sequence: count(data.sequence, 'sequence'),
          hash: hex(data.hash, 'hash'),
          slot: slot(data.slot, 'slot'),
          chunks: count(data.chunks, 'chunks'),
          sha256: hex(data.sha256, 'sha256'),
        };
  if (published !== undefined && published.chunks > maxSnapshotChunks) fail('too many chunks');
  const claimedAt = data.claimedAt;
  const claim =
    data.claimSlot === undefined
      ? undefined
      : {
          slot: slot(data.claimSlot, 'claimSlot'),
          sequence: count(data.claimSequence, 'claimSequence'),
          claimedAt:
            claimedAt !== undefined && !Number.isNaN(Date.parse(claimedAt))
              ? claimedAt
              : fail('claimedAt is not a time'),
        };
  return { published, claim };
}

/** Chunk `index` of `slot`, holding `bytes`. */
export function snapshotChunkToConfigMap(
  namespace: string,
  logName: string,
  slot: SnapshotSlot,
  index: number,
  bytes: Uint8Array,
): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: snapshotChunkName(logName, slot, index), namespace, labels: labels(logName) },
    binaryData: { chunk: Buffer.from(bytes).toString('base64') },
  };
}

/** The bytes of a chunk object; throws `CorruptStoreError` when it holds none. */
export function snapshotChunkFromConfigMap(configMap: V1ConfigMap): Buffer {
  const chunk = configMap.binaryData?.chunk;
  if (chunk === undefined)
    throw new CorruptStoreError(`snapshot chunk ${configMap.metadata?.name ?? ''} holds no chunk`);
  return Buffer.from(chunk, 'base64');
}
