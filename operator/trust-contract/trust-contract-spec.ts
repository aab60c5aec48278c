import { z } from 'zod';
import { validateProposal, type ParticipantProposal } from '../../lib/contract/validate-proposal.js';
import { AccordError, errorMessage } from '../../lib/errors/accord-error.js';
import { schemaIssueMessages } from '../../lib/kube/crd-schema.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { pemToDerList } from '../../lib/x509/pem.js';
import { type TrustContractSpec, trustContractSpecSchema } from './trust-contract-crd.js';

/**
 * A mistake in a TrustContract the user has to fix (bad PEM, a missing Secret key, a zone that is
 * not a participant). The reconciler reports it as an `InvalidSpec` condition and a Warning event
 * and does not retry until the object or its referenced roots change.
 */
export class InvalidSpecError extends AccordError {
  readonly kind = 'InvalidArgument';
  override readonly name = 'InvalidSpecError';
}

/** A key of a Secret or ConfigMap holding a participant's root PEM. */
export interface RootReference {
  readonly kind: 'Secret' | 'ConfigMap';
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

/**
 * Reads a referenced root PEM: `undefined` when the object or the key does not exist (a user
 * mistake), a thrown error when the API server cannot answer (retried).
 */
export type ReadRoot = (reference: RootReference) => Promise<string | undefined>;

/** The finalizer that makes deleting a TrustContract withdraw this zone's consent first. */
export const revokeOnDeleteFinalizer = 'accord.dev/revoke-on-delete';

/** The metadata the reconciler acts on, and the raw spec and status still to be read. */
export interface TrustContractObject {
  /** `metadata.name`, which is the contract id in the repository. */
  readonly name: string;
  readonly generation: number;
  readonly isDeleting: boolean;
  readonly finalizers: readonly string[];
  readonly spec: unknown;
  readonly status: unknown;
}

const objectSchema = z.object({
  metadata: z.object({
    name: z.string().min(1),
    generation: z.number().int().nonnegative().default(0),
    deletionTimestamp: z.string().optional(),
    finalizers: z.array(z.string()).default([]),
  }),
  spec: z.unknown().optional(),
  status: z.unknown().optional(),
});

/** Reads the metadata of a TrustContract as the API server returns it (plain JSON). */
export function readTrustContractObject(raw: unknown): TrustContractObject {
  const parsed = objectSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new InvalidSpecError(schemaIssueMessages(parsed.error).join('; '));
  const { metadata, spec, status } = parsed.data;
  return {
    name: metadata.name,
    generation: metadata.generation,
    isDeleting: metadata.deletionTimestamp !== undefined,
    finalizers: metadata.finalizers,
    spec,
    status,
  };
}

/**
 * Reads a spec with the schema its CRD is generated from (`trust-contract-crd.ts`): what the API
 * server refuses, this refuses in the same words, for clients that skip the API server's checks.
 */
export function readTrustContractSpec(spec: unknown): TrustContractSpec {
  const parsed = trustContractSpecSchema.safeParse(spec, { reportInput: true });
  if (!parsed.success) throw new InvalidSpecError(schemaIssueMessages(parsed.error, 'spec').join('; '));
  return parsed.data;
}

/**
 * Turns the spec into the proposal the repository would store, resolving referenced roots and
 * computing each root's fingerprint. The result passed `validateProposal`, the repository's own
 * rules, so a spec the operator accepts is one the repository accepts, and every mistake is
 * reported with the spec's field names before anything is sent.
 */
export async function parseTrustContractSpec(
  contractId: string,
  spec: unknown,
  readRoot: ReadRoot,
): Promise<ParticipantProposal[]> {
  const { participants: specParticipants } = readTrustContractSpec(spec);
  const participants = await Promise.all(
    specParticipants.map(async (participant, index): Promise<ParticipantProposal> => {
      const field = `spec.participants[${index}].root`;
      const rootPem = await resolveRoot(participant.root, readRoot, field);
      return {
        name: participant.name,
        trustDomain: participant.trustDomain,
        publicKey: rootPem,
        hash: rootSha256(rootPem, field),
      };
    }),
  );
  try {
    validateProposal({ id: contractId, participants });
  } catch (error) {
    if (error instanceof AccordError)
      throw new InvalidSpecError(inSpecTerms(error.message), { cause: error });
    throw error;
  }
  return participants;
}

type RootSource = TrustContractSpec['participants'][number]['root'];

/** The root PEM from its one source (the schema's rule admits exactly one). */
async function resolveRoot(root: RootSource, readRoot: ReadRoot, field: string): Promise<string> {
  const { pem, secretKeyRef, configMapKeyRef } = root;
  if (secretKeyRef !== undefined) {
    return readReference(readRoot, { kind: 'Secret', ...secretKeyRef }, `${field}.secretKeyRef`);
  }
  if (configMapKeyRef !== undefined) {
    return readReference(readRoot, { kind: 'ConfigMap', ...configMapKeyRef }, `${field}.configMapKeyRef`);
  }
  return pem ?? '';
}

async function readReference(readRoot: ReadRoot, reference: RootReference, field: string): Promise<string> {
  const pem = await readRoot(reference);
  if (pem === undefined) {
    throw new InvalidSpecError(
      `${field}: ${reference.kind} ${reference.namespace}/${reference.name} does not exist or has no key "${reference.key}"`,
    );
  }
  return pem;
}

/** The fingerprint a proposer commits to; `validateProposal` then checks it against the parsed root. */
function rootSha256(pem: string, field: string): string {
  try {
    const [der] = pemToDerList(pem);
    return der === undefined ? '' : sha256Hex(der);
  } catch (error) {
    throw new InvalidSpecError(`${field}: ${errorMessage(error)}`, { cause: error });
  }
}

/** Renames `validateProposal`'s wire field names to the TrustContract's, so the user can find the field. */
function inSpecTerms(message: string): string {
  return message
    .replace(/^id:/, 'metadata.name:')
    .replace(/^participants(\[\d+\])?/, (participants) => `spec.${participants}`)
    .replace(/\.public_key\b/g, '.root')
    .replace(/\.trust_domain\b/g, '.trustDomain')
    .replace(/\.hash\b/g, '.root');
}
