import type { X509Certificate } from 'node:crypto';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { quoteUntrusted } from '../errors/quote-untrusted.js';
import { isValidTrustDomain } from '../spiffe/spiffe-id.js';
import { sha256Hex } from '../x509/fingerprint.js';
import { pemToDerList } from '../x509/pem.js';
import { certificateFromDer, isCertificateIssuedBy } from '../x509/signature-verdicts.js';
import { contractLimits } from './contract-limits.js';
import { isDnsLabel } from './dns-label.js';
import type { ContractParticipant } from './trust-contract.js';

/** A participant as a proposer writes it (the thesis' `Participant` fields plus the trust domain). */
export interface ParticipantProposal {
  readonly name: string;
  readonly trustDomain: string;
  /** The root CA certificate as PEM (`public_key` on the wire). */
  readonly publicKey: string;
  /** Hex SHA-256 of the root's DER, as the proposer checked it out of band (`hash` on the wire). */
  readonly hash: string;
}

/** What a proposer submits: an optional id and the participants. */
export interface ContractProposal {
  /** A DNS label, or `''` to let the repository assign a UUID. */
  readonly id: string;
  readonly participants: readonly ParticipantProposal[];
}

/** A proposal that passed every rule, with parsed roots. */
export interface ValidatedProposal {
  /** `undefined` when the repository must assign one. */
  readonly id: string | undefined;
  readonly participants: readonly ContractParticipant[];
}

/**
 * Validates a proposal. The repository's Create handler and accordctl both call this, so they can
 * never disagree on what a valid contract is. Every message names the offending field with its
 * wire name (e.g. `participants[1].hash`), because a proposer must be able to fix the input.
 */
export function validateProposal(proposal: ContractProposal): ValidatedProposal {
  if (proposal.id !== '' && !isDnsLabel(proposal.id)) {
    throw new InvalidArgumentError(
      `id: ${quoteUntrusted(proposal.id)} is not a DNS label (lower-case letters, digits and "-", at most ${contractLimits.maxDnsLabelLength} characters)`,
    );
  }
  const count = proposal.participants.length;
  if (count < 2)
    throw new InvalidArgumentError(`participants: a contract needs at least 2 participants, got ${count}`);
  if (count > contractLimits.maxParticipants) {
    throw new InvalidArgumentError(
      `participants: a contract has at most ${contractLimits.maxParticipants} participants, got ${count}`,
    );
  }
  const participants = proposal.participants.map((participant, index) =>
    validateParticipant(participant, `participants[${index}]`),
  );
  rejectDuplicates(participants, 'name', (participant) => participant.name);
  rejectDuplicates(participants, 'trust_domain', (participant) => participant.trustDomain);
  rejectDuplicates(participants, 'hash', (participant) => participant.rootSha256);
  return { id: proposal.id === '' ? undefined : proposal.id, participants };
}

/**
 * Validates one participant and parses its root. Also used when decoding a stored or received
 * contract, so a contract read back is held to the same rules as one proposed.
 */
export function validateParticipant(participant: ParticipantProposal, field: string): ContractParticipant {
  if (!isDnsLabel(participant.name)) {
    throw new InvalidArgumentError(
      `${field}.name: ${quoteUntrusted(participant.name)} is not a DNS label (lower-case letters, digits and "-", at most ${contractLimits.maxDnsLabelLength} characters)`,
    );
  }
  if (!isValidTrustDomain(participant.trustDomain)) {
    throw new InvalidArgumentError(
      `${field}.trust_domain: ${quoteUntrusted(participant.trustDomain)} is not a valid SPIFFE trust domain`,
    );
  }
  const root = parseRoot(participant.publicKey, `${field}.public_key`);
  const rootSha256 = sha256Hex(new Uint8Array(root.raw));
  const hash = participant.hash.toLowerCase();
  if (hash === '') throw new InvalidArgumentError(`${field}.hash: required (hex SHA-256 of the root's DER)`);
  if (!/^[0-9a-f]{64}$/.test(hash)) {
    throw new InvalidArgumentError(`${field}.hash: must be 64 hex digits (SHA-256 of the root's DER)`);
  }
  if (hash !== rootSha256) {
    throw new InvalidArgumentError(
      `${field}.hash: ${hash} does not match the SHA-256 of public_key's DER (${rootSha256})`,
    );
  }
  return Object.freeze({
    name: participant.name,
    trustDomain: participant.trustDomain,
    rootPem: root.toString(),
    rootSha256,
    root,
  });
}

/**
 * `validateParticipant` with memory, for decoding many contracts among few zones (a snapshot of
 * thousands of contracts, a log): each distinct participant is validated (its root parsed and its
 * self-signature checked, about 0.3 ms) once, and every contract naming it gets the same frozen
 * object. Keyed by every field, so a participant is only ever reused for identical input.
 */
export class ParticipantCache {
  readonly #participants = new Map<string, ContractParticipant>();

  validated(participant: ParticipantProposal, field: string): ContractParticipant {
    const key = `${participant.name}\n${participant.trustDomain}\n${participant.hash}\n${participant.publicKey}`;
    let validated = this.#participants.get(key);
    if (validated === undefined) {
      validated = validateParticipant(participant, field);
      this.#participants.set(key, validated);
    }
    return validated;
  }
}

/**
 * Parses a root CA certificate as contracts carry it: exactly one PEM block of at most
 * `maxRootPemBytes`, a CA, self-signed. `field` names the input in errors (`INVALID_ARGUMENT`).
 * Pinned roots and announced roots (root rotation) are held to the same rules.
 */
export function parseRoot(pem: string, field: string): X509Certificate {
  if (pem === '') throw new InvalidArgumentError(`${field}: required (the root CA certificate as PEM)`);
  if (Buffer.byteLength(pem, 'utf8') > contractLimits.maxRootPemBytes) {
    throw new InvalidArgumentError(`${field}: larger than ${contractLimits.maxRootPemBytes} bytes`);
  }
  let ders: Uint8Array[];
  try {
    ders = pemToDerList(pem);
  } catch (error) {
    throw new InvalidArgumentError(`${field}: not a PEM certificate`, { cause: error });
  }
  const [der] = ders;
  if (der === undefined || ders.length !== 1) {
    throw new InvalidArgumentError(`${field}: must hold exactly one PEM certificate, found ${ders.length}`);
  }
  let root: X509Certificate;
  try {
    root = certificateFromDer(der);
  } catch (error) {
    throw new InvalidArgumentError(`${field}: not a valid X.509 certificate`, { cause: error });
  }
  if (!root.ca)
    throw new InvalidArgumentError(`${field}: not a CA certificate (basicConstraints CA is not true)`);
  if (!isCertificateIssuedBy(root, root)) {
    throw new InvalidArgumentError(
      `${field}: not self-signed (its signature does not verify with its own key)`,
    );
  }
  return root;
}

function rejectDuplicates(
  participants: readonly ContractParticipant[],
  field: string,
  key: (participant: ContractParticipant) => string,
): void {
  const seen = new Map<string, number>();
  for (const [index, participant] of participants.entries()) {
    const value = key(participant);
    const first = seen.get(value);
    if (first !== undefined) {
      throw new InvalidArgumentError(
        `participants[${index}].${field}: "${value}" is already used by participants[${first}]`,
      );
    }
    seen.set(value, index);
  }
}
