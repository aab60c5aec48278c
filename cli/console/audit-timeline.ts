import { AuditChainError } from '../../lib/contract/audit-chain.js';
import { canonicalJson } from '../../lib/contract/canonical-json.js';
import type { ContractRepositoryClient } from '../../lib/contract/contract-repository-client.js';
import { defaultCheckpointPath, formatCheckpoint, readCheckpointFile } from '../audit-checkpoint-file.js';
import type { CliEnvironment } from '../cli-environment.js';
import { verifyAuditLog } from '../verify-audit-log.js';
import type { AuditEntryView, AuditView } from './console-api.js';

/** How many entries the timeline shows, newest first; the whole chain is verified regardless. */
export const timelineEntries = 200;

/**
 * The audit log as the console's timeline: every page fetched and the whole hash chain verified
 * in the console process by accordctl's `verifyAuditLog` (lib/contract/audit-chain.ts), against
 * the checkpoint `accordctl audit verify` saved for the same repository, which the view shows. A
 * chain that does not verify is shown as such, with the first entry at fault; it is never
 * displayed as verified.
 */
export async function auditTimeline(
  env: CliEnvironment,
  repositoryAddress: string,
  repository: ContractRepositoryClient,
): Promise<AuditView> {
  const path = checkpointPath(env, repositoryAddress);
  const saved = await readCheckpointFile(env, path).catch((error: unknown) => {
    if (error instanceof AuditChainError) return error;
    throw error;
  });
  const checkpoint = {
    path,
    saved:
      saved === undefined || saved instanceof AuditChainError
        ? null
        : {
            sequence: saved.document.sequence,
            hash: saved.document.hash,
            verifiedAt: saved.document.verifiedAt,
          },
  };
  const entries: AuditEntryView[] = [];
  let count = 0;
  let head = { sequence: 0, hash: '' };
  try {
    if (saved instanceof AuditChainError) throw saved;
    const result = await verifyAuditLog(repository, saved?.checkpoint, (entry, record) => {
      count += 1;
      head = { sequence: entry.sequence, hash: Buffer.from(entry.hash).toString('hex') };
      entries.push({
        sequence: record.sequence,
        time: record.time,
        actor: record.actor,
        action: record.action,
        contractId: record.contractId,
        details: canonicalJson(record.details),
        hash: head.hash,
      });
      if (entries.length > timelineEntries) entries.shift();
    });
    const extends_ =
      saved === undefined
        ? 'no checkpoint saved yet for this repository'
        : `it still contains the checkpoint at entry ${saved.checkpoint.sequence}`;
    return {
      entries: entries.reverse(),
      entryCount: result.entries,
      head: { sequence: result.head.sequence, hash: Buffer.from(result.head.hash).toString('hex') },
      verification: {
        isVerified: true,
        message: `hash chain verified from the genesis to entry ${result.head.sequence}; ${extends_}`,
      },
      checkpoint,
    };
  } catch (error) {
    if (!(error instanceof AuditChainError)) throw error;
    return {
      entries: entries.reverse(),
      entryCount: count,
      head,
      verification: {
        isVerified: false,
        message: `audit log verification FAILED at entry ${error.sequence}: ${error.message}`,
      },
      checkpoint,
    };
  }
}

/** Saves the verified head as the checkpoint, as `accordctl audit verify` does after verifying. */
export async function saveAuditCheckpoint(
  env: CliEnvironment,
  repositoryAddress: string,
  view: AuditView,
): Promise<string> {
  if (!view.verification.isVerified)
    throw new AuditChainError('the audit log does not verify: no checkpoint saved', view.head.sequence);
  const path = checkpointPath(env, repositoryAddress);
  await env.writeFileAtomic(
    path,
    formatCheckpoint(
      repositoryAddress,
      { sequence: view.head.sequence, hash: new Uint8Array(Buffer.from(view.head.hash, 'hex')) },
      env.clock.now(),
    ),
  );
  return path;
}

function checkpointPath(env: CliEnvironment, repositoryAddress: string): string {
  return defaultCheckpointPath(env.stateDirectory, repositoryAddress);
}
