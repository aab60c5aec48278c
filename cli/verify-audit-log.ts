import {
  AuditChainError,
  AuditChainVerifier,
  auditGenesis,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditRecord,
} from '../lib/contract/audit-chain.js';
import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';

const pageSize = 500;

/** The outcome of a successful verification. */
export interface AuditVerification {
  head: AuditCheckpoint;
  entries: number;
}

/**
 * Fetches every page of the audit log and verifies the whole chain from the genesis, requiring it
 * to still contain `checkpoint` (the head accepted last time): an edited entry, a gap, a cut below
 * the checkpoint or a rewritten history throws `AuditChainError`. The head the server reports must
 * also be the head the chain leads to, so a server cannot hide entries behind a stale page.
 * `onEntry` sees each entry once it verified, with its decoded record (the console's timeline).
 */
export async function verifyAuditLog(
  repository: ContractRepositoryClient,
  checkpoint: AuditCheckpoint | undefined,
  onEntry?: (entry: AuditEntry, record: AuditRecord) => void,
): Promise<AuditVerification> {
  const verifier = new AuditChainVerifier(auditGenesis, checkpoint);
  let entries = 0;
  for (;;) {
    const page = await repository.auditLog(verifier.head.sequence + 1, pageSize);
    for (const entry of page.entries) {
      const record = verifier.add(entry);
      onEntry?.(entry, record);
      entries += 1;
    }
    const head = verifier.head;
    if (page.entries.length === 0 || head.sequence >= page.headSequence) {
      const isHeadConsistent =
        head.sequence === page.headSequence && Buffer.from(head.hash).equals(Buffer.from(page.headHash));
      if (!isHeadConsistent && !(page.headSequence === 0 && head.sequence === 0)) {
        throw new AuditChainError(
          `the server reports head ${page.headSequence} but the chain it served ends at ${head.sequence}`,
          head.sequence + 1,
        );
      }
      return { head: verifier.finish(), entries };
    }
  }
}
