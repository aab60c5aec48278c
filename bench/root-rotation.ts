import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustBundlePemFileName } from '../lib/bundle/bundle-file-names.js';
import type { ContractProvider } from '../contract-provider/contract-provider.js';
import { signApproval } from '../lib/contract/approval-signature.js';
import { approvalToProto, contractFromProto } from '../lib/contract/contract-codec.js';
import { rootAnnouncementToProto } from '../lib/contract/root-rotation-codec.js';
import type { GrpcClient } from '../lib/grpc/grpc-client.js';
import { pemToDerList } from '../lib/x509/pem.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import type { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import { startDirectoryProvider } from '../test/support/directory-provider.js';
import { announceRoot } from '../test/support/test-root-rotation.js';
import { createTestRoot, createTestZone, type TestRoot, type TestZone } from '../test/support/test-zone.js';
import type { BenchFigure } from './bench-figure.js';
import { DirectoryObserver } from './directory-observer.js';
import { proposeContract } from './propose-contract.js';
import { latencyFigures } from './latency-figures.js';
import { startRepositoryProcess, type RepositoryProcess } from './repository-process.js';
import { waitUntil } from './wait-until.js';

/** Sizes and bounds of one root rotation run. */
export interface RootRotationOptions {
  /** Zones in the one contract: zone-0 rotates, every other zone is a partner. */
  readonly zoneCount: number;
  /** Announcements, one after the other, each replacing the previous announced root. */
  readonly rotations: number;
  readonly maxDurationMs: number;
  /** Every partner must install an announced root within this, or the run fails. */
  readonly propagationTimeoutMs: number;
  readonly progress: (message: string) => void;
}

type Client = GrpcClient<typeof ContractService>;

interface Partner {
  readonly zone: TestZone;
  readonly bundleDirectory: string;
  readonly observer: DirectoryObserver;
  readonly provider: ContractProvider;
}

/**
 * Measures announcement → installation (docs/root-rotation.md): the repository runs as its own
 * process with an fsync'd file store, every partner zone runs a real `ContractProvider` (Watch over
 * mTLS, verifying the root chain, writing with `DirectoryBundleWriter`). One contract joins every
 * zone; zone-0 announces a new root signed by the key of its current root and by its admin, and the
 * latency runs from the moment AnnounceRoot returns until *every* partner's PEM file for zone-0
 * holds the new root. Announcements run one after the other, each continuing the chain.
 */
export async function runRootRotationBenchmark(options: RootRotationOptions): Promise<BenchFigure[]> {
  const directory = await mkdtemp(join(tmpdir(), 'accord-bench-root-rotation-'));
  const partners: Partner[] = [];
  const clients: Client[] = [];
  let repository: RepositoryProcess | undefined;
  try {
    const hub = await createTestZone('hub');
    const admin = await hub.issue('/accord/admin');
    const zones = await Promise.all(
      Array.from({ length: options.zoneCount }, (_, index) => createTestZone(`zone-${index}`)),
    );
    const [rotating, ...others] = zones;
    if (rotating === undefined || others.length === 0)
      throw new Error('root-rotation needs at least two zones');
    repository = await startRepositoryProcess({ directory, hub, admins: [admin.spiffeId], zones });
    const adminClient = repository.client(admin);
    clients.push(adminClient);
    for (const zone of others) {
      const providerClient = repository.client(await zone.issue('/accord/contract-provider'));
      clients.push(providerClient);
      const bundleDirectory = join(directory, 'bundles', zone.name);
      const provider = await startDirectoryProvider(zone, providerClient, bundleDirectory);
      partners.push({ zone, bundleDirectory, observer: new DirectoryObserver(bundleDirectory), provider });
    }
    const approverClients = new Map(zones.map((zone) => [zone.name, repository?.client(zone.admin)]));
    for (const client of approverClients.values()) if (client !== undefined) clients.push(client);
    let contract = await proposeContract(adminClient, 'rotation', zones);
    for (const zone of zones) {
      const approval = await signApproval(contract, zone.name, zone.admin.signer, new Date());
      const response = await approverClients
        .get(zone.name)
        ?.approve({ id: contract.id, approval: approvalToProto(approval) });
      if (response?.contract !== undefined) contract = contractFromProto(response.contract);
    }
    await waitUntil(
      () =>
        partners.every(({ bundleDirectory }) =>
          installedRoots(bundleDirectory, rotating).has(rotating.rootSha256),
        ),
      'every partner trusts zone-0',
      options.propagationTimeoutMs,
    );
    options.progress(`root-rotation: ${partners.length} partners ready; ${options.rotations} announcements`);

    const rotatingClient = approverClients.get(rotating.name);
    if (rotatingClient === undefined) throw new Error('no client for zone-0');
    const latencies: number[] = [];
    let previous: TestRoot = rotating;
    const started = performance.now();
    for (
      let index = 1;
      index <= options.rotations && performance.now() - started < options.maxDurationMs;
      index += 1
    ) {
      const next = await createTestRoot(rotating.trustDomain);
      const announcement = await announceRoot(contract, previous, next, rotating.admin, { sequence: index });
      const installed = Promise.all(
        partners.map(({ observer, bundleDirectory, zone }) =>
          observer.until(
            () => installedRoots(bundleDirectory, rotating).has(next.rootSha256),
            `${zone.name} installs root ${index}`,
            options.propagationTimeoutMs,
          ),
        ),
      );
      await rotatingClient.announceRoot({
        id: contract.id,
        announcement: rootAnnouncementToProto(announcement),
      });
      const announcedAtMs = performance.now();
      latencies.push(Math.max(0, Math.max(...(await installed)) - announcedAtMs));
      previous = next;
    }
    return [
      { name: 'root-rotation', metric: 'partners', value: partners.length, unit: '' },
      ...latencyFigures('root-rotation-announce-installed', latencies),
    ];
  } finally {
    await Promise.all(partners.map(({ provider }) => provider.stop()));
    for (const { observer } of partners) observer.close();
    for (const client of clients) client.close();
    await repository?.close();
    await rm(directory, { recursive: true, force: true });
  }
}

/** Fingerprints of the roots a partner's provider wrote for `zone` (none before the first write). */
function installedRoots(bundleDirectory: string, zone: TestZone): Set<string> {
  try {
    const pem = readFileSync(join(bundleDirectory, trustBundlePemFileName(zone.trustDomain)), 'utf8');
    return new Set(pemToDerList(pem).map((der) => sha256Hex(der)));
  } catch {
    return new Set();
  }
}
