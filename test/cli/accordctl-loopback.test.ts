import { join } from 'node:path';
import { ExitCode } from '../../cli/exit-codes.js';
import { startRepositoryFixture, type RepositoryFixture } from './repository-fixture.js';
import { runAccordctl, type AccordctlRun } from './run-accordctl.js';

let fixture: RepositoryFixture;

beforeAll(async () => {
  fixture = await startRepositoryFixture();
});

afterAll(async () => {
  await fixture.close();
});

function accordctl(
  argv: readonly string[],
  options: { interrupted?: AbortSignal; onStdout?: (text: string) => void } = {},
): Promise<AccordctlRun> {
  return runAccordctl(argv, { directory: fixture.directory, ...options });
}

/** Waits until `condition` holds, checking every 20 ms, for at most `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the repository holds an approval of contract `id` by `participant`. */
async function untilApprovedBy(id: string, participant: string): Promise<void> {
  const admin = await fixture.flagsFor(fixture.hub);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const shown = await accordctl(['contracts', 'show', id, ...admin, '-o', 'json']);
    const view = JSON.parse(shown.stdout) as {
      participants: { name: string; hasVerifiedApproval: boolean }[];
    };
    if (view.participants.some((entry) => entry.name === participant && entry.hasVerifiedApproval)) return;
    if (Date.now() > deadline)
      throw new Error(`contract ${id} was not approved by ${participant}: ${JSON.stringify(shown)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const participant = (zone: 'a' | 'b') =>
  `name=zone-${zone},trust-domain=zone-${zone}.example,root=${join(fixture.directory, `zone-${zone}-root.pem`)}`;

/** Proposes an A–B contract `id` as the hub admin. */
async function propose(id: string): Promise<void> {
  const proposed = await accordctl([
    'contracts',
    'propose',
    ...(await fixture.flagsFor(fixture.hub)),
    '--participant',
    participant('a'),
    '--participant',
    participant('b'),
    '--id',
    id,
    '-o',
    'json',
  ]);
  expect(proposed).toMatchObject({ code: ExitCode.ok, stderr: '' });
  expect(JSON.parse(proposed.stdout)).toMatchObject({ id, state: 'proposed' });
}

describe('accordctl against a real repository on loopback', () => {
  it('proposes as the admin, approves as both zones with one clear result each, and the contract becomes active', async () => {
    await propose('ab');
    const { a, b } = fixture.zones;
    const approvedByA = await accordctl(['contracts', 'approve', 'ab', ...(await fixture.flagsFor(a))]);
    expect(approvedByA).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(approvedByA.stdout).toMatch(
      new RegExp(
        '^contract ab approved as zone-a \\(zone-a\\.example\\); proposed: 1 of 2 approvals, waiting for zone-b\\n\\n' +
          `NAME\\s+TRUST DOMAIN\\s+APPROVED\\s+ROOT SHA-256\\nzone-a\\s+zone-a\\.example\\s+yes\\s+${a.rootSha256}\\n` +
          `zone-b\\s+zone-b\\.example\\s+no\\s+${b.rootSha256}\\n$`,
      ),
    );
    const approvedByB = await accordctl([
      'contracts',
      'approve',
      'ab',
      ...(await fixture.flagsFor(b)),
      '-o',
      'json',
    ]);
    expect(approvedByB.code).toBe(ExitCode.ok);
    expect(JSON.parse(approvedByB.stdout)).toMatchObject({
      state: 'active',
      verifiedApprovals: 2,
      isTrustEstablished: true,
    });

    const list = await accordctl(['contracts', 'list', ...(await fixture.flagsFor(a))]);
    expect(list.stdout).toMatch(/ab\s+active\s+2\/2/);
  });

  it('verifies the audit log and then only accepts a chain that extends the checkpoint', async () => {
    const admin = await fixture.flagsFor(fixture.hub);
    const first = await accordctl(['audit', 'verify', ...admin, '-o', 'json']);
    expect(first.code).toBe(ExitCode.ok);
    expect(JSON.parse(first.stdout)).toMatchObject({ isVerified: true, previousCheckpointSequence: null });
    const second = await accordctl(['audit', 'verify', ...admin, '-o', 'yaml']);
    expect(second.stdout).toMatch(/^isVerified: true\n/);
    expect(second.stdout).toContain('previousCheckpointSequence: 3\n');
  });

  it('reports the server status for a zone using an admin operation and for an unknown contract', async () => {
    const zoneA = await fixture.flagsFor(fixture.zones.a);
    const denied = await accordctl(['contracts', 'delete', 'ab', ...zoneA]);
    expect(denied).toMatchObject({ code: ExitCode.failure, stdout: '' });
    expect(denied.stderr).toMatch(/^accordctl: PERMISSION_DENIED: /);
    const missing = await accordctl(['contracts', 'show', 'nope', ...(await fixture.flagsFor(fixture.hub))]);
    expect(missing).toMatchObject({ code: ExitCode.failure, stdout: '' });
    expect(missing.stderr).toMatch(/^accordctl: NOT_FOUND: /);
  });

  it('exits 3 when nothing listens at the repository address', async () => {
    const flags = await fixture.flagsFor(fixture.hub);
    flags[1] = '127.0.0.1:1';
    const result = await accordctl(['contracts', 'list', ...flags]);
    expect(result).toMatchObject({ code: ExitCode.unreachable, stdout: '' });
    expect(result.stderr).toMatch(/^accordctl: UNAVAILABLE: /);
  });
});

describe('accordctl --wait, --pending and watch against a real repository', () => {
  it('lists only the contracts waiting for my zone', async () => {
    await propose('pending-1');
    await propose('pending-2');
    const { a, b } = fixture.zones;
    expect(
      (await accordctl(['contracts', 'approve', 'pending-1', ...(await fixture.flagsFor(a))])).code,
    ).toBe(ExitCode.ok);
    const ids = async (flags: string[]) => {
      const run = await accordctl(['contracts', 'list', '--pending', ...flags, '-o', 'json']);
      expect(run.code).toBe(ExitCode.ok);
      return (JSON.parse(run.stdout) as { id: string }[]).map((contract) => contract.id).sort();
    };
    expect(await ids(await fixture.flagsFor(a))).toEqual(['pending-2']);
    expect(await ids(await fixture.flagsFor(b))).toEqual(['pending-1', 'pending-2']);
    const admin = await accordctl([
      'contracts',
      'list',
      '--pending',
      ...(await fixture.flagsFor(fixture.hub)),
    ]);
    expect(admin).toMatchObject({
      code: ExitCode.ok,
      stdout: '',
      stderr: 'No contracts wait for the approval of hub.example.\n',
    });
  });

  it('returns from approve --wait once the other zone approved, and fails with the reason when it is revoked', async () => {
    await propose('wait-ok');
    await propose('wait-revoked');
    const { a, b } = fixture.zones;
    const waiting = accordctl(['contracts', 'approve', 'wait-ok', '--wait', ...(await fixture.flagsFor(a))]);
    const revokedWait = accordctl([
      'contracts',
      'approve',
      'wait-revoked',
      '--wait',
      ...(await fixture.flagsFor(a)),
    ]);
    // Whether B acts before or after a wait opened its stream, the snapshot or a change tells it.
    await untilApprovedBy('wait-ok', 'zone-a');
    await untilApprovedBy('wait-revoked', 'zone-a');
    expect((await accordctl(['contracts', 'approve', 'wait-ok', ...(await fixture.flagsFor(b))])).code).toBe(
      ExitCode.ok,
    );
    expect(
      (
        await accordctl([
          'contracts',
          'revoke',
          'wait-revoked',
          '--reason',
          'changed our mind',
          ...(await fixture.flagsFor(b)),
        ])
      ).code,
    ).toBe(ExitCode.ok);

    const approved = await waiting;
    expect(approved).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(approved.stdout).toMatch(
      /^contract wait-ok approved as zone-a \(zone-a\.example\); active: all 2 approvals verified\n/,
    );
    const revoked = await revokedWait;
    expect(revoked).toMatchObject({ code: ExitCode.failure, stdout: '' });
    expect(revoked.stderr).toBe(
      'accordctl: FAILED_PRECONDITION: contract wait-revoked was revoked by spiffe://zone-b.example/accord/admin: changed our mind\n',
    );
  });

  it('gives up a --wait after --timeout with exit code 5, naming the zone whose approval is missing', async () => {
    await propose('wait-timeout');
    const run = await accordctl([
      'contracts',
      'approve',
      'wait-timeout',
      '--wait',
      '--timeout',
      '1s',
      ...(await fixture.flagsFor(fixture.zones.a)),
    ]);
    expect(run).toMatchObject({ code: ExitCode.waitTimedOut, stdout: '' });
    expect(run.stderr).toBe(
      'accordctl: timed out after 1s waiting for contract wait-timeout to become active (proposed: 1 of 2 approvals, waiting for zone-b)\n',
    );
  });

  it('streams the snapshot and each change as JSON lines until interrupted', async () => {
    const interruption = new AbortController();
    let printed = '';
    const watching = accordctl(
      ['contracts', 'watch', '-o', 'json', ...(await fixture.flagsFor(fixture.hub))],
      {
        interrupted: interruption.signal,
        onStdout: (text) => (printed += text),
      },
    );
    await until(() => printed.includes('"id":"ab"'), 'the snapshot is printed');
    const snapshotLines = printed.split('\n').filter(Boolean).length;
    await propose('watched');
    await accordctl(['contracts', 'approve', 'watched', ...(await fixture.flagsFor(fixture.zones.a))]);
    await accordctl(['contracts', 'delete', 'watched', ...(await fixture.flagsFor(fixture.hub))]);
    await until(() => printed.includes('"type":"DELETED"'), 'the deletion is printed');
    interruption.abort();
    const run = await watching;
    expect(run).toMatchObject({ code: ExitCode.ok, stderr: '' });
    const lines = run.stdout
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as {
            type: string;
            object: { id: string; state?: string; verifiedApprovals?: number };
          },
      );
    expect(lines.slice(0, snapshotLines).every((line) => line.type === 'ADDED')).toBe(true);
    expect(
      lines
        .slice(snapshotLines)
        .map(({ type, object }) => [type, object.id, object.state, object.verifiedApprovals]),
    ).toEqual([
      ['ADDED', 'watched', 'proposed', 0],
      ['MODIFIED', 'watched', 'proposed', 1],
      ['DELETED', 'watched', undefined, undefined],
    ]);
  });

  it('streams lines for people under a header', async () => {
    const interruption = new AbortController();
    let printed = '';
    const watching = accordctl(['contracts', 'watch', ...(await fixture.flagsFor(fixture.zones.a))], {
      interrupted: interruption.signal,
      onStdout: (text) => (printed += text),
    });
    await until(() => printed.includes('\n'), 'the snapshot is printed');
    await propose('watched-table');
    await until(() => printed.includes('watched-table'), 'the new contract is printed');
    interruption.abort();
    const run = await watching;
    expect(run.code).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(
      /^EVENT\s+ID\s+STATE\s+APPROVED\s+PARTICIPANTS\s+REVISION\nADDED\s+ab\s+active\s+2\/2\s+zone-a,zone-b\s+\d+\n/,
    );
    expect(run.stdout).toMatch(/\nADDED\s+watched-table\s+proposed\s+0\/2\s+zone-a,zone-b\s+\d+\n$/);
  });
});
