import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustBundlePemFileName } from '../lib/bundle/bundle-file-names.js';
import { ContractProvider } from '../contract-provider/contract-provider.js';
import { signApproval } from '../lib/contract/approval-signature.js';
import { signRevocation } from '../lib/contract/revocation-signature.js';
import { approvalToProto, revokeRequestToProto } from '../lib/contract/contract-codec.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import type { GrpcClient } from '../lib/grpc/grpc-client.js';
import type { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import { startDirectoryProvider } from '../test/support/directory-provider.js';
import type { BenchFigure } from './bench-figure.js';
import { DirectoryObserver } from './directory-observer.js';
import { proposeContract } from './propose-contract.js';
import { latencyFigures } from './latency-figures.js';
import { startRepositoryProcess, type RepositoryProcess } from './repository-process.js';
import { randomPair, seededRandom } from './seeded-random.js';
import { waitUntil } from './wait-until.js';

/** Sizes and bounds of one propagation run. */
export interface PropagationOptions {
  readonly zoneCount: number;
  /** Contracts activated and then revoked, one after the other. */
  readonly changeCount: number;
  /** Stops starting new changes after this much wall time (the figures then say how many ran). */
  readonly maxDurationMs: number;
  /** One change's bundles must appear (or vanish) within this, or the run fails. */
  readonly propagationTimeoutMs: number;
  readonly seed: number;
  readonly progress: (message: string) => void;
}

/** One zone of the run: its identity, its provider's output and the client its admin uses. */
interface BenchZone {
  readonly zone: TestZone;
  readonly bundleDirectory: string;
  readonly observer: DirectoryObserver;
  readonly provider: ContractProvider;
  readonly providerClient: GrpcClient<typeof ContractService>;
  readonly adminClient: GrpcClient<typeof ContractService>;
}

type Client = GrpcClient<typeof ContractService>;

const adminPath = '/accord/admin';
const providerPath = '/accord/contract-provider';
const readyTimeoutMs = 60_000;

/**
 * Measures propagation: the repository runs as its own process with an fsync'd file store, and
 * every zone runs a real `ContractProvider` (Watch over mTLS, verifying every approval, writing
 * with `DirectoryBundleWriter`) in this process. For each change a random pair of zones gets a
 * contract that the first and then the second zone approves; the latency runs from the moment
 * the last Approve returns until *both* zones' directories hold the partner's PEM file. Then one
 * zone revokes, and the latency runs until both files are gone. Changes run one after the other,
 * so each figure is one change's latency, not a queue's.
 */
export async function runPropagationBenchmark(options: PropagationOptions): Promise<BenchFigure[]> {
  const directory = await mkdtemp(join(tmpdir(), 'accord-bench-propagation-'));
  const zones: BenchZone[] = [];
  const clients: Client[] = [];
  let repository: RepositoryProcess | undefined;
  try {
    options.progress(`propagation: creating ${options.zoneCount} zones`);
    const hub = await createTestZone('hub');
    const admin = await hub.issue(adminPath);
    const testZones = await Promise.all(
      Array.from({ length: options.zoneCount }, (_, index) => createTestZone(`zone-${index}`)),
    );
    repository = await startRepositoryProcess({
      directory,
      hub,
      admins: [admin.spiffeId],
      zones: testZones,
    });
    const adminClient = repository.client(admin);
    clients.push(adminClient);
    for (const zone of testZones) {
      const benchZone = await startZone(repository, zone, join(directory, 'bundles', zone.name));
      zones.push(benchZone);
      clients.push(benchZone.providerClient, benchZone.adminClient);
    }
    await waitUntil(
      () => zones.every(({ provider }) => provider.isReady()),
      'every provider installed its first snapshot',
      readyTimeoutMs,
    );
    options.progress(`propagation: ${zones.length} providers ready; running ${options.changeCount} changes`);

    const random = seededRandom(options.seed);
    const activations: number[] = [];
    const revocations: number[] = [];
    const started = performance.now();
    for (
      let index = 0;
      index < options.changeCount && performance.now() - started < options.maxDurationMs;
      index += 1
    ) {
      const [first, second] = randomPair(random, zones.length).map((position) => zones[position]);
      if (first === undefined || second === undefined) throw new Error('zone pair out of range');
      const contract = await proposeContract(adminClient, `change-${index}`, [first.zone, second.zone]);
      await approve(first, contract);
      const lastApproval = await signApproval(
        contract,
        second.zone.name,
        second.zone.admin.signer,
        new Date(),
      );
      const installed = bothObserved(first, second, true, options.propagationTimeoutMs);
      await second.adminClient.approve({ id: contract.id, approval: approvalToProto(lastApproval) });
      const approvedAtMs = performance.now();
      activations.push(elapsedSince(approvedAtMs, await installed));

      const removed = bothObserved(first, second, false, options.propagationTimeoutMs);
      const revocation = await signRevocation(
        contract,
        first.zone.name,
        'benchmark',
        first.zone.admin.signer,
        new Date(),
      );
      await first.adminClient.revoke(revokeRequestToProto(contract.id, 'benchmark', revocation));
      const revokedAtMs = performance.now();
      revocations.push(elapsedSince(revokedAtMs, await removed));
      if ((index + 1) % 10 === 0) options.progress(`propagation: ${index + 1} changes`);
    }
    return [
      { name: 'propagation', metric: 'zones', value: zones.length, unit: '' },
      ...latencyFigures('propagation-activate', activations),
      ...latencyFigures('propagation-revoke', revocations),
    ];
  } finally {
    await Promise.all(zones.map(({ provider }) => provider.stop()));
    for (const { observer } of zones) observer.close();
    for (const client of clients) client.close();
    await repository?.close();
    await rm(directory, { recursive: true, force: true });
  }
}

async function startZone(repository: RepositoryProcess, zone: TestZone, bundleDirectory: string) {
  const svid = await zone.issue(providerPath);
  const providerClient = repository.client(svid);
  const provider = await startDirectoryProvider(zone, providerClient, bundleDirectory);
  return {
    zone,
    bundleDirectory,
    observer: new DirectoryObserver(bundleDirectory),
    provider,
    providerClient,
    adminClient: repository.client(zone.admin),
  } satisfies BenchZone;
}

async function approve(zone: BenchZone, contract: TrustContract): Promise<void> {
  const approval = await signApproval(contract, zone.zone.name, zone.zone.admin.signer, new Date());
  await zone.adminClient.approve({ id: contract.id, approval: approvalToProto(approval) });
}

/**
 * Resolves with the time the later of the two zones reached the state: each holding the other's
 * PEM file (`isInstalled`) or neither holding it.
 */
async function bothObserved(
  first: BenchZone,
  second: BenchZone,
  isInstalled: boolean,
  timeoutMs: number,
): Promise<number> {
  const observe = (holder: BenchZone, partner: BenchZone) => {
    const path = join(holder.bundleDirectory, trustBundlePemFileName(partner.zone.trustDomain));
    const what = `${holder.zone.name} ${isInstalled ? 'installs' : 'removes'} ${partner.zone.name}`;
    return holder.observer.until(() => existsSync(path) === isInstalled, what, timeoutMs);
  };
  const times = await Promise.all([observe(first, second), observe(second, first)]);
  return Math.max(...times);
}

/**
 * Latency from the acknowledgement (`acknowledgedAtMs`) to the observation. A provider can write
 * its files before this process has read the RPC's response; such a change counts as 0 ms.
 */
function elapsedSince(acknowledgedAtMs: number, observedAtMs: number): number {
  return Math.max(0, observedAtMs - acknowledgedAtMs);
}
