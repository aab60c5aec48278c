import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config/load-config.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { contractRepoConfigSchema } from '../../contract-repo/contract-repo-config.js';
import { startContractRepo, type RunningContractRepo } from '../../contract-repo/start-contract-repo.js';
import { createTestZone, type TestZone } from '../support/test-zone.js';

/** A real contract repository on loopback, with a hub zone (admin, server identity) and two enrolled zones. */
export interface RepositoryFixture {
  directory: string;
  address: string;
  hub: TestZone;
  zones: { a: TestZone; b: TestZone };
  /** Writes a zone's admin SVID, key and the hub root to files (once); returns accordctl's flags for them. */
  flagsFor(zone: TestZone): Promise<string[]>;
  repo: RunningContractRepo;
  close(): Promise<void>;
}

export async function startRepositoryFixture(): Promise<RepositoryFixture> {
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
      return ['--repository', `127.0.0.1:${repo.grpcPort}`, '--ca', ca, '--cert', cert, '--key', key];
    },
    close: async () => {
      await repo.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
