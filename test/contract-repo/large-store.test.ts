import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signApproval } from '../../lib/contract/approval-signature.js';
import { auditGenesis, chainAuditRecord, type AuditCheckpoint } from '../../lib/contract/audit-chain.js';
import { contractRepositoryOverGrpc } from '../../lib/contract/contract-repository-client.js';
import type { ContractStreamItem } from '../../lib/contract/contract-stream.js';
import type { ContractParticipant } from '../../lib/contract/trust-contract.js';
import { validateProposal } from '../../lib/contract/validate-proposal.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { eventToAuditRecord } from '../../contract-repo/contract-event.js';
import { auditLogFileName, auditLogLine, snapshotFileName } from '../../contract-repo/file-contract-store.js';
import { startContractRepo, type RunningContractRepo } from '../../contract-repo/start-contract-repo.js';
import { verifyAuditLog } from '../../cli/verify-audit-log.js';
import { startDirectoryProvider } from '../support/directory-provider.js';
import type { TestSvid, TestZone } from '../support/test-zone.js';
import { waitFor } from '../contract-provider/wait-for.js';
import { createContractRepoFixture, type ContractRepoFixture } from './contract-repo-fixture.js';

const storedContracts = 10_000;

/**
 * A repository holding 10,000 contracts among zones A, B and C (written straight into the store
 * file, the bytes the repository writes), served over mTLS: more than a client's default 4 MiB
 * message limit for an admin (about 13 MB) and for zone A (about 9 MB). The admin's and a zone's
 * Watch snapshots and List arrive whole, in parts and pages, through the same client code the
 * provider and accordctl use; GetCertificates and a zone's provider find the two active ones among
 * them; a restart starts from the snapshot the first start wrote, and the audit log still verifies
 * end to end from the genesis as `accordctl audit verify` checks it.
 */
describe('contract repository with 10,000 stored contracts over gRPC', () => {
  let fixture: ContractRepoFixture;
  let running: RunningContractRepo | undefined;
  let zoneAContracts = 0;

  beforeAll(async () => {
    fixture = await createContractRepoFixture();
    const pairs: readonly ContractParticipant[][] = [
      [fixture.zoneA, fixture.zoneB],
      [fixture.zoneB, fixture.zoneC],
      [fixture.zoneA, fixture.zoneC],
    ].map((zones) => [
      ...validateProposal({ id: '', participants: zones.map((zone) => zone.participant) }).participants,
    ]);
    const lines: string[] = [];
    let head: AuditCheckpoint = auditGenesis;
    for (let index = 0; index < storedContracts; index += 1) {
      const participants = pairs[index % pairs.length] ?? [];
      if (participants.some((participant) => participant.name === 'zone-a')) zoneAContracts += 1;
      const entry = chainAuditRecord(
        head,
        eventToAuditRecord({
          sequence: head.sequence + 1,
          time: new Date(),
          actor: 'spiffe://ops.example/accord/admin',
          contractId: `c-${String(index).padStart(5, '0')}`,
          event: { action: 'propose', participants },
        }),
      );
      lines.push(auditLogLine(entry));
      head = { sequence: entry.sequence, hash: entry.hash };
    }
    const dataDir = join(fixture.directory, 'data');
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, auditLogFileName), lines.join(''));
  }, 60_000);

  afterAll(async () => {
    await running?.close();
    await fixture.cleanup();
  });

  function repositoryAs(identity: TestSvid) {
    if (running === undefined) throw new Error('not running');
    return contractRepositoryOverGrpc(fixture.client(running.grpcPort, identity));
  }

  /** The first item of a Watch as `identity`: the whole snapshot, assembled from its parts. */
  async function snapshotAs(identity: TestSvid): Promise<ContractStreamItem | undefined> {
    const repository = repositoryAs(identity);
    const abort = new AbortController();
    try {
      for await (const item of repository.watch(undefined, abort.signal)) return item;
      return undefined;
    } finally {
      abort.abort();
      repository.close();
    }
  }

  const snapshotSize = (item: ContractStreamItem | undefined) =>
    item?.event.kind === 'snapshot' ? item.event.contracts.length : -1;

  it('sends the admin and a zone their whole snapshot in parts, and lists every contract in pages', async () => {
    running = await startContractRepo(fixture.config, silentLogger, systemClock);
    const admin = await snapshotAs(fixture.admin);
    expect(snapshotSize(admin)).toBe(storedContracts);
    expect(admin?.resumeToken).toBe(String(storedContracts));
    expect(snapshotSize(await snapshotAs(fixture.svidA))).toBe(zoneAContracts);
    const repository = repositoryAs(fixture.admin);
    try {
      const listed = await repository.list(undefined);
      expect(listed).toHaveLength(storedContracts);
      expect(new Set(listed.map((contract) => contract.id)).size).toBe(storedContracts);
    } finally {
      repository.close();
    }
  }, 60_000);

  it('refuses the whole snapshot in one message to a client that did not ask for parts', async () => {
    if (running === undefined) throw new Error('not running');
    const client = fixture.client(running.grpcPort, fixture.admin);
    try {
      const responses = client.watch({ resumeToken: '' });
      await expect(responses[Symbol.asyncIterator]().next()).rejects.toMatchObject({
        kind: 'ResourceExhausted',
      });
    } finally {
      client.close();
    }
  });

  /** Approves contract `id` (proposed in the seeded log) as each of `zones`' designated approver. */
  async function activate(id: string, zones: readonly [TestZone, TestSvid][]): Promise<void> {
    for (const [zone, approver] of zones) {
      const repository = repositoryAs(approver);
      try {
        const contract = await repository.get(id);
        await repository.approve(id, await signApproval(contract, zone.name, approver.signer, new Date()));
      } finally {
        repository.close();
      }
    }
  }

  it('serves GetCertificates and a provider the two active contracts among them', async () => {
    if (running === undefined) throw new Error('not running');
    // c-00000 is between zones A and B, c-00002 between A and C (the seed's pairs in turn).
    await activate('c-00000', [
      [fixture.zoneA, fixture.svidA],
      [fixture.zoneB, fixture.svidB],
    ]);
    await activate('c-00002', [
      [fixture.zoneA, fixture.svidA],
      [fixture.zoneC, fixture.svidC],
    ]);
    const client = fixture.client(running.grpcPort, fixture.svidA);
    try {
      const forA = await client.getCertificates({});
      expect(forA.partners.map((partner) => [partner.name, partner.contractIds])).toEqual([
        ['zone-b', ['c-00000']],
        ['zone-c', ['c-00002']],
      ]);
    } finally {
      client.close();
    }
    const bundleDirectory = join(fixture.directory, 'bundles');
    const providerClient = fixture.client(
      running.grpcPort,
      await fixture.zoneA.issue('/accord/contract-provider'),
    );
    const provider = await startDirectoryProvider(fixture.zoneA, providerClient, bundleDirectory);
    try {
      await waitFor(() => provider.isReady(), 60_000);
      expect((await readdir(bundleDirectory)).filter((file) => file.endsWith('.pem')).sort()).toEqual([
        'zone-b.example.pem',
        'zone-c.example.pem',
      ]);
    } finally {
      await provider.stop();
      providerClient.close();
    }
  }, 120_000);

  it('starts again from the snapshot its first start wrote, with the same contracts', async () => {
    await running?.close();
    expect(await readdir(join(fixture.directory, 'data'))).toContain(snapshotFileName);
    running = await startContractRepo(fixture.config, silentLogger, systemClock);
    expect(running.repository.head.sequence).toBe(storedContracts + 4);
    expect(snapshotSize(await snapshotAs(fixture.svidA))).toBe(zoneAContracts);
  }, 60_000);

  it('keeps the audit log verifiable from the genesis across the snapshot, as accordctl audit verify reads it', async () => {
    const repository = repositoryAs(fixture.admin);
    try {
      const verified = await verifyAuditLog(repository, undefined);
      expect(verified.entries).toBe(storedContracts + 4);
      expect(verified.head.sequence).toBe(storedContracts + 4);
    } finally {
      repository.close();
    }
  }, 60_000);
});
