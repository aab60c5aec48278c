import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { accordctlConfigKind } from '../cli/accordctl-config.js';
import { configApiVersion } from '../lib/config/load-config.js';
import type { Logger } from '../lib/log/logger.js';
import type { RunningProvider } from '../contract-provider/start-contract-provider.js';
import { startLoopbackHub, startZoneProvider } from './loopback-hub.js';
import { keepSvidInFiles, startZonePki } from './loopback-zone-pki.js';
import { startZoneService, type ZoneService } from './zone-service.js';
import type { CallerIdentity } from './zone-client.js';

/** One trust zone of the local mesh. */
export interface LocalZone {
  name: string;
  trustDomain: string;
  pkiAddress: string;
  rootsFile: string;
  /** Where the zone's provider writes the bundles of the zones it trusts. */
  bundleDirectory: string;
  /**
   * `accordctl --config` file of the zone's admin (a repository admin for zone-a, a plain
   * participant for zone-b): the repository, its roots, the admin's SVID files and the zone PKI.
   */
  adminConfigFile: string;
  service: ZoneService;
  /** The zone's demo client workload. */
  client: () => CallerIdentity;
  provider: RunningProvider;
}

export interface LocalMesh {
  directory: string;
  repositoryAddress: string;
  /** Roots of the hub zone, which the repository's certificate chains to. */
  repositoryRootsFile: string;
  zones: readonly [LocalZone, LocalZone];
  close(): Promise<void>;
}

/**
 * Starts the local mesh on 127.0.0.1 with random ports and all state under `directory`: a hub
 * PKI and the contract repository, and for zone-a and zone-b a PKI, a contract provider and a demo
 * HTTPS service. Components run in this process through the same start functions their binaries
 * use, and read the same config files and bootstrap-token files a user would write.
 */
export async function startLocalMesh(directory: string, logger: Logger): Promise<LocalMesh> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const zonePaths = ['/accord/contract-provider', '/accord/admin', '/demo/service', '/demo/client'];
    const zoneA = await startZonePki({
      directory,
      name: 'zone-a',
      trustDomain: 'zone-a.example',
      spiffePaths: zonePaths,
      logger,
    });
    closers.push(() => zoneA.pki.close());
    const zoneB = await startZonePki({
      directory,
      name: 'zone-b',
      trustDomain: 'zone-b.example',
      spiffePaths: zonePaths,
      logger,
    });
    closers.push(() => zoneB.pki.close());
    const hub = await startLoopbackHub({
      directory,
      logger,
      // zone-a's admin may propose; zone-b acts only as a participant.
      admins: ['spiffe://zone-a.example/accord/admin'],
      zones: [zoneA, zoneB],
      store: { dataDir: join(directory, 'hub', 'contract-repo', 'data') },
    });
    closers.push(() => hub.close());
    const { repositoryAddress } = hub;

    const zones: LocalZone[] = [];
    for (const zone of [zoneA, zoneB]) {
      const zoneDirectory = join(directory, zone.name);
      const bundleDirectory = join(zoneDirectory, 'bundles');
      const provider = await startZoneProvider(hub, zone, { outputDirectory: bundleDirectory }, logger);
      closers.push(() => provider.close());
      const admin = await keepSvidInFiles(zone, '/accord/admin', join(zoneDirectory, 'admin'), logger);
      closers.push(() => admin.stop());
      const adminConfigFile = join(zoneDirectory, 'admin', 'accordctl.yaml');
      await writeFile(
        adminConfigFile,
        stringifyYaml({
          apiVersion: configApiVersion,
          kind: accordctlConfigKind,
          repository: repositoryAddress,
          ca: hub.rootsFile,
          cert: basename(admin.identity.certificateFile),
          key: basename(admin.identity.privateKeyFile),
          // What accordctl login records: the console proposes with this zone root, and the zone PKI
          // timestamps every approval and revocation the admin signs.
          pki: { address: zone.pkiAddress, ca: zone.rootsFile },
        }),
      );
      const serviceSvid = await keepSvidInFiles(
        zone,
        '/demo/service',
        join(zoneDirectory, 'service'),
        logger,
      );
      closers.push(() => serviceSvid.stop());
      const clientSvid = await keepSvidInFiles(zone, '/demo/client', join(zoneDirectory, 'client'), logger);
      closers.push(() => clientSvid.stop());
      const ownRootsPem = [await readFile(zone.rootsFile, 'utf8')];
      const service = await startZoneService(
        () => ({ trustDomain: zone.trustDomain, ...serviceSvid.current(), ownRootsPem }),
        bundleDirectory,
      );
      closers.push(() => service.close());
      zones.push({
        name: zone.name,
        trustDomain: zone.trustDomain,
        pkiAddress: zone.pkiAddress,
        rootsFile: zone.rootsFile,
        bundleDirectory,
        adminConfigFile,
        service,
        client: () => ({ ...clientSvid.current(), bundleDirectory }),
        provider,
      });
    }
    const [first, second] = zones;
    if (first === undefined || second === undefined) throw new Error('the local mesh has two zones');
    return {
      directory,
      repositoryAddress,
      repositoryRootsFile: hub.rootsFile,
      zones: [first, second],
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
