import { callerOf } from '../contract-repo/contract-authorization.js';
import { ContractRepository } from '../contract-repo/contract-repository.js';
import { FileContractStore } from '../contract-repo/file-contract-store.js';
import { signApproval } from '../lib/contract/approval-signature.js';
import { validateProposal, type ValidatedProposal } from '../lib/contract/validate-proposal.js';
import { silentLogger } from '../lib/log/logger.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import { systemClock } from '../lib/time/clock.js';
import type { TestSvid, TestZone } from '../test/support/test-zone.js';

/** Who the seeded repository holds contracts for, and how many. */
export interface ContractSeed {
  /** The audit log's directory (the repository's `dataDir`); must not hold a log yet. */
  readonly dataDir: string;
  /** The admin recorded as proposer. */
  readonly admin: TestSvid;
  /** The measured zone and its SVID (for its approvals). */
  readonly caller: { readonly zone: TestZone; readonly svid: TestSvid };
  /** One active contract between the caller and each partner. */
  readonly partners: readonly { readonly zone: TestZone; readonly svid: TestSvid }[];
  /** Zones the remaining contracts are spread over, in pairs; the caller is in none of them. */
  readonly otherZones: readonly TestZone[];
  /** Contracts in the store in total, the caller's included. */
  readonly totalContracts: number;
  readonly progress: (message: string) => void;
}

/**
 * Fills an audit log through the repository's own domain and file store (the same records,
 * hashes and fsync'd appends as the gRPC path, without the network): the caller's contracts are
 * proposed and approved by both zones with real signatures, the others only proposed. Their state
 * does not matter to the measurement: the caller's zone is in none of them.
 */
export async function seedContractStore(seed: ContractSeed): Promise<void> {
  const admins = new Set([seed.admin.spiffeId]);
  const asCaller = (svid: TestSvid) => callerOf({ spiffeId: parseSpiffeId(svid.spiffeId) }, admins);
  const admin = asCaller(seed.admin);
  const repository = await ContractRepository.open({
    store: new FileContractStore(seed.dataDir, silentLogger),
    clock: systemClock,
    logger: silentLogger,
    admins,
  });
  try {
    if (repository.head.sequence !== 0) throw new Error(`${seed.dataDir} already holds an audit log`);
    for (const [index, partner] of seed.partners.entries()) {
      const contract = await repository.propose(
        admin,
        proposalOf(`caller-${index}`, [seed.caller.zone, partner.zone]),
      );
      for (const { zone } of [seed.caller, partner]) {
        const approval = await signApproval(contract, zone.name, zone.admin.signer, new Date());
        await repository.approve(asCaller(zone.admin), contract.id, approval);
      }
    }
    const pairs = pairsOf(seed.otherZones);
    const others = seed.totalContracts - seed.partners.length;
    for (let index = 0; index < others; index += 1) {
      const pair = pairs[index % pairs.length];
      if (pair === undefined) throw new Error('need at least two other zones');
      await repository.propose(admin, proposalOf(`other-${index}`, pair));
      if ((index + 1) % 2000 === 0) seed.progress(`seeded ${index + 1} of ${others} other contracts`);
    }
  } finally {
    await repository.close();
  }
}

function proposalOf(id: string, zones: readonly TestZone[]): ValidatedProposal {
  return validateProposal({ id, participants: zones.map((zone) => zone.participant) });
}

/** Every unordered pair of `zones`, so the other contracts spread evenly. */
function pairsOf(zones: readonly TestZone[]): [TestZone, TestZone][] {
  return zones.flatMap((first, index) =>
    zones.slice(index + 1).map((second): [TestZone, TestZone] => [first, second]),
  );
}
