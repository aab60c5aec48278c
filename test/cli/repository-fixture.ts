import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { accordctlConfigKind } from '../../cli/accordctl-config.js';
import { configApiVersion, parseConfig } from '../../lib/config/load-config.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { contractRepoConfigSchema } from '../../contract-repo/contract-repo-config.js';
import { startContractRepo, type RunningContractRepo } from '../../contract-repo/start-contract-repo.js';
import { startTestZonePki, type TestZonePki } from '../support/test-zone-pki.js';
import { createTestZone, type TestZone } from '../support/test-zone.js';

/** A real contract repository on loopback, with a hub zone (admin, server identity) and two enrolled zones. */
export interface RepositoryFixture {
  directory: string;
  address: string;
  hub: TestZone;
  zones: { a: TestZone; b: TestZone };
  /**
   * Writes a zone's admin SVID, key and the hub root to files (once); returns accordctl's flags for
   * them. For zone-a and zone-b also `--config` with `pki:`, their real zone PKI (started once),
   * which timestamps what their admin signs.
   */
  flagsFor(zone: TestZone): Promise<string[]>;
  repo: RunningContractRepo;
  /** Stops the repository (once), e.g. to test an outage; `close` stops what is left. */
  stopRepository(): Promise<void>;
  close(): Promise<void>;
}

/** How the fixture's zone PKIs are configured. */
export interface RepositoryFixtureOptions {
  /** PKI config settings of zone-a and zone-b (`startTestZonePki`), e.g. short SVID lifetimes for root rotations. */
  readonly zonePkiSettings?: Readonly<Record<string, string>>;
}

export async function startRepositoryFixture(
  options: RepositoryFixtureOptions = {},
): Promise<RepositoryFixture> {
  const directory = await mkdtemp(join(tmpdir(), 'accord-cli-e2e-'));
  const [hub, a, b] = await Promise.all([
    createTestZone('hub'),
    createTestZone('zone-a'),
    createTestZone('zone-b'),
  ]);
  const server = await hub.issue('/accord/contract-repo');
  const file = async (name: string, content: string) => {
    const path = join(directory, name);
    await writeFile(path, content);
    return path;
  };
  const config = parseConfig(contractRepoConfigSchema, {
    listen: { host: '127.0.0.1', port: 0 },
    ops: { host: '127.0.0.1', port: 0 },
    dataDir: join(directory, 'data'),
    admins: ['spiffe://hub.example/accord/admin'],
    enrolledZones: await Promise.all(
      [hub, a, b].map(async (zone) => ({
        trustDomain: zone.trustDomain,
        rootCaFile: await file(`${zone.name}-root.pem`, zone.rootPem),
      })),
    ),
    tls: {
      certificateFile: await file('repo.pem', server.certificatePem),
      privateKeyFile: await file('repo-key.pem', server.privateKeyPem),
    },
  });
  const repo = await startContractRepo(config, silentLogger, systemClock);
  const caFile = file('hub-root.pem', hub.rootPem);
  const flags = new Map<string, Promise<[string, string, string]>>();
  const pkis = new Map<string, Promise<TestZonePki>>();
  let repoStopped: Promise<void> | undefined;
  const stopRepository = () => (repoStopped ??= repo.close());
  const pkiConfigs = new Map<string, Promise<string>>();
  const pkiConfigOf = (zone: TestZone): Promise<string> => {
    let config = pkiConfigs.get(zone.name);
    if (config === undefined) {
      const pki = startTestZonePki(zone, directory, options.zonePkiSettings);
      pkis.set(zone.name, pki);
      config = pki.then(({ address, rootsFile }) =>
        file(
          `${zone.name}-accordctl.yaml`,
          stringifyYaml({
            apiVersion: configApiVersion,
            kind: accordctlConfigKind,
            pki: { address, ca: rootsFile },
          }),
        ),
      );
      pkiConfigs.set(zone.name, config);
    }
    return config;
  };
  return {
    directory,
    address: `127.0.0.1:${repo.grpcPort}`,
    hub,
    zones: { a, b },
    repo,
    flagsFor: async (zone) => {
      // Written once: concurrent runs must never read a file while it is being rewritten.
      let files = flags.get(zone.name);
      if (files === undefined) {
        files = Promise.all([
          caFile,
          file(`${zone.name}-svid.pem`, zone.admin.certificatePem),
          file(`${zone.name}-key.pem`, zone.admin.privateKeyPem),
        ]);
        flags.set(zone.name, files);
      }
      const [ca, cert, key] = await files;
      const connection = [
        '--repository',
        `127.0.0.1:${repo.grpcPort}`,
        '--ca',
        ca,
        '--cert',
        cert,
        '--key',
        key,
      ];
      return zone === hub ? connection : [...connection, '--config', await pkiConfigOf(zone)];
    },
    stopRepository,
    close: async () => {
      for (const pki of pkis.values()) await (await pki).close();
      await stopRepository();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
