import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode } from '../../cli/exit-codes.js';
import {
  contractRepositoryOverGrpc,
  type ContractRepositoryClient,
} from '../../lib/contract/contract-repository-client.js';
import { contractProviderSpiffePath } from '../../lib/contract/root-rotation.js';
import { createGrpcClient } from '../../lib/grpc/grpc-client.js';
import { ContractService } from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import type { TestZone } from '../support/test-zone.js';
import { startRepositoryFixture, type RepositoryFixture } from './repository-fixture.js';
import { runAccordctl, type AccordctlRun } from './run-accordctl.js';

// `accordctl root …` against real processes: a repository and both zones' PKIs over mTLS. SVIDs
// live at most 15 s, so a prepared root may sign 11 s after it was prepared (storeReloadInterval +
// 2/3 svidMaxTtl) and a replaced root retires 16 s after the activation (docs/root-rotation.md).
// The admins' certificates are issued by the zones' first roots: every step a zone takes after
// its activation fits in those 16 s. clockSkew (the back-dating of SVIDs) stays well below the
// SVID lifetime, else the PKI would renew its own serving SVID over and over.
jest.setTimeout(180_000);

let fixture: RepositoryFixture;
const providers = new Map<string, ContractRepositoryClient>();

beforeAll(async () => {
  fixture = await startRepositoryFixture({
    zonePkiSettings: { svidTtl: '15s', svidMaxTtl: '15s', clockSkew: '1s', storeReloadInterval: '1s' },
  });
  for (const id of ['ab', 'ab2']) await activeContract(id);
}, 60_000);

afterAll(async () => {
  for (const provider of providers.values()) provider.close();
  await fixture.close();
});

function accordctl(argv: readonly string[], onStderr?: (text: string) => void): Promise<AccordctlRun> {
  return runAccordctl(argv, {
    directory: fixture.directory,
    ...(onStderr === undefined ? {} : { onStderr }),
  });
}

/** Runs `accordctl root …` as `zone`'s admin, expecting success, and returns its stdout. */
async function root(zone: TestZone, argv: readonly string[]): Promise<string> {
  const run = await accordctl(['root', ...argv, ...(await fixture.flagsFor(zone))]);
  expect(run).toMatchObject({ code: ExitCode.ok, stderr: '' });
  return run.stdout;
}

async function rootRun(
  zone: TestZone,
  argv: readonly string[],
  onStderr?: (text: string) => void,
): Promise<AccordctlRun> {
  return accordctl(['root', ...argv, ...(await fixture.flagsFor(zone))], onStderr);
}

interface StatusJson {
  trustDomain: string;
  signingRootSha256: string;
  next: { rootSha256: string; sequence: number; activatableAt: string } | null;
  contracts: {
    contractId: string;
    currentRootSha256: string;
    nextRootSha256: string | null;
    isAnnounced: boolean;
    acknowledgedBy: string[];
    pendingPartners: string[];
  }[];
}

async function status(zone: TestZone): Promise<StatusJson> {
  return JSON.parse(await root(zone, ['status', '-o', 'json'])) as StatusJson;
}

/** Proposes an A–B contract as the hub admin and approves it as both zones. */
async function activeContract(id: string): Promise<void> {
  const participant = (zone: 'a' | 'b') =>
    `name=zone-${zone},trust-domain=zone-${zone}.example,root=${join(fixture.directory, `zone-${zone}-root.pem`)}`;
  const hub = await fixture.flagsFor(fixture.hub);
  const proposed = await accordctl([
    'contracts',
    'propose',
    ...hub,
    '--participant',
    participant('a'),
    '--participant',
    participant('b'),
    '--id',
    id,
  ]);
  expect(proposed.code).toBe(ExitCode.ok);
  for (const zone of [fixture.zones.a, fixture.zones.b]) {
    const approved = await accordctl(['contracts', 'approve', id, ...(await fixture.flagsFor(zone))]);
    expect(approved).toMatchObject({ code: ExitCode.ok, stderr: '' });
  }
}

/**
 * The repository as `zone`'s contract provider: what acknowledges an installed partner root (the
 * library call a provider makes after writing its bundle, contract-provider/root-acknowledger).
 */
async function providerOf(zone: TestZone): Promise<ContractRepositoryClient> {
  let provider = providers.get(zone.name);
  if (provider === undefined) {
    const svid = await zone.issue(contractProviderSpiffePath);
    provider = contractRepositoryOverGrpc(
      createGrpcClient(ContractService, fixture.address, {
        caPems: [fixture.hub.rootPem],
        certificatePem: svid.certificatePem,
        privateKeyPem: svid.privateKeyPem,
      }),
    );
    providers.set(zone.name, provider);
  }
  return provider;
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('accordctl root', () => {
  it('refuses a workload: only the zone approvers may rotate', async () => {
    const { a } = fixture.zones;
    const workload = await a.issue('/ns/shop/sa/frontend');
    const flags = await fixture.flagsFor(a);
    const certFile = join(fixture.directory, 'zone-a-workload.pem');
    const keyFile = join(fixture.directory, 'zone-a-workload-key.pem');
    await writeFile(certFile, workload.certificatePem);
    await writeFile(keyFile, workload.privateKeyPem);
    flags[flags.indexOf('--cert') + 1] = certFile;
    flags[flags.indexOf('--key') + 1] = keyFile;
    const refused = await accordctl(['root', 'prepare', ...flags]);
    expect(refused).toMatchObject({ code: ExitCode.failure, stdout: '' });
    expect(refused.stderr).toBe(
      "accordctl: PERMISSION_DENIED: spiffe://zone-a.example/ns/shop/sa/frontend may not prepare a root rotation: only the zone's designated approvers (spiffe://zone-a.example/accord/admin, spiffe://zone-a.example/accord/operator) may\n",
    );
    expect((await status(a)).next).toBeNull();
  });

  it('exits 3 when the zone PKI cannot be reached', async () => {
    const unreachable = await rootRun(fixture.zones.a, ['status', '--pki', '127.0.0.1:1']);
    expect(unreachable).toMatchObject({ code: ExitCode.unreachable, stdout: '' });
    expect(unreachable.stderr).toMatch(/^accordctl: UNAVAILABLE: /);
  });

  it('zone B: --wait times out naming the partner that has not installed the root; --force activates without it', async () => {
    const { a, b } = fixture.zones;
    const prepared = JSON.parse(await root(b, ['prepare', '-o', 'json'])) as {
      isNew: boolean;
      root: { rootSha256: string };
    };
    expect(prepared.isNew).toBe(true);
    await root(b, ['announce']);
    const timedOut = await rootRun(b, ['activate', '--wait', '--timeout', '2s']);
    const pending =
      'waiting for partners to install the prepared root: ab (zone-a.example), ab2 (zone-a.example)';
    expect(timedOut).toMatchObject({
      code: ExitCode.waitTimedOut,
      stdout: '',
      stderr: `${pending}\naccordctl: timed out after 2s: ${pending}\n`,
    });
    const forced = await rootRun(b, ['activate', '--force', '--wait', '--timeout', '60s']);
    expect(forced.code).toBe(ExitCode.ok);
    expect(forced.stdout).toMatch(
      new RegExp(
        `^Root ${prepared.root.rootSha256} of zone-b\\.example signs now \\(rotation 1\\)\\.\\n` +
          'Forced without the acknowledgement of: ab \\(zone-a\\.example\\), ab2 \\(zone-a\\.example\\); calls there fail until they install it\\.\\n' +
          `The replaced root ${b.rootSha256} stays trusted until \\S+ \\(its last certificate has expired by then\\)\\.\\n`,
      ),
    );
    const after = await status(b);
    expect(after.signingRootSha256).toBe(prepared.root.rootSha256);
    expect(after.contracts.map((contract) => contract.currentRootSha256)).toEqual([
      prepared.root.rootSha256,
      prepared.root.rootSha256,
    ]);
    expect(a.rootSha256).not.toBe(prepared.root.rootSha256);
  });

  it('zone A: prepare, announce, status, refused until zone B acknowledged, activate --wait; then cancel and emergency', async () => {
    const { a, b } = fixture.zones;
    expect(await root(a, ['status'])).toMatch(
      new RegExp(
        `^Zone zone-a\\.example\\n  signing root   ${a.rootSha256}\\n\\n` +
          'CONTRACT\\s+CURRENT ROOT\\s+NEXT ROOT\\s+ANNOUNCED\\s+ACKNOWLEDGED\\s+PENDING\\n' +
          `ab\\s+${a.rootSha256.slice(0, 16)}\\s+-\\s+-\\s+-\\s+-\\n` +
          `ab2\\s+${a.rootSha256.slice(0, 16)}\\s+-\\s+-\\s+-\\s+-\\n\\n` +
          'No root rotation is prepared \\(accordctl root prepare\\)\\.\\n$',
      ),
    );

    const prepared = await root(a, ['prepare']);
    const next = /SHA-256 {8}([0-9a-f]{64})\n/.exec(prepared)?.[1] ?? '';
    expect(prepared).toMatch(
      /^Prepared the next root of zone-a\.example \(rotation 1\):\n {2}SHA-256 {8}[0-9a-f]{64}\n {2}valid {10}\S+ to \S+\n {2}may sign from {2}\S+ \(in-zone clients learn it by then\)\nNext: accordctl root announce\n$/,
    );
    expect(await root(a, ['prepare'])).toContain(
      `Already prepared: the next root of zone-a.example (rotation 1):\n  SHA-256        ${next}\n`,
    );

    const unannounced = await rootRun(a, ['activate']);
    expect(unannounced).toMatchObject({
      code: ExitCode.failure,
      stdout: '',
      stderr:
        'accordctl: FAILED_PRECONDITION: the prepared root is not announced in contract(s) ab, ab2 (announce it first)\n',
    });

    expect(await root(a, ['announce'])).toMatch(
      new RegExp(
        `^Root ${next} of zone-a\\.example:\\nCONTRACT\\s+RESULT\\nab\\s+announced\\nab2\\s+announced\\n`,
      ),
    );
    expect(JSON.parse(await root(a, ['announce', '-o', 'json']))).toEqual({
      trustDomain: 'zone-a.example',
      rootSha256: next,
      contracts: [
        { contractId: 'ab', result: 'already-announced' },
        { contractId: 'ab2', result: 'already-announced' },
      ],
    });

    expect(await root(a, ['status'])).toMatch(
      new RegExp(
        `ab\\s+${a.rootSha256.slice(0, 16)}\\s+${next.slice(0, 16)}\\s+yes\\s+-\\s+zone-b\\.example\\n` +
          `ab2\\s+${a.rootSha256.slice(0, 16)}\\s+${next.slice(0, 16)}\\s+yes\\s+-\\s+zone-b\\.example\\n\\n` +
          'Waiting for partners to install the prepared root: ab \\(zone-b\\.example\\), ab2 \\(zone-b\\.example\\) \\(accordctl root activate --wait\\)\\.\\n$',
      ),
    );
    const refused = await rootRun(a, ['activate']);
    expect(refused).toMatchObject({
      code: ExitCode.failure,
      stdout: '',
      stderr:
        'accordctl: FAILED_PRECONDITION: partners have not installed the prepared root yet: ab (zone-b.example); ab2 (zone-b.example); calls signed by it would fail there (retry, or --force)\n',
    });

    const zoneBProvider = await providerOf(b);
    await zoneBProvider.acknowledgeRoot('ab', 'zone-a.example', next);
    const partly = await status(a);
    expect(partly.contracts).toEqual([
      {
        contractId: 'ab',
        currentRootSha256: a.rootSha256,
        isCurrentRootRevoked: false,
        nextRootSha256: next,
        isAnnounced: true,
        acknowledgedBy: ['zone-b.example'],
        pendingPartners: [],
      },
      {
        contractId: 'ab2',
        currentRootSha256: a.rootSha256,
        isCurrentRootRevoked: false,
        nextRootSha256: next,
        isAnnounced: true,
        acknowledgedBy: [],
        pendingPartners: ['zone-b.example'],
      },
    ]);

    let progress = '';
    const waiting = rootRun(a, ['activate', '--wait', '--timeout', '60s'], (text) => (progress += text));
    await until(() => progress.length > 0, '--wait reported what it waits for');
    expect(progress).toBe('waiting for partners to install the prepared root: ab2 (zone-b.example)\n');
    await zoneBProvider.acknowledgeRoot('ab2', 'zone-a.example', next);
    const activated = await waiting;
    expect(activated.code).toBe(ExitCode.ok);
    expect(activated.stdout).toMatch(
      new RegExp(
        `^Root ${next} of zone-a\\.example signs now \\(rotation 1\\)\\.\\nThe replaced root ${a.rootSha256} stays trusted until `,
      ),
    );
    // Then, unless the PKI's bound had passed already, the time it waited for.
    expect(activated.stderr).toMatch(
      /^waiting for partners to install the prepared root: ab2 \(zone-b\.example\)\n(the PKI lets the prepared root sign from \S+ \(in-zone clients learn it by then\): waiting\n)?$/,
    );
    const afterActivation = await status(a);
    expect(afterActivation).toMatchObject({ signingRootSha256: next, next: null });
    expect(afterActivation.contracts.map((contract) => contract.currentRootSha256)).toEqual([next, next]);

    // Cancel a second prepared root: it leaves the PKI and every contract it was announced in.
    const second = JSON.parse(await root(a, ['prepare', '-o', 'json'])) as { root: { rootSha256: string } };
    await root(a, ['announce']);
    expect(await root(a, ['cancel', '--reason', 'wrong key size'])).toBe(
      `Cancelled the prepared root ${second.root.rootSha256} of zone-a.example; it never signed.\n` +
        'Its revocation is posted to ab, ab2: partners drop it at their next sync.\n',
    );
    expect((await status(a)).next).toBeNull();
    const contract = await zoneBProvider.get('ab');
    expect(contract.rootRevocations.map((revocation) => [revocation.rootSha256, revocation.reason])).toEqual([
      [second.root.rootSha256, 'wrong key size'],
    ]);
    const nothing = await rootRun(a, ['cancel', '--reason', 'again']);
    expect(nothing.stderr).toBe(
      'accordctl: FAILED_PRECONDITION: no root rotation is prepared: there is nothing to cancel\n',
    );

    // A later prepare starts a new rotation: the cancelled announcement no longer counts anywhere.
    const third = JSON.parse(await root(a, ['prepare', '-o', 'json'])) as {
      root: { rootSha256: string; sequence: number };
    };
    expect(third.root.rootSha256).not.toBe(second.root.rootSha256);
    await root(a, ['announce']);
    expect((await status(a)).contracts).toMatchObject([
      { contractId: 'ab', currentRootSha256: next, isAnnounced: true, pendingPartners: ['zone-b.example'] },
      { contractId: 'ab2', currentRootSha256: next, isAnnounced: true, pendingPartners: ['zone-b.example'] },
    ]);

    // Emergency: refused without --yes (nothing is touched), then every root of zone A is revoked.
    const unconfirmed = await rootRun(a, ['emergency', '--reason', 'root key leaked']);
    expect(unconfirmed).toMatchObject({ code: ExitCode.usage, stdout: '' });
    expect(unconfirmed.stderr).toMatch(
      /^accordctl: an emergency rotation revokes every root of your zone: .* add --yes to confirm/,
    );
    expect((await status(a)).signingRootSha256).toBe(next);
    const emergency = await root(a, ['emergency', '--reason', 'root key leaked', '--yes']);
    expect(emergency).toMatch(
      /^EMERGENCY rotation of zone-a\.example: every root it held is revoked; root [0-9a-f]{64} signs now\.\nRevocations posted to ab, ab2: /,
    );
    expect(emergency).toContain(
      'Next, for each partner: approve the successor contract (accordctl contracts approve ID); until every participant has, no call between the zones succeeds.\n',
    );
    expect(await root(a, ['status'])).toMatch(
      new RegExp(
        `ab\\s+${a.rootSha256.slice(0, 16)} \\(revoked\\)\\s+-\\s+-\\s+-\\s+-\\n` +
          `ab2\\s+${a.rootSha256.slice(0, 16)} \\(revoked\\)\\s+-\\s+-\\s+-\\s+-\\n\\n` +
          'Your zone\'s root is revoked in ab, ab2: trust there comes back only through a successor contract \\(docs/root-rotation\\.md, "Recovering a zone after an emergency"\\)\\.\\n$',
      ),
    );
    const revoked = (await zoneBProvider.get('ab')).rootRevocations.map(
      (revocation) => revocation.rootSha256,
    );
    expect(revoked).toEqual(
      expect.arrayContaining([a.rootSha256, next, second.root.rootSha256, third.root.rootSha256]),
    );
  });
});
