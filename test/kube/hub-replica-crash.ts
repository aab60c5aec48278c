import type { ChildProcess } from 'node:child_process';
import { signApproval } from '../../lib/contract/approval-signature.js';
import { AuditChainVerifier } from '../../lib/contract/audit-chain.js';
import {
  approvalToProto,
  auditEntryFromProto,
  contractFromProto,
} from '../../lib/contract/contract-codec.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import type { GrpcClient } from '../../lib/grpc/grpc-client.js';
import { CoreV1Api } from '@kubernetes/client-node';
import { clientNodeApi } from './client-node-api.js';
import type { ContractService } from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import {
  createContractRepoFixture,
  type ContractRepoFixture,
} from '../contract-repo/contract-repo-fixture.js';
import { startRepositoryChild, type RepositoryChild } from '../contract-repo/repository-child.js';
import type { TestSvid } from '../support/test-zone.js';
import { startKubeApiServer, type KubeApiServer } from './kube-api-server.js';

/** Sizes and bounds of one crash run. */
export interface HubReplicaCrashOptions {
  /** Repository processes on the one Kubernetes store (at least 2: one is killed). */
  readonly replicas: number;
  /** Contracts proposed before the burst, each approved by both zones during it. */
  readonly preparedContracts: number;
  /** Contracts proposed during the burst. */
  readonly newProposals: number;
  /** The replica is killed with SIGKILL once this many operations of the burst were acknowledged. */
  readonly killAfterAcknowledged: number;
  /** How often each replica reads what the others appended (production default: 500 ms). */
  readonly followIntervalMs: number;
  readonly progress: (message: string) => void;
}

/** What a crash run observed. */
export interface HubReplicaCrashResult {
  /** Operations of the burst a replica acknowledged (proposals and approvals). */
  readonly acknowledged: number;
  /** Operations of the burst that failed (the killed replica's calls, lost commit races). */
  readonly refused: number;
  /** Acknowledged operations that some replica does not show after the restart: must be 0. */
  readonly missingAfterRestart: number;
  /** Of the refusals, those from replicas that were not killed. */
  readonly refusedBySurvivors: number;
  /** From SIGKILL until a surviving replica acknowledged its next write. */
  readonly survivorWriteAfterKillMs: number;
  /** From the restart of the killed replica until it printed ready. */
  readonly restartReadyMs: number;
  /** From the restart until the restarted replica served the whole log's head. */
  readonly restartCaughtUpMs: number;
  /** The head sequence every replica agrees on at the end; the chain verified up to it. */
  readonly headSequence: number;
}

type Client = GrpcClient<typeof ContractService>;

const namespace = 'accord-system';
const logName = 'crash-test';
const catchUpTimeoutMs = 30_000;

/**
 * Issue 11, item 9: durability of hub mode. Starts a real kube-apiserver and `replicas` repository
 * processes (`dist/contract-repo/main.js`) on one Kubernetes store, proposes `preparedContracts`,
 * then sends a burst of concurrent approvals (both zones for each prepared contract) and new
 * proposals spread over all replicas, and kills replica 1 with SIGKILL once
 * `killAfterAcknowledged` of them were acknowledged. When the burst has settled, the killed
 * replica is started again; then every replica is asked for every acknowledged operation, and the
 * audit log is verified from sequence 1. Shared by the test (which asserts) and the benchmark
 * (which prints the figures).
 */
export async function runHubReplicaCrash(options: HubReplicaCrashOptions): Promise<HubReplicaCrashResult> {
  if (options.replicas < 2) throw new RangeError('at least two replicas: one is killed');
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  let cluster: KubeApiServer | undefined;
  let fixture: ContractRepoFixture | undefined;
  try {
    options.progress('hub-durability: starting kube-apiserver');
    cluster = await startKubeApiServer({ name: 'hub-durability' });
    await clientNodeApi(cluster.adminKubeconfig, CoreV1Api).createNamespace({
      body: { metadata: { name: namespace } },
    });
    fixture = await createContractRepoFixture();
    const configFile = await fixture.writeConfigFile('contract-repo-kube.json', {
      dataDir: undefined,
      kubernetesStore: {
        namespace,
        logName,
        kubeconfig: cluster.adminKubeconfig,
        followInterval: `${String(options.followIntervalMs)}ms`,
      },
    });
    const start = (): Promise<RepositoryChild> =>
      startRepositoryChild(configFile, (child) => children.push(child));
    const on = fixture;
    const clientOf = (repository: RepositoryChild, identity: TestSvid): Client => {
      const client = on.client(repository.port, identity);
      clients.push(client);
      return client;
    };

    options.progress(`hub-durability: starting ${options.replicas} repository processes`);
    const replicas: RepositoryChild[] = [];
    for (let index = 0; index < options.replicas; index += 1) replicas.push(await start());
    const admins = replicas.map((replica) => clientOf(replica, on.admin));
    const zoneA = replicas.map((replica) => clientOf(replica, on.svidA));
    const zoneB = replicas.map((replica) => clientOf(replica, on.svidB));
    const participants = () => [{ ...on.zoneA.participant }, { ...on.zoneB.participant }];

    const prepared: TrustContract[] = [];
    for (let index = 0; index < options.preparedContracts; index += 1) {
      const response = await admins[0]?.create({
        contract: { id: `prepared-${index}`, participants: participants() },
      });
      if (response?.contract === undefined) throw new Error('no contract in the Create answer');
      prepared.push(contractFromProto(response.contract));
    }
    await untilEveryReplicaShows(admins, prepared.length);

    const killed = 1;
    const requests = await Promise.all(
      prepared.flatMap((contract) => [
        approvalRequest(contract, 'zone-a', on.svidA),
        approvalRequest(contract, 'zone-b', on.svidB),
      ]),
    );
    const acknowledgedProposals: string[] = [];
    const acknowledgedApprovals: { id: string; participant: string }[] = [];
    let acknowledged = 0;
    let refused = 0;
    let refusedBySurvivors = 0;
    let killedAtMs: number | undefined;
    let survivorWriteAfterKillMs: number | undefined;
    const settle = async (replica: number, call: () => Promise<void>): Promise<void> => {
      try {
        await call();
      } catch {
        refused += 1;
        if (replica !== killed) refusedBySurvivors += 1;
        return;
      }
      acknowledged += 1;
      if (killedAtMs !== undefined && replica !== killed && survivorWriteAfterKillMs === undefined)
        survivorWriteAfterKillMs = performance.now() - killedAtMs;
      if (acknowledged === options.killAfterAcknowledged) {
        replicas[killed]?.child.kill('SIGKILL');
        killedAtMs = performance.now();
        options.progress(`hub-durability: SIGKILL to replica ${killed} after ${acknowledged} acknowledged`);
      }
    };
    options.progress(`hub-durability: burst of ${requests.length + options.newProposals} operations`);
    await Promise.all([
      ...requests.map((request, index) => {
        const replica = index % options.replicas;
        const from = request.approval.participant === 'zone-a' ? zoneA[replica] : zoneB[replica];
        return settle(replica, async () => {
          await from?.approve(request);
          acknowledgedApprovals.push({ id: request.id, participant: request.approval.participant });
        });
      }),
      ...Array.from({ length: options.newProposals }, (_, index) => {
        const replica = index % options.replicas;
        const id = `burst-${index}`;
        return settle(replica, async () => {
          await admins[replica]?.create({ contract: { id, participants: participants() } });
          acknowledgedProposals.push(id);
        });
      }),
    ]);
    if (killedAtMs === undefined) throw new Error(`only ${acknowledged} operations were acknowledged`);
    await replicas[killed]?.exited;

    options.progress('hub-durability: restarting the killed replica');
    const restartedAtMs = performance.now();
    const restarted = await start();
    const restartReadyMs = performance.now() - restartedAtMs;
    replicas[killed] = restarted;
    const restartedAdmin = clientOf(restarted, on.admin);
    admins[killed] = restartedAdmin;
    const head = await untilHeadsAgree(admins);
    const restartCaughtUpMs = performance.now() - restartedAtMs;

    options.progress('hub-durability: checking every acknowledged operation on every replica');
    let missingAfterRestart = 0;
    for (const admin of admins) {
      for (const id of [...prepared.map((contract) => contract.id), ...acknowledgedProposals]) {
        if (!(await hasContract(admin, id))) missingAfterRestart += 1;
      }
      for (const { id, participant } of acknowledgedApprovals) {
        const contract = (await admin.get({ id })).contract;
        if (!contract?.approvals.some((approval) => approval.participant === participant))
          missingAfterRestart += 1;
      }
    }
    await verifyAuditLog(restartedAdmin, head);
    return {
      acknowledged,
      refused,
      missingAfterRestart,
      refusedBySurvivors,
      survivorWriteAfterKillMs: survivorWriteAfterKillMs ?? Number.NaN,
      restartReadyMs,
      restartCaughtUpMs,
      headSequence: head,
    };
  } finally {
    for (const client of clients) client.close();
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => child.once('exit', () => resolve())),
      ),
    );
    await fixture?.cleanup();
    await cluster?.stop();
  }
}

async function approvalRequest(contract: TrustContract, participant: string, signer: TestSvid) {
  const approval = await signApproval(contract, participant, signer.signer, new Date());
  return { id: contract.id, approval: approvalToProto(approval) };
}

async function hasContract(admin: Client, id: string): Promise<boolean> {
  try {
    return (await admin.get({ id })).contract?.id === id;
  } catch {
    return false;
  }
}

async function headOf(admin: Client): Promise<number> {
  return Number((await admin.auditLog({ startSequence: 1n, pageSize: 1 })).headSequence);
}

/** Waits (bounded) until every replica lists at least `count` contracts. */
async function untilEveryReplicaShows(admins: readonly Client[], count: number): Promise<void> {
  const deadline = Date.now() + catchUpTimeoutMs;
  for (const admin of admins) {
    while ((await admin.list({})).contracts.length < count) {
      if (Date.now() > deadline) throw new Error(`a replica did not show ${count} contracts in time`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Waits (bounded) until every replica reports the same audit head; resolves with it. */
async function untilHeadsAgree(admins: readonly Client[]): Promise<number> {
  const deadline = Date.now() + catchUpTimeoutMs;
  for (;;) {
    const heads = await Promise.all(admins.map(headOf));
    const [first] = heads;
    if (first !== undefined && heads.every((head) => head === first)) return first;
    if (Date.now() > deadline) throw new Error(`replica heads did not agree in time: ${heads.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads the whole audit log page by page and verifies its hash chain up to `head`. */
async function verifyAuditLog(admin: Client, head: number): Promise<void> {
  const verifier = new AuditChainVerifier();
  while (verifier.head.sequence < head) {
    const page = await admin.auditLog({ startSequence: BigInt(verifier.head.sequence + 1), pageSize: 1000 });
    if (page.entries.length === 0)
      throw new Error(`the audit log ends at ${verifier.head.sequence}, before ${head}`);
    for (const entry of page.entries) verifier.add(auditEntryFromProto(entry));
  }
  if (verifier.finish().sequence !== head) throw new Error('the audit log does not end at the agreed head');
}
