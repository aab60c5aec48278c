import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AuditChainVerifier } from '../../lib/contract/audit-chain.js';
import { auditEntryFromProto } from '../../lib/contract/contract-codec.js';
import type { GrpcClient } from '../../lib/grpc/grpc-client.js';
import type { ContractService } from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { createContractRepoFixture, type ContractRepoFixture } from './contract-repo-fixture.js';
import { RepositoryExitedError, startRepositoryChild, type RepositoryChild } from './repository-child.js';

/**
 * One repository process per data directory (issue 11, item 4), with real processes: a second
 * repository on the same directory refuses to start and names the holder while the first keeps
 * serving; after the first is killed with SIGKILL, the kernel has dropped its lock and a new
 * repository starts at once with every acknowledged change. Without the lock, both started and
 * acknowledged writes, and the next start refused the interleaved log as corrupt.
 */
type Client = GrpcClient<typeof ContractService>;

let fixture: ContractRepoFixture;
const children: ChildProcess[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  fixture = await createContractRepoFixture();
});

afterAll(async () => {
  for (const client of clients) client.close();
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await fixture.cleanup();
});

function startRepository(): Promise<RepositoryChild> {
  return startRepositoryChild(fixture.configFile, (child) => children.push(child));
}

function adminOf(repository: RepositoryChild): Client {
  const client = fixture.client(repository.port, fixture.admin);
  clients.push(client);
  return client;
}

async function propose(admin: Client, id: string): Promise<void> {
  await admin.create({
    contract: { id, participants: [{ ...fixture.zoneA.participant }, { ...fixture.zoneB.participant }] },
  });
}

describe('one repository process per data directory', () => {
  it('refuses a second repository naming the holder, and starts at once after the holder is killed with SIGKILL', async () => {
    const dataDir = join(fixture.directory, 'data');
    const first = await startRepository();
    const firstAdmin = adminOf(first);
    await propose(firstAdmin, 'before-second');

    const refusal: unknown = await startRepository().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(RepositoryExitedError);
    const { code, stderr } = refusal as RepositoryExitedError;
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `^accord-contract-repo: ${dataDir} is locked by pid ${String(first.child.pid)} on host "${hostname()}", started "\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z"\\n$`,
      ),
    );

    // The holder is untouched by the refused start and keeps acknowledging writes.
    await propose(firstAdmin, 'after-second');
    first.child.kill('SIGKILL');
    await first.exited;

    const third = await startRepository();
    const thirdAdmin = adminOf(third);
    for (const id of ['before-second', 'after-second'])
      expect((await thirdAdmin.get({ id })).contract?.id).toBe(id);
    const page = await thirdAdmin.auditLog({ startSequence: 1n, pageSize: 1000 });
    const verifier = new AuditChainVerifier();
    for (const entry of page.entries) verifier.add(auditEntryFromProto(entry));
    expect(BigInt(verifier.finish().sequence)).toBe(page.headSequence);
    await propose(thirdAdmin, 'after-restart');

    third.child.kill('SIGTERM');
    await third.exited;
    expect(third.child.exitCode).toBe(0);
    // A clean stop releases the lock too.
    const fourth = await startRepository();
    expect((await adminOf(fourth).get({ id: 'after-restart' })).contract?.id).toBe('after-restart');
    fourth.child.kill('SIGTERM');
    await fourth.exited;
  }, 90_000);
});
