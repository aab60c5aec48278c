import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Registry } from 'prom-client';
import { stringify as stringifyYaml } from 'yaml';
import { accordctlConfigKind } from '../../cli/accordctl-config.js';
import { configApiVersion, parseConfig } from '../../lib/config/load-config.js';
import { writeFileAtomic } from '../../lib/fs/atomic-write.js';
import { SvidSource, type SvidSnapshot } from '../../lib/identity/svid-source.js';
import type { Logger } from '../../lib/log/logger.js';
import { errorMessage } from '../../lib/errors/accord-error.js';
import { systemClock } from '../../lib/time/clock.js';
import { pkiConfigSchema } from '../../pki/pki-config.js';
import { rootsFileName, startPkiServer, type RunningPki } from '../../pki/pki-server.js';
import { contractRepoConfigSchema } from '../../contract-repo/contract-repo-config.js';
import { startContractRepo } from '../../contract-repo/start-contract-repo.js';
import { providerConfigSchema } from '../../contract-provider/provider-config.js';
import {
  startContractProvider,
  type RunningProvider,
} from '../../contract-provider/start-contract-provider.js';
import { startZoneService, type ZoneService } from './zone-service.js';
import type { CallerIdentity } from './zone-client.js';

/** An identity's SVID and key files, kept current as the SVID renews. */
interface IdentityFiles {
  certificateFile: string;
  privateKeyFile: string;
}

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
   * participant for zone-b): the repository, its roots and the admin's SVID files.
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

const hubTrustDomain = 'hub.example';

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
    const hub = await startZonePki(directory, 'hub', hubTrustDomain, ['/accord/contract-repo'], logger);
    closers.push(() => hub.pki.close());
    const repoTls = await keepSvidInFiles(
      hub,
      '/accord/contract-repo',
      join(directory, 'hub', 'contract-repo'),
      logger,
    );
    closers.push(() => repoTls.stop());

    const zonePaths = ['/accord/contract-provider', '/accord/admin', '/demo/service', '/demo/client'];
    const zoneA = await startZonePki(directory, 'zone-a', 'zone-a.example', zonePaths, logger);
    closers.push(() => zoneA.pki.close());
    const zoneB = await startZonePki(directory, 'zone-b', 'zone-b.example', zonePaths, logger);
    closers.push(() => zoneB.pki.close());

    const repository = await startContractRepo(
      parseConfig(contractRepoConfigSchema, {
        listen: { port: 0 },
        ops: { port: 0 },
        dataDir: join(directory, 'hub', 'contract-repo', 'data'),
        // zone-a's admin may propose; zone-b acts only as a participant.
        admins: ['spiffe://zone-a.example/accord/admin'],
        enrolledZones: [zoneA, zoneB].map((zone) => ({
          trustDomain: zone.trustDomain,
          rootCaFile: zone.rootsFile,
        })),
        tls: {
          certificateFile: repoTls.identity.certificateFile,
          privateKeyFile: repoTls.identity.privateKeyFile,
        },
      }),
      logger.child({ component: 'contract-repo' }),
      systemClock,
    );
    closers.push(() => repository.close());
    const repositoryAddress = `127.0.0.1:${repository.grpcPort}`;

    const zones: LocalZone[] = [];
    for (const zone of [zoneA, zoneB]) {
      const zoneDirectory = join(directory, zone.name);
      const bundleDirectory = join(zoneDirectory, 'bundles');
      const provider = await startContractProvider(
        parseConfig(providerConfigSchema, {
          repositoryAddress,
          repositoryCaFile: hub.rootsFile,
          repositoryServerId: `spiffe://${hubTrustDomain}/accord/contract-repo`,
          pkiAddress: zone.pkiAddress,
          pkiCaFile: zone.rootsFile,
          bootstrapTokenFile: zone.tokenFile('/accord/contract-provider'),
          outputDirectory: bundleDirectory,
          ops: { port: 0 },
        }),
        {
          logger: logger.child({ component: 'contract-provider', zone: zone.name }),
          registry: new Registry(),
          clock: systemClock,
        },
      );
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

interface StartedZonePki {
  name: string;
  trustDomain: string;
  pki: RunningPki;
  pkiAddress: string;
  rootsFile: string;
  /** The bootstrap-token file of a SPIFFE ID path this PKI was configured with. */
  tokenFile(spiffePath: string): string;
  token(spiffePath: string): string;
}

/** Starts a zone PKI with one fresh bootstrap token per SPIFFE ID path; the tokens go to 0600 files. */
async function startZonePki(
  directory: string,
  name: string,
  trustDomain: string,
  spiffePaths: readonly string[],
  logger: Logger,
): Promise<StartedZonePki> {
  const tokensDirectory = join(directory, name, 'bootstrap-tokens');
  await mkdir(tokensDirectory, { recursive: true, mode: 0o700 });
  const tokens = new Map(spiffePaths.map((path) => [path, randomBytes(24).toString('base64url')]));
  const tokenFile = (path: string) => join(tokensDirectory, `${path.replaceAll('/', '_').slice(1)}.token`);
  for (const [path, token] of tokens) await writeFile(tokenFile(path), `${token}\n`, { mode: 0o600 });
  const storeDir = join(directory, name, 'pki');
  const pki = await startPkiServer(
    parseConfig(pkiConfigSchema, {
      trustDomain,
      storeDir,
      listen: { port: 0 },
      ops: { port: 0 },
      bootstrapTokens: [...tokens].map(([spiffePath, token]) => ({
        tokenSha256: createHash('sha256').update(token).digest('hex'),
        spiffePath,
      })),
    }),
    { clock: systemClock, logger: logger.child({ component: 'pki', zone: name }), registry: new Registry() },
  );
  return {
    name,
    trustDomain,
    pki,
    pkiAddress: `127.0.0.1:${pki.grpcPort}`,
    rootsFile: join(storeDir, rootsFileName),
    tokenFile,
    token: (path) => {
      const token = tokens.get(path);
      if (token === undefined) throw new Error(`no bootstrap token for ${path}`);
      return token;
    },
  };
}

interface SvidFiles {
  identity: IdentityFiles;
  current(): { certificatePem: string; privateKeyPem: string };
  stop(): void;
}

/**
 * Obtains an SVID with the path's bootstrap token and keeps `svid.pem` / `key.pem` current as
 * it renews, the way a workload's identity volume would be.
 */
async function keepSvidInFiles(
  zone: StartedZonePki,
  spiffePath: string,
  directory: string,
  logger: Logger,
): Promise<SvidFiles> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const identity = {
    certificateFile: join(directory, 'svid.pem'),
    privateKeyFile: join(directory, 'key.pem'),
  };
  const write = async (svid: SvidSnapshot) => {
    await writeFileAtomic(identity.privateKeyFile, svid.privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(identity.certificateFile, svid.certificatePem);
  };
  const source = new SvidSource({
    pkiAddress: zone.pkiAddress,
    pkiRootsPem: [await readFile(zone.rootsFile, 'utf8')],
    bootstrapToken: zone.token(spiffePath),
    clock: systemClock,
    logger: logger.child({ component: 'svid', zone: zone.name, spiffePath }),
  });
  await write(await source.start());
  const unsubscribe = source.onUpdate((svid) => {
    write(svid).catch((error: unknown) =>
      logger.warn('renewed svid not written', { spiffePath, directory, error: errorMessage(error) }),
    );
  });
  return {
    identity,
    current: () => source.current(),
    stop: () => {
      unsubscribe();
      source.stop();
    },
  };
}
