import type { ChildProcess } from 'node:child_process';
import { signApproval } from '../../lib/contract/approval-signature.js';
import { AuditChainVerifier } from '../../lib/contract/audit-chain.js';
import {
  approvalToProto,
  auditEntryFromProto,
  contractFromProto,
} from '../../lib/contract/contract-codec.js';
import type { TestSvid } from '../support/test-zone.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import type { GrpcClient } from '../../lib/grpc/grpc-client.js';
import type { ContractService } from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { createContractRepoFixture, type ContractRepoFixture } from './contract-repo-fixture.js';
import { startRepositoryChild } from './repository-child.js';

/**
 * Runs the built repository (`npm run build` first; `npm test` does) as a child process, kills it
 * with SIGKILL in the middle of a burst of concurrent proposals and approvals, restarts it on the
 * same data directory, and checks that every change it acknowledged is there and the chain verifies.
 */
const preparedContracts = 12;
const newProposals = 12;
const killAfterAcknowledged = 14;

type Client = GrpcClient<typeof ContractService>;

let fixture: ContractRepoFixture;
const children: ChildProcess[] = [];

beforeAll(async () => {
  fixture = await createContractRepoFixture();
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await fixture.cleanup();
});

/** Starts the repository and resolves with its gRPC port once it printed its ready line. */
function startRepository() {
  return startRepositoryChild(fixture.configFile, (child) => children.push(child));
}

function participants() {
  return [{ ...fixture.zoneA.participant }, { ...fixture.zoneB.participant }];
}

async function approvalRequest(contract: TrustContract, participant: string, signer: TestSvid) {
  const approval = await signApproval(contract, participant, signer.signer, new Date());
  return { id: contract.id, approval: approvalToProto(approval) };
}

describe('contract repository durability', () => {
  it('keeps every acknowledged change and a verifying audit chain across kill -9 during a burst', async () => {
    const first = await startRepository();
    const clients: Client[] = [];
    const client = (port: number, identity: TestSvid): Client => {
      const created = fixture.client(port, identity);
      clients.push(created);
      return created;
    };
    try {
      const admin = client(first.port, fixture.admin);
      const zoneA = client(first.port, fixture.svidA);
      const zoneB = client(first.port, fixture.svidB);
      const prepared: TrustContract[] = [];
      for (let index = 0; index < preparedContracts; index += 1) {
        const response = await admin.create({
          contract: { id: `prepared-${index}`, participants: participants() },
        });
        if (response.contract === undefined) throw new Error('no contract');
        prepared.push(contractFromProto(response.contract));
      }

      const acknowledgedProposals: string[] = [];
      const acknowledgedApprovals: { id: string; participant: string }[] = [];
      let acknowledged = 0;
      const onAcknowledged = (): void => {
        acknowledged += 1;
        if (acknowledged === killAfterAcknowledged) first.child.kill('SIGKILL');
      };
      const requests = await Promise.all(
        prepared.flatMap((contract) => [
          approvalRequest(contract, 'zone-a', fixture.svidA),
          approvalRequest(contract, 'zone-b', fixture.svidB),
        ]),
      );
      const burst: Promise<void>[] = [
        ...requests.map(async (request) => {
          const from = request.approval.participant === 'zone-a' ? zoneA : zoneB;
          await from.approve(request);
          acknowledgedApprovals.push({ id: request.id, participant: request.approval.participant });
          onAcknowledged();
        }),
        ...Array.from({ length: newProposals }, async (_, index) => {
          const id = `burst-${index}`;
          await admin.create({ contract: { id, participants: participants() } });
          acknowledgedProposals.push(id);
          onAcknowledged();
        }),
      ];
      const outcomes = await Promise.allSettled(burst);
      await first.exited;
      expect(first.child.signalCode).toBe('SIGKILL');
      expect(acknowledged).toBeGreaterThanOrEqual(killAfterAcknowledged);
      expect(outcomes.some((outcome) => outcome.status === 'rejected')).toBe(true);

      const second = await startRepository();
      try {
        const restartedAdmin = client(second.port, fixture.admin);
        for (const id of [...prepared.map((contract) => contract.id), ...acknowledgedProposals]) {
          expect((await restartedAdmin.get({ id })).contract?.id).toBe(id);
        }
        for (const { id, participant } of acknowledgedApprovals) {
          const stored = (await restartedAdmin.get({ id })).contract;
          expect(stored?.approvals.map((approval) => approval.participant)).toContain(participant);
        }
        const verifier = new AuditChainVerifier();
        let headSequence = 0n;
        for (;;) {
          const page = await restartedAdmin.auditLog({
            startSequence: BigInt(verifier.head.sequence + 1),
            pageSize: 1000,
          });
          headSequence = page.headSequence;
          for (const entry of page.entries) {
            verifier.add(auditEntryFromProto(entry));
          }
          if (page.entries.length === 0 || BigInt(verifier.head.sequence) >= headSequence) break;
        }
        expect(BigInt(verifier.finish().sequence)).toBe(headSequence);
        expect(Number(headSequence)).toBeGreaterThanOrEqual(preparedContracts + acknowledged);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      for (const each of clients) each.close();
    }
  }, 60_000);
});
