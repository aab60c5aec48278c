import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { createTestZone, type TestSvid, type TestZone } from '../support/test-zone.js';
import { parseConfig } from '../../lib/config/load-config.js';
import { createGrpcClient, type GrpcClient } from '../../lib/grpc/grpc-client.js';
import { ContractService } from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import {
  contractRepoConfigSchema,
  type ContractRepoConfig,
} from '../../contract-repo/contract-repo-config.js';

/** SPIFFE ID of the repository admin in every contract-repo test. */
export const adminSpiffeId = 'spiffe://ops.example/accord/admin';

/**
 * Real certificates and files for a repository under test: a hub zone for the server identity,
 * an ops zone for the admin, and zones A, B, C with their operators; plus mTLS clients for each
 * identity.
 */
export interface ContractRepoFixture {
  readonly directory: string;
  readonly hub: TestZone;
  readonly ops: TestZone;
  readonly zoneA: TestZone;
  readonly zoneB: TestZone;
  readonly zoneC: TestZone;
  readonly admin: TestSvid;
  /** Each zone's operator SVID: a designated approver of its zone. */
  readonly svidA: TestSvid;
  readonly svidB: TestSvid;
  readonly svidC: TestSvid;
  /** A config for a repository storing in `<directory>/data`, on 127.0.0.1 port 0. */
  readonly config: ContractRepoConfig;
  /** The same as a config file writes it, for tests that parse a variant of it. */
  readonly configFields: z.input<typeof contractRepoConfigSchema>;
  /** Paths the config refers to, for a child process. */
  readonly configFile: string;
  /**
   * Writes another config file for a child process: the same identity, zones and admins with
   * `overrides` applied (e.g. `kubernetesStore` instead of `dataDir`); returns its path.
   */
  writeConfigFile(name: string, overrides: Record<string, unknown>): Promise<string>;
  client(port: number, identity: TestSvid | undefined): GrpcClient<typeof ContractService>;
  cleanup(): Promise<void>;
}

export async function createContractRepoFixture(): Promise<ContractRepoFixture> {
  const directory = await mkdtemp(join(tmpdir(), 'contract-repo-it-'));
  const [hub, ops, zoneA, zoneB, zoneC] = (await Promise.all(
    ['hub', 'ops', 'zone-a', 'zone-b', 'zone-c'].map((name) => createTestZone(name)),
  )) as [TestZone, TestZone, TestZone, TestZone, TestZone];
  const [server, admin, svidA, svidB, svidC] = await Promise.all([
    hub.issue('/accord/contract-repo'),
    ops.issue('/accord/admin'),
    zoneA.issue('/accord/operator'),
    zoneB.issue('/accord/operator'),
    zoneC.issue('/accord/operator'),
  ]);
  const file = async (name: string, content: string): Promise<string> => {
    const path = join(directory, name);
    await writeFile(path, content);
    return path;
  };
  const enrolledZones = [];
  for (const zone of [ops, zoneA, zoneB, zoneC]) {
    enrolledZones.push({
      trustDomain: zone.trustDomain,
      rootCaFile: await file(`${zone.name}-root.pem`, zone.rootPem),
    });
  }
  const configFields: z.input<typeof contractRepoConfigSchema> = {
    listen: { host: '127.0.0.1', port: 0 },
    ops: { host: '127.0.0.1', port: 0 },
    dataDir: join(directory, 'data'),
    admins: [adminSpiffeId],
    enrolledZones,
    tls: {
      certificateFile: await file('server.pem', server.certificatePem),
      privateKeyFile: await file('server-key.pem', server.privateKeyPem),
    },
    logLevel: 'warn',
  };
  const writeConfigFile = (name: string, overrides: Record<string, unknown>): Promise<string> =>
    file(
      name,
      JSON.stringify({
        apiVersion: 'accord.dev/v1alpha1',
        kind: 'ContractRepoConfig',
        ...configFields,
        ...overrides,
      }),
    );
  const configFile = await writeConfigFile('contract-repo.json', {});
  return {
    directory,
    hub,
    ops,
    zoneA,
    zoneB,
    zoneC,
    admin,
    svidA,
    svidB,
    svidC,
    config: parseConfig(contractRepoConfigSchema, configFields),
    configFields,
    configFile,
    writeConfigFile,
    client: (port, identity) =>
      createGrpcClient(ContractService, `127.0.0.1:${port}`, {
        caPems: [hub.rootPem],
        expectedServerId: 'spiffe://hub.example/accord/contract-repo',
        ...(identity === undefined
          ? {}
          : { certificatePem: identity.certificatePem, privateKeyPem: identity.privateKeyPem }),
      }),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
}
