import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ContractProvider } from '../../contract-provider/contract-provider.js';
import { DirectoryBundleWriter } from '../../contract-provider/directory-bundle-writer.js';
import { defaultMemoryFileName } from '../../contract-provider/provider-config.js';
import { FileWithdrawnContractStore } from '../../contract-provider/withdrawn-contract-store.js';
import { ProviderMetrics } from '../../contract-provider/provider-metrics.js';
import { systemTimers } from '../../lib/time/timers.js';
import { contractRepositoryOverGrpc } from '../../lib/contract/contract-repository-client.js';
import { createGrpcClient } from '../../lib/grpc/grpc-client.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { ContractService } from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { startRepositoryFixture, type RepositoryFixture } from '../cli/repository-fixture.js';
import { runAccordctl } from '../cli/run-accordctl.js';
import { waitFor } from './wait-for.js';

// The provider against the real repository's Watch over mTLS. The zone's own roots are given
// directly instead of through a PKI (GetCA is covered with the PKI's own tests).
let fixture: RepositoryFixture;
let provider: ContractProvider;
let outputDirectory: string;
const registry = new Registry();

async function accordctl(argv: string[]): Promise<number> {
  return (await runAccordctl(argv, { directory: fixture.directory })).code;
}

async function files(): Promise<string[]> {
  return (await readdir(outputDirectory)).filter((name) => !name.startsWith('.')).sort();
}

async function establish(id: string): Promise<void> {
  const root = (name: string) => join(fixture.directory, `${name}-root.pem`);
  await accordctl([
    'contracts',
    'propose',
    ...(await fixture.flagsFor(fixture.hub)),
    '--participant',
    `name=zone-a,trust-domain=zone-a.example,root=${root('zone-a')}`,
    '--participant',
    `name=zone-b,trust-domain=zone-b.example,root=${root('zone-b')}`,
    '--id',
    id,
  ]);
  await accordctl(['contracts', 'approve', id, ...(await fixture.flagsFor(fixture.zones.a))]);
}

beforeAll(async () => {
  fixture = await startRepositoryFixture();
  outputDirectory = join(fixture.directory, 'bundles');
  const { a } = fixture.zones;
  const client = createGrpcClient(ContractService, fixture.address, {
    caPems: [fixture.hub.rootPem],
    certificatePem: a.admin.certificatePem,
    privateKeyPem: a.admin.privateKeyPem,
  });
  provider = new ContractProvider({
    source: contractRepositoryOverGrpc(client),
    acknowledgeRoot: () => Promise.resolve(),
    loadOwnZone: () => Promise.resolve({ trustDomain: a.trustDomain, rootSha256s: new Set([a.rootSha256]) }),
    writer: new DirectoryBundleWriter(outputDirectory, silentLogger),
    memory: new FileWithdrawnContractStore(join(outputDirectory, defaultMemoryFileName)),
    metrics: new ProviderMetrics(registry),
    logger: silentLogger,
    clock: systemClock,
    timers: systemTimers,
    random: Math.random,
    resyncIntervalMs: 600_000,
    backoff: { initialDelayMs: 50, maxDelayMs: 200 },
  });
  provider.start();
  await waitFor(() => provider.isReady(), 15_000);
});

afterAll(async () => {
  await provider.stop();
  await fixture.close();
});

describe('contract provider against a real repository on loopback', () => {
  it('installs nothing for a contract only one zone approved, then the partner bundle once both approved', async () => {
    await establish('ab');
    await provider.whenIdle();
    expect(await files()).toEqual(['bundle-map.json']);
    await accordctl(['contracts', 'approve', 'ab', ...(await fixture.flagsFor(fixture.zones.b))]);
    await waitFor(async () => (await files()).includes('zone-b.example.pem'), 15_000);
  });

  it('removes the partner bundle after the partner revokes', async () => {
    await accordctl([
      'contracts',
      'revoke',
      'ab',
      '--reason',
      'ended',
      ...(await fixture.flagsFor(fixture.zones.b)),
    ]);
    // The writer removes a zone's files one by one, so wait for the sync to finish, not the first removal.
    await waitFor(async () => !(await files()).includes('zone-b.example.pem'), 15_000);
    await provider.whenIdle();
    expect(await files()).toEqual(['bundle-map.json']);
  });

  it('keeps the installed bundles when the repository goes away', async () => {
    await establish('ab-2');
    await accordctl(['contracts', 'approve', 'ab-2', ...(await fixture.flagsFor(fixture.zones.b))]);
    await waitFor(async () => (await files()).includes('zone-b.example.pem'), 15_000);
    await fixture.stopRepository();
    await waitFor(() => !provider.isConnected(), 15_000);
    await provider.whenIdle();
    expect(await files()).toContain('zone-b.example.pem');
    const connected = await registry.getSingleMetric('accord_provider_repository_connected')?.get();
    expect(connected?.values[0]?.value).toBe(0);
  });
});
