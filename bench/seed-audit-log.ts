import { KeyObject, sign } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { eventToAuditRecord, type ContractEventRecord } from '../contract-repo/contract-event.js';
import { applyContractEvent } from '../contract-repo/contract-transition.js';
import { auditLogFileName, auditLogLine } from '../contract-repo/file-contract-store.js';
import { verifyApproval } from '../lib/contract/approval-signature.js';
import { auditGenesis, chainAuditRecord, type AuditCheckpoint } from '../lib/contract/audit-chain.js';
import { canonicalApprovalBytes } from '../lib/contract/canonical-consent.js';
import { consentSignatureSha256 } from '../lib/contract/consent-timestamp.js';
import type { ContractApproval, ContractParticipant, TrustContract } from '../lib/contract/trust-contract.js';
import { validateParticipant } from '../lib/contract/validate-proposal.js';
import type { TestSvid, TestZone } from '../test/support/test-zone.js';

/** Who the seeded log holds contracts for, and how many. */
export interface AuditLogSeed {
  /** The repository's `dataDir`; must not hold a log yet, unless `after` is given. */
  readonly dataDir: string;
  /**
   * Appends to a log seeded before (whose head this is and which holds this many contracts)
   * instead of starting one: for an audit-log tail after a snapshot. The caller's contracts are
   * then not written again.
   */
  readonly after?: { readonly head: AuditCheckpoint; readonly contracts: number };
  /** The admin recorded as proposer. */
  readonly admin: TestSvid;
  /** The measured zone: one active contract with each of `partners`. */
  readonly caller: TestZone;
  readonly partners: readonly TestZone[];
  /** The remaining contracts, all active, go round-robin over every pair of these zones. */
  readonly zones: readonly TestZone[];
  /** Contracts to write, the caller's included. */
  readonly totalContracts: number;
  readonly progress: (message: string) => void;
}

/** What `seedAuditLog` wrote. */
export interface SeededLog {
  /** The head of the chain written. */
  readonly head: AuditCheckpoint;
  /** How many of the contracts written each zone participates in, by zone name. */
  readonly contractsByZone: ReadonlyMap<string, number>;
}

/** How often progress is reported while seeding. */
const progressEveryContracts = 20_000;

/**
 * Writes an audit log of `totalContracts` active contracts straight into the file store's format:
 * every contract is proposed by the admin and approved by both of its zones' admins with real
 * ECDSA signatures over the canonical approval bytes, timestamped by the zone's root, through the repository's own event,
 * transition and chain functions, so the file holds exactly what the repository would have
 * written through its API (which, with an fsync per change, would take minutes at 100,000). Each
 * zone's first approval is checked with `verifyApproval`, so a seeding mistake fails here rather
 * than in a measurement.
 */
export async function seedAuditLog(seed: AuditLogSeed): Promise<SeededLog> {
  await mkdir(seed.dataDir, { recursive: true, mode: 0o700 });
  const file = createWriteStream(join(seed.dataDir, auditLogFileName), {
    flags: seed.after === undefined ? 'wx' : 'a',
    mode: 0o600,
  });
  const signers = new Map<string, { key: KeyObject; approver: TestSvid }>();
  const signerOf = (zone: TestZone) => {
    let signer = signers.get(zone.name);
    if (signer === undefined) {
      signer = { key: KeyObject.from(zone.admin.privateKey), approver: zone.admin };
      signers.set(zone.name, signer);
    }
    return signer;
  };
  // Validating a participant parses its root: once per zone, not once per contract.
  const participants = new Map<string, ContractParticipant>();
  const participantOf = (zone: TestZone): ContractParticipant => {
    let participant = participants.get(zone.name);
    if (participant === undefined) {
      participant = validateParticipant(zone.participant, zone.name);
      participants.set(zone.name, participant);
    }
    return participant;
  };
  const verifiedApprovers = new Set<string>();
  let head: AuditCheckpoint = seed.after?.head ?? auditGenesis;
  const time = new Date();
  const append = async (record: Omit<ContractEventRecord, 'sequence'>): Promise<void> => {
    const entry = chainAuditRecord(head, eventToAuditRecord({ ...record, sequence: head.sequence + 1 }));
    head = { sequence: entry.sequence, hash: entry.hash };
    if (!file.write(auditLogLine(entry))) await once(file, 'drain');
  };
  const contractsByZone = new Map<string, number>();
  const addActiveContract = async (id: string, pair: readonly [TestZone, TestZone]): Promise<void> => {
    for (const zone of pair) contractsByZone.set(zone.name, (contractsByZone.get(zone.name) ?? 0) + 1);
    const propose: Omit<ContractEventRecord, 'sequence'> = {
      contractId: id,
      actor: seed.admin.spiffeId,
      time,
      event: { action: 'propose', participants: pair.map(participantOf) },
    };
    const contract = applyContractEvent(undefined, { ...propose, sequence: head.sequence + 1 });
    if (contract === undefined) throw new Error(`contract ${id} was not created`);
    await append(propose);
    for (const zone of pair) {
      const approval = await approvalOf(contract, zone, signerOf(zone));
      if (!verifiedApprovers.has(zone.name)) {
        verifyApproval(contract, approval);
        verifiedApprovers.add(zone.name);
      }
      await append({
        contractId: id,
        actor: zone.admin.spiffeId,
        time,
        event: { action: 'approve', approval },
      });
    }
  };
  try {
    const partners = seed.after === undefined ? seed.partners : [];
    for (const [index, partner] of partners.entries()) {
      await addActiveContract(`caller-${index}`, [seed.caller, partner]);
    }
    const pairs = pairsOf(seed.zones);
    const first = seed.after === undefined ? 0 : seed.after.contracts - seed.partners.length;
    const others = seed.totalContracts - partners.length;
    for (let index = 0; index < others; index += 1) {
      const pair = pairs[(first + index) % pairs.length];
      if (pair === undefined) throw new Error('need at least two zones');
      await addActiveContract(`other-${first + index}`, pair);
      if ((index + 1) % progressEveryContracts === 0)
        seed.progress(`seeded ${index + 1} of ${others} contracts`);
    }
  } finally {
    file.end();
    await once(file, 'close');
  }
  return { head, contractsByZone };
}

async function approvalOf(
  contract: TrustContract,
  zone: TestZone,
  signer: { key: KeyObject; approver: TestSvid },
): Promise<ContractApproval> {
  const signedAt = new Date(contract.createdAt.getTime());
  const bytes = canonicalApprovalBytes(contract, zone.name, signedAt);
  const signature = new Uint8Array(sign('sha256', bytes, { key: signer.key, dsaEncoding: 'ieee-p1363' }));
  return {
    participant: zone.name,
    signature,
    certificateChainDer: signer.approver.signer.certificateChainDer,
    signedAt,
    timestamp: await signer.approver.signer.timestamp(consentSignatureSha256(signature)),
  };
}

/** Every unordered pair of `zones`, so the contracts spread evenly. */
function pairsOf(zones: readonly TestZone[]): [TestZone, TestZone][] {
  return zones.flatMap((first, index) =>
    zones.slice(index + 1).map((second): [TestZone, TestZone] => [first, second]),
  );
}
