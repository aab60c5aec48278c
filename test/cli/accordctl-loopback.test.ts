import { join } from 'node:path';
import { nodeCliEnvironment } from '../../cli/node-cli-environment.js';
import { runCli } from '../../cli/run-cli.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { startRepositoryFixture, type RepositoryFixture } from './repository-fixture.js';

let fixture: RepositoryFixture;

beforeAll(async () => {
  fixture = await startRepositoryFixture();
});

afterAll(async () => {
  await fixture.close();
});

async function accordctl(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const env = nodeCliEnvironment({
    stdout: { write: (text) => (stdout += text) },
    stderr: { write: (text) => (stderr += text) },
    stateDirectory: join(fixture.directory, 'state'),
    configPathFromEnvironment: undefined,
    version: 'test',
  });
  const code = await runCli(argv, env);
  return { code, stdout, stderr };
}

describe('accordctl against a real repository on loopback', () => {
  it('proposes as the admin, approves as both zones, and the contract becomes active', async () => {
    const { a, b } = fixture.zones;
    const admin = await fixture.flagsFor(fixture.hub);
    const proposed = await accordctl([
      'contracts',
      'propose',
      ...admin,
      '--participant',
      `name=zone-a,trust-domain=zone-a.example,root=${join(fixture.directory, 'zone-a-root.pem')}`,
      '--participant',
      `name=zone-b,trust-domain=zone-b.example,root=${join(fixture.directory, 'zone-b-root.pem')}`,
      '--id',
      'ab',
      '-o',
      'json',
    ]);
    expect(proposed).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(JSON.parse(proposed.stdout)).toMatchObject({ id: 'ab', state: 'proposed' });

    expect((await accordctl(['contracts', 'approve', 'ab', ...(await fixture.flagsFor(a))])).code).toBe(
      ExitCode.ok,
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
    const second = await accordctl(['audit', 'verify', ...admin, '-o', 'json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ isVerified: true, previousCheckpointSequence: 3 });
  });

  it('reports the server status for a zone using an admin operation and for an unknown contract', async () => {
    const zoneA = await fixture.flagsFor(fixture.zones.a);
    const denied = await accordctl(['contracts', 'delete', 'ab', ...zoneA]);
    expect(denied.code).toBe(ExitCode.failure);
    expect(denied.stderr).toMatch(/^accordctl: PERMISSION_DENIED: /);
    const missing = await accordctl(['contracts', 'show', 'nope', ...(await fixture.flagsFor(fixture.hub))]);
    expect(missing.code).toBe(ExitCode.failure);
    expect(missing.stderr).toMatch(/^accordctl: NOT_FOUND: /);
  });

  it('exits 3 when nothing listens at the repository address', async () => {
    const flags = await fixture.flagsFor(fixture.hub);
    flags[1] = '127.0.0.1:1';
    const result = await accordctl(['contracts', 'list', ...flags]);
    expect(result.code).toBe(ExitCode.unreachable);
    expect(result.stderr).toMatch(/^accordctl: UNAVAILABLE: /);
  });
});
