import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../lib/cli/command-line.js';
import { validateProposal, type ParticipantProposal } from '../lib/contract/validate-proposal.js';
import { AccordError, errorMessage } from '../lib/errors/accord-error.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { pemToDerList } from '../lib/x509/pem.js';
import type { CliEnvironment } from './cli-environment.js';
import { readInput } from './read-input.js';

/** A participant named by `--participant`; its root is read from `rootPath` when the command runs. */
export interface ParticipantSpec {
  name: string;
  trustDomain: string;
  rootPath: string;
}

const participantKeys = ['name', 'trust-domain', 'root'] as const;

/** Parses `--participant name=zone-a,trust-domain=zone-a.example,root=path/to/root.pem`. */
export function parseParticipant(text: string): ParticipantSpec {
  const fields = new Map<string, string>();
  for (const pair of text.split(',')) {
    const separator = pair.indexOf('=');
    const key = separator === -1 ? pair : pair.slice(0, separator);
    if (separator === -1 || !(participantKeys as readonly string[]).includes(key)) {
      throw new UsageError(
        `--participant expects ${participantKeys.map((k) => `${k}=…`).join(',')}; got "${pair}"`,
      );
    }
    if (fields.has(key)) throw new UsageError(`--participant names "${key}" twice`);
    fields.set(key, pair.slice(separator + 1));
  }
  const field = (key: (typeof participantKeys)[number]): string => {
    const value = fields.get(key);
    if (value === undefined || value === '')
      throw new UsageError(`--participant "${text}" is missing ${key}=`);
    return value;
  };
  return { name: field('name'), trustDomain: field('trust-domain'), rootPath: field('root') };
}

const fileParticipant = z
  .object({
    name: z.string(),
    trustDomain: z.string(),
    /** Path of the root PEM, relative to the contract file. */
    root: z.string().optional(),
    /** The root PEM inline. */
    rootPem: z.string().optional(),
  })
  .strict()
  .refine((participant) => (participant.root === undefined) !== (participant.rootPem === undefined), {
    message: 'give exactly one of root (a file) or rootPem',
  });

const contractFile = z.union([
  z.object({ id: z.string().optional(), participants: z.array(fileParticipant) }).strict(),
  z.object({
    apiVersion: z.string().optional(),
    kind: z.literal('TrustContract').optional(),
    metadata: z.object({ name: z.string() }).loose(),
    spec: z.object({ participants: z.array(fileParticipant) }).loose(),
  }),
]);

/**
 * Reads the participants of a proposal from flags or a contract file, computes each root's
 * fingerprint, and validates the result with the repository's own rules (`validateProposal`), so
 * mistakes are reported before anything is sent.
 */
export async function readProposal(
  env: CliEnvironment,
  id: string | undefined,
  participants: readonly ParticipantSpec[],
  file: string | undefined,
): Promise<{ id: string; participants: ParticipantProposal[] }> {
  if (file !== undefined && participants.length > 0)
    throw new UsageError('use either --participant or -f, not both');
  if (file === undefined && participants.length < 2)
    throw new UsageError('a contract needs at least two --participant flags (or -f FILE)');
  if (file === undefined) {
    return proposalOf(
      id ?? '',
      await Promise.all(
        participants.map(async (spec) => ({
          name: spec.name,
          trustDomain: spec.trustDomain,
          rootPem: await readInput(env, spec.rootPath),
        })),
      ),
    );
  }
  const parsed = contractFile.safeParse(parseYamlText(await readInput(env, file), file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid contract file'}`,
    );
  }
  const document = parsed.data;
  const fromFile = 'spec' in document ? document.spec.participants : document.participants;
  const fileId = 'spec' in document ? document.metadata.name : (document.id ?? '');
  return proposalOf(
    id ?? fileId,
    await Promise.all(
      fromFile.map(async (participant) => ({
        name: participant.name,
        trustDomain: participant.trustDomain,
        rootPem:
          participant.rootPem ?? (await readInput(env, resolve(dirname(file), participant.root ?? ''))),
      })),
    ),
  );
}

/** A participant with its root as PEM text, before its fingerprint is computed. */
export interface ParticipantInput {
  name: string;
  trustDomain: string;
  rootPem: string;
}

/**
 * A proposal from participants with their roots: computes each root's fingerprint and validates
 * the result with the repository's own rules (`validateProposal`), so mistakes are reported
 * before anything is sent. accordctl (flags, files) and the console (its propose form) both build
 * proposals here; a mistake is a `UsageError` saying which participant and why.
 */
export function proposalOf(
  id: string,
  participants: readonly ParticipantInput[],
): { id: string; participants: ParticipantProposal[] } {
  const proposal = {
    id,
    participants: participants.map((participant) =>
      participantProposal(participant.name, participant.trustDomain, participant.rootPem),
    ),
  };
  try {
    validateProposal(proposal);
  } catch (error) {
    if (error instanceof AccordError) throw new UsageError(error.message);
    throw error;
  }
  return proposal;
}

function participantProposal(name: string, trustDomain: string, rootPem: string): ParticipantProposal {
  let hash: string;
  try {
    const [der] = pemToDerList(rootPem);
    hash = der === undefined ? '' : sha256Hex(der);
  } catch (error) {
    throw new UsageError(`participant ${name}: ${errorMessage(error)}`);
  }
  return { name, trustDomain, publicKey: rootPem, hash };
}

function parseYamlText(text: string, file: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (error) {
    throw new UsageError(`${file}: not YAML or JSON: ${errorMessage(error)}`);
  }
}
