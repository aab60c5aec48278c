import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustBundlePemFileName } from '../lib/bundle/bundle-file-names.js';
import type { ContractProvider } from '../contract-provider/contract-provider.js';
import { signApproval } from '../lib/contract/approval-signature.js';
import { approvalToProto, contractFromProto } from '../lib/contract/contract-codec.js';
import { rootAnnouncementToProto, rootRevocationToProto } from '../lib/contract/root-rotation-codec.js';
import type { GrpcClient } from '../lib/grpc/grpc-client.js';
import { pemToDerList } from '../lib/x509/pem.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import type { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import { startDirectoryProvider } from '../test/support/directory-provider.js';
import { announceRoot, revokeRoot } from '../test/support/test-root-rotation.js';
import { createTestRoot, createTestZone, type TestRoot, type TestZone } from '../test/support/test-zone.js';
import type { BenchFigure } from './bench-figure.js';
import { DirectoryObserver } from './directory-observer.js';
import { proposeContract } from './propose-contract.js';
import { latencyFigures } from './latency-figures.js';
import { readProcessCpuMs } from './process-cpu.js';
import { startRepositoryProcess, type RepositoryProcess } from './repository-process.js';
import { waitUntil } from './wait-until.js';

/** Sizes and bounds of one root rotation run. */
export interface RootRotationOptions {
  /** Zones in the one contract: zone-0 rotates, every other zone is a partner. */
  readonly zoneCount: number;
  /** Announcements, one after the other, each replacing the previous announced root. */
  readonly rotations: number;
  /**
   * Emergency revocations after the announcements, one after the other: each revokes the only root
   * of a zone of its own (one contract with every partner), and the time runs until every partner
   * dropped that zone's bundle.
   */
  readonly emergencies: number;
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
 *
 * CPU per announcement: the repository process's (`/proc/<pid>/stat`: AnnounceRoot, the Watch
 * fan-out, every partner's AcknowledgeRoot) and this process's, where the providers run, without
 * the time spent making and signing the announcements (a zone's PKI and admin do that, not the
 * mesh), divided by the partners: what one partner's provider spends on one announcement
 * (verifying the chain on the announcement and again on each acknowledgement, writing, acknowledging;
 * the file observers and the client call are included and small). Both over the whole run, the last
 * announcement's acknowledgements included.
 *
 * Then the emergency path: zones of their own, each in one contract with every partner, revoke
 * their only root (the revocation signed by that root), and the time runs from RevokeRoot's return
 * until every partner removed the zone's bundle.
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
    const revoking = await Promise.all(
      Array.from({ length: options.emergencies }, (_, index) => createTestZone(`emergency-${index}`)),
    );
    repository = await startRepositoryProcess({
      directory,
      hub,
      admins: [admin.spiffeId],
      zones: [...zones, ...revoking],
    });
    const adminClient = repository.client(admin);
    clients.push(adminClient);
    for (const zone of others) {
      const providerClient = repository.client(await zone.issue('/accord/contract-provider'));
      clients.push(providerClient);
      const bundleDirectory = join(directory, 'bundles', zone.name);
      const provider = await startDirectoryProvider(zone, providerClient, bundleDirectory);
      partners.push({ zone, bundleDirectory, observer: new DirectoryObserver(bundleDirectory), provider });
    }
    const approverClients = new Map(
      [...zones, ...revoking].map((zone) => [zone.name, repository?.client(zone.admin)]),
    );
    for (const client of approverClients.values()) if (client !== undefined) clients.push(client);
    const activate = async (id: string, participants: readonly TestZone[]): Promise<TrustContract> => {
      let proposed = await proposeContract(adminClient, id, participants);
      for (const zone of participants) {
        const approval = await signApproval(proposed, zone.name, zone.admin.signer, new Date());
        const response = await approverClients
          .get(zone.name)
          ?.approve({ id, approval: approvalToProto(approval) });
        if (response?.contract !== undefined) proposed = contractFromProto(response.contract);
      }
      return proposed;
    };
    const contract = await activate('rotation', zones);
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
    let signingCpuMs = 0;
    const repositoryPid = repository.pid;
    const repositoryCpuBeforeMs = readProcessCpuMs(repositoryPid);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (
      let index = 1;
      index <= options.rotations && performance.now() - started < options.maxDurationMs;
      index += 1
    ) {
      const signingStarted = process.cpuUsage();
      const next = await createTestRoot(rotating.trustDomain);
      const announcement = await announceRoot(contract, previous, next, rotating.admin, { sequence: index });
      signingCpuMs += cpuMs(process.cpuUsage(signingStarted));
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
    // The last announcement's acknowledgements (each a write, a Watch event, a sync per partner).
    await waitUntilAcknowledged(adminClient, contract.id, previous.rootSha256, partners.length);
    const repositoryCpuMs = readProcessCpuMs(repositoryPid) - repositoryCpuBeforeMs;
    const providersCpuMs = cpuMs(process.cpuUsage(cpuBefore)) - signingCpuMs;
    const announcements = latencies.length;
    options.progress(`root-rotation: ${options.emergencies} emergency revocations`);
    const dropLatencies = await measureEmergencies(revoking, partners, activate, approverClients, options);
    return [
      { name: 'root-rotation', metric: 'partners', value: partners.length, unit: '' },
      ...latencyFigures('root-rotation-announce-installed', latencies),
      {
        name: 'root-rotation-announce-installed',
        metric: 'repository-cpu-per-announcement',
        value: repositoryCpuMs / announcements,
        unit: 'ms',
      },
      {
        name: 'root-rotation-announce-installed',
        metric: 'provider-cpu-per-announcement',
        value: providersCpuMs / announcements / partners.length,
        unit: 'ms',
      },
      ...latencyFigures('root-rotation-emergency-dropped', dropLatencies),
    ];
  } finally {
    await Promise.all(partners.map(({ provider }) => provider.stop()));
    for (const { observer } of partners) observer.close();
    for (const client of clients) client.close();
    await repository?.close();
    await rm(directory, { recursive: true, force: true });
  }
}

/** User + system time of a `process.cpuUsage()` difference, in milliseconds. */
function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

/** Waits until the repository shows `partnerCount` acknowledgements of `rootSha256` in contract `id`. */
async function waitUntilAcknowledged(
  client: Client,
  id: string,
  rootSha256: string,
  partnerCount: number,
): Promise<void> {
  await waitUntilAsync(async () => {
    const response = await client.get({ id });
    if (response.contract === undefined) return false;
    const rotation = contractFromProto(response.contract).rootRotations.find(
      (candidate) => candidate.announcement.rootSha256 === rootSha256,
    );
    return (rotation?.acknowledgements.length ?? 0) >= partnerCount;
  }, `every partner acknowledged root ${rootSha256}`);
}

/** Polls `isMet` every 20 ms for at most 10 s. */
async function waitUntilAsync(isMet: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!(await isMet())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Activates one contract per revoking zone with every partner, waits until every partner trusts
 * all of them, then revokes each zone's root in turn: the time from RevokeRoot's return until every
 * partner removed that zone's bundle.
 */
async function measureEmergencies(
  revoking: readonly TestZone[],
  partners: readonly Partner[],
  activate: (id: string, participants: readonly TestZone[]) => Promise<TrustContract>,
  approverClients: ReadonlyMap<string, Client | undefined>,
  options: RootRotationOptions,
): Promise<number[]> {
  const contracts = [];
  for (const zone of revoking) {
    contracts.push({
      zone,
      contract: await activate(`emergency-${zone.name}`, [zone, ...partners.map((partner) => partner.zone)]),
    });
  }
  await waitUntil(
    () =>
      partners.every(({ bundleDirectory }) =>
        revoking.every((zone) => installedRoots(bundleDirectory, zone).has(zone.rootSha256)),
      ),
    'every partner trusts every revoking zone',
    options.propagationTimeoutMs,
  );
  const latencies: number[] = [];
  for (const { zone, contract } of contracts) {
    const dropped = Promise.all(
      partners.map(({ observer, bundleDirectory, zone: partner }) =>
        observer.until(
          () => installedRoots(bundleDirectory, zone).size === 0,
          `${partner.name} drops ${zone.name}`,
          options.propagationTimeoutMs,
        ),
      ),
    );
    await approverClients.get(zone.name)?.revokeRoot({
      id: contract.id,
      revocation: rootRevocationToProto(revokeRoot(zone, 'root key leaked')),
    });
    const revokedAtMs = performance.now();
    latencies.push(Math.max(0, Math.max(...(await dropped)) - revokedAtMs));
  }
  return latencies;
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
