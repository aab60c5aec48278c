import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditGenesis, chainAuditRecord, type AuditCheckpoint } from '../../lib/contract/audit-chain.js';
import { createTestZone, type TestZone } from '../support/test-zone.js';
import type { ContractParticipant } from '../../lib/contract/trust-contract.js';
import { validateProposal } from '../../lib/contract/validate-proposal.js';
import { silentLogger } from '../../lib/log/logger.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { systemClock } from '../../lib/time/clock.js';
import { callerOf } from '../../contract-repo/contract-authorization.js';
import { eventToAuditRecord } from '../../contract-repo/contract-event.js';
import { ContractRepository } from '../../contract-repo/contract-repository.js';
import { FileContractStore, auditLogFileName } from '../../contract-repo/file-contract-store.js';

const storedContracts = 10_000;
const zoneCount = 20;

/**
 * A repository holding 10,000 contracts among 20 zones, written straight into the store file (the
 * same bytes the repository writes), to check that loading stays quick and that a zone's queries
 * only see its own contracts.
 */
describe('contract repository with 10,000 stored contracts', () => {
  let directory: string;
  let zones: TestZone[];

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'large-store-'));
    zones = await Promise.all(
      Array.from({ length: zoneCount }, (_, index) => createTestZone(`zone-${index}`)),
    );
    const lines: string[] = [];
    let head: AuditCheckpoint = auditGenesis;
    const participantsOfPair = new Map<string, ContractParticipant[]>();
    for (let index = 0; index < storedContracts; index += 1) {
      const first = index % zoneCount;
      const second = (first + 1 + (Math.floor(index / zoneCount) % (zoneCount - 1))) % zoneCount;
      const key = `${first}-${second}`;
      let participants = participantsOfPair.get(key);
      if (participants === undefined) {
        const pair = [zones[first], zones[second]].filter((zone) => zone !== undefined);
        participants = [
          ...validateProposal({ id: '', participants: pair.map((zone) => zone.participant) }).participants,
        ];
        participantsOfPair.set(key, participants);
      }
      const entry = chainAuditRecord(
        head,
        eventToAuditRecord({
          sequence: head.sequence + 1,
          time: new Date(),
          actor: 'spiffe://ops.example/admin',
          contractId: `c-${index}`,
          event: { action: 'propose', participants },
        }),
      );
      lines.push(
        JSON.stringify({
          sequence: entry.sequence,
          previousHash: Buffer.from(entry.previousHash).toString('hex'),
          hash: Buffer.from(entry.hash).toString('hex'),
          record: new TextDecoder().decode(entry.record),
        }),
      );
      head = { sequence: entry.sequence, hash: entry.hash };
    }
    await writeFile(join(directory, auditLogFileName), `${lines.join('\n')}\n`);
  });

  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('loads them and lists for a zone only the contracts it participates in', async () => {
    const started = performance.now();
    const repository = await ContractRepository.open({
      store: new FileContractStore(directory, silentLogger),
      clock: systemClock,
      logger: silentLogger,
      admins: [],
    });
    const loadMs = performance.now() - started;
    try {
      const zone = callerOf({ spiffeId: parseSpiffeId('spiffe://zone-3.example/ops') }, new Set());
      const listed = repository.list(zone);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.length).toBeLessThan(storedContracts / 5);
      expect(
        listed.every((contract) =>
          contract.participants.some((participant) => participant.trustDomain === 'zone-3.example'),
        ),
      ).toBe(true);
      expect(repository.head.sequence).toBe(storedContracts);
      expect(loadMs).toBeLessThan(20_000);
    } finally {
      await repository.close();
    }
  });
});
