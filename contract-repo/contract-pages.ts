import type { TrustContract } from '../lib/contract/trust-contract.js';

/**
 * Bytes a response may spend on contracts: a List page or a Watch snapshot part. Well under the
 * 4 MiB a gRPC client accepts by default, so a page of contracts of any size fits (the largest
 * contract the limits allow is about 1.6 MiB: 32 participants with 16 KiB roots and two 16 KiB
 * certificates per approval).
 */
export const defaultPageBytes = 1024 * 1024;

/** Contracts per List page at most, whatever `page_size` asks. */
export const maxListPageSize = 1000;

/**
 * About how many bytes `contract` takes on the wire: its PEMs, certificates, signatures and
 * strings, plus a generous allowance for field tags and timestamps. An estimate, cheap enough to
 * take for every contract of a snapshot; only its order of magnitude matters.
 */
export function estimatedWireBytes(contract: TrustContract): number {
  let bytes = 256 + contract.id.length + contract.proposedBy.length;
  for (const participant of contract.participants)
    bytes += 96 + participant.name.length + participant.trustDomain.length + participant.rootPem.length;
  for (const approval of contract.approvals) {
    bytes += 96 + approval.participant.length + approval.signature.byteLength;
    for (const der of approval.certificateChainDer) bytes += 8 + der.byteLength;
  }
  const revocation = contract.revocation;
  if (revocation !== undefined) bytes += 96 + revocation.revokedBy.length + revocation.reason.length;
  return bytes;
}

/**
 * Cuts `contracts` (in their order) into runs of at most `budgetBytes` by `estimatedWireBytes`,
 * each holding at least one contract: the parts of a Watch snapshot.
 */
export function splitByBytes(contracts: readonly TrustContract[], budgetBytes: number): TrustContract[][] {
  const parts: TrustContract[][] = [];
  let part: TrustContract[] = [];
  let bytes = 0;
  for (const contract of contracts) {
    const size = estimatedWireBytes(contract);
    if (part.length > 0 && bytes + size > budgetBytes) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(contract);
    bytes += size;
  }
  if (part.length > 0 || parts.length === 0) parts.push(part);
  return parts;
}

/**
 * The position after `afterId` in ids sorted by UTF-16 code units (what `Array.prototype.sort`
 * gives): where a page or a snapshot part resumed after `afterId` starts.
 */
export function indexAfter(sortedIds: readonly string[], afterId: string): number {
  let low = 0;
  let high = sortedIds.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sortedIds[middle] ?? '') <= afterId) low = middle + 1;
    else high = middle;
  }
  return low;
}
