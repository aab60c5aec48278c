import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryBundleWriter } from '../../contract-provider/directory-bundle-writer.js';
import { defaultMemoryFileName } from '../../contract-provider/provider-config.js';
import { FileWithdrawnContractStore } from '../../contract-provider/withdrawn-contract-store.js';
import { WithdrawnContracts } from '../../contract-provider/withdrawn-contracts.js';
import type { ContractEvent } from '../../lib/contract/contract-stream.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { silentLogger, type Logger } from '../../lib/log/logger.js';
import { approvedContract, revokedContract } from '../support/test-contracts.js';
import { createTestZone, type TestZone } from '../support/test-zone.js';
import { startScriptedProvider, type ScriptedProvider } from './scripted-provider.js';
import { waitFor } from './wait-for.js';

// Issue 11, item 2: a compromised repository tries to undo a revocation and to resurrect a deleted
// contract, before and after the provider restarts. A real provider (real clock and timers, the
// directory writer, the file memory) is fed by a scripted Watch stream playing the repository.

let a: TestZone;
let b: TestZone;
let c: TestZone;
let directory: string;
let outputDirectory: string;
const running: ScriptedProvider['provider'][] = [];

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
  ]);
});

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-compromised-repository-'));
  outputDirectory = join(directory, 'bundles');
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((provider) => provider.stop()));
  await rm(directory, { recursive: true, force: true });
});

/** Starts zone-a's provider on the shared directories, as a restarted process would. */
async function startProvider(): Promise<
  ScriptedProvider & { warnings: { message: string; fields: Record<string, unknown> }[] }
> {
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (message, fields = {}) => warnings.push({ message, fields }),
    child: () => logger,
  };
  const started = startScriptedProvider({
    ownZone: a,
    writer: new DirectoryBundleWriter(outputDirectory, silentLogger),
    memory: new FileWithdrawnContractStore(join(outputDirectory, defaultMemoryFileName)),
    logger,
  });
  running.push(started.provider);
  await waitFor(() => started.source.streams.length === 1, 15_000);
  return { ...started, warnings };
}

/** The partner trust domains zone-a holds a bundle for. */
async function trusted(): Promise<string[]> {
  return (await readdir(outputDirectory))
    .filter((name) => name.endsWith('.pem'))
    .map((name) => name.slice(0, -'.pem'.length))
    .sort();
}

async function settled(provider: ScriptedProvider['provider'], expected: string[]): Promise<void> {
  await waitFor(
    async () => provider.isReady() && JSON.stringify(await trusted()) === JSON.stringify(expected),
    15_000,
  );
  await provider.whenIdle();
  expect(await trusted()).toEqual(expected);
}

function snapshot(...contracts: TrustContract[]): ContractEvent {
  return { kind: 'snapshot', contracts: contracts.map((contract) => ({ id: contract.id, contract })) };
}

function change(contract: TrustContract): ContractEvent {
  return { kind: 'change', contract: { id: contract.id, contract } };
}

async function remembered(): Promise<string[]> {
  const text = await readFile(join(outputDirectory, defaultMemoryFileName), 'utf8');
  return WithdrawnContracts.parse(text, 'memory')
    .entries()
    .map((entry) => `${entry.contractId} ${entry.withdrawal}`)
    .sort();
}

async function rejectedCount(registry: ScriptedProvider['registry'], reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('accord_provider_rejected_contracts_total')?.get();
  return metric?.values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

describe('a provider fed by a compromised repository', () => {
  it('never trusts a revoked or deleted contract again, across streams and a restart, and trusts a new contract', async () => {
    const ab = await approvedContract('ab', [a, b]);
    const ac = await approvedContract('ac', [a, c]);

    // The genuine path: both contracts are active, zone-a trusts zone-b and zone-c.
    const first = await startProvider();
    first.source.current.send(snapshot(ab, ac));
    await settled(first.provider, [b.trustDomain, c.trustDomain]);

    // zone-b revokes ab (signed), and the admin deletes ac: both bundles go.
    first.source.current.send(change(await revokedContract(ab, b, 'ended by zone-b')));
    first.source.current.send({ kind: 'deleted', id: ac.id, terms: ac });
    await settled(first.provider, []);
    expect(await remembered()).toEqual(['ab revoked', 'ac deleted']);

    // Attack: a new Watch stream whose snapshot serves both again as active, revocation dropped.
    first.provider.resync();
    await waitFor(() => first.source.streams.length === 2, 15_000);
    first.source.current.send(snapshot(ab, ac));
    await waitFor(async () => (await rejectedCount(first.registry, 'WithdrawnEarlier')) === 2, 15_000);
    await settled(first.provider, []);
    expect(first.warnings.filter((warning) => warning.fields.reason === 'WithdrawnEarlier')).toHaveLength(2);

    // Attack after a restart: the memory is read back from disk before the first snapshot.
    await first.provider.stop();
    const second = await startProvider();
    second.source.current.send(snapshot(ab, ac));
    await waitFor(async () => (await rejectedCount(second.registry, 'WithdrawnEarlier')) === 2, 15_000);
    await settled(second.provider, []);

    // Trust comes back only through a new contract with fresh approvals (here under the same id).
    const renewed = await approvedContract('ab', [a, b]);
    second.source.current.send(change(renewed));
    await settled(second.provider, [b.trustDomain]);
  });

  it('keeps refusing when the repository serves a revoked contract with a forged revocation and then as active', async () => {
    const ab = await approvedContract('ab', [a, b]);
    const { provider, source, warnings, registry } = await startProvider();
    source.current.send(snapshot(ab));
    await settled(provider, [b.trustDomain]);
    const revoked = await revokedContract(ab, b, 'ended');
    source.current.send(
      change({ ...revoked, revocation: revoked.revocation && { ...revoked.revocation, reason: 'forged' } }),
    );
    await settled(provider, []);
    expect(warnings.map((warning) => warning.fields.reason)).toContain('RevocationInvalid');
    source.current.send(change(ab));
    await waitFor(async () => (await rejectedCount(registry, 'WithdrawnEarlier')) === 1, 15_000);
    await settled(provider, []);
    expect(await remembered()).toEqual(['ab revoked']);
  });
});
