import { join } from 'node:path';
import { z } from 'zod';
import { AuditChainError, type AuditCheckpoint } from '../lib/contract/audit-chain.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import type { CliEnvironment } from './cli-environment.js';

const checkpointDocument = z.object({
  repository: z.string(),
  sequence: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  verifiedAt: z.string(),
});

/** The checkpoint as stored: the last head `audit verify` accepted for a repository. */
export type CheckpointDocument = z.infer<typeof checkpointDocument>;

/**
 * Where `audit verify` keeps its checkpoint when `--checkpoint` is not given: one file per
 * repository address under `<state dir>/accord/`, so two repositories never share (and break)
 * each other's checkpoint.
 */
export function defaultCheckpointPath(stateDirectory: string, repository: string): string {
  const safeName = repository.replace(/[^A-Za-z0-9.-]/g, '_');
  return join(stateDirectory, 'accord', `audit-checkpoint-${safeName}.json`);
}

/** Parses a checkpoint file; throws a message naming what is wrong (a damaged checkpoint must not be ignored). */
export function parseCheckpoint(text: string): { document: CheckpointDocument; checkpoint: AuditCheckpoint } {
  const parsed = checkpointDocument.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`checkpoint file is damaged: ${parsed.error.issues[0]?.path.join('.') ?? ''}`);
  }
  return {
    document: parsed.data,
    checkpoint: {
      sequence: parsed.data.sequence,
      hash: new Uint8Array(Buffer.from(parsed.data.hash, 'hex')),
    },
  };
}

/** Renders a checkpoint file. */
export function formatCheckpoint(repository: string, head: AuditCheckpoint, verifiedAt: Date): string {
  const document: CheckpointDocument = {
    repository,
    sequence: head.sequence,
    hash: Buffer.from(head.hash).toString('hex'),
    verifiedAt: verifiedAt.toISOString(),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * The checkpoint saved last time (`audit verify`, the console's audit view); undefined when there
 * is none yet. A damaged file fails the verification (`AuditChainError`): it must not be ignored.
 */
export async function readCheckpointFile(
  env: Pick<CliEnvironment, 'readFile'>,
  path: string,
): Promise<{ document: CheckpointDocument; checkpoint: AuditCheckpoint } | undefined> {
  let text: string;
  try {
    text = await env.readFile(path);
  } catch {
    return undefined;
  }
  try {
    return parseCheckpoint(text);
  } catch (error) {
    throw new AuditChainError(`${path}: ${errorMessage(error)}`, 0);
  }
}
