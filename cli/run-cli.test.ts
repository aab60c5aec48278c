import { status as GrpcStatus } from '@grpc/grpc-js';
import { errorOfStatus } from '../lib/grpc/grpc-status.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { InMemoryRepository } from '../test/cli/in-memory-repository.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import type { CliEnvironment } from './cli-environment.js';
import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';
import { ExitCode } from './exit-codes.js';
import { runCli } from './run-cli.js';

let a: TestZone;
let b: TestZone;
let c: TestZone;

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
  ]);
});

interface Harness {
  env: CliEnvironment;
  files: Map<string, string>;
  stdout: () => string;
  stderr: () => string;
}

function harness(repository: ContractRepositoryClient | Error): Harness {
  const files = new Map<string, string>([
    ['a.pem', a.rootPem],
    ['b.pem', b.rootPem],
    ['a-svid.pem', a.admin.certificatePem],
    ['a-key.pem', a.admin.privateKeyPem],
    ['b-svid.pem', b.admin.certificatePem],
    ['b-key.pem', b.admin.privateKeyPem],
    ['c-svid.pem', c.admin.certificatePem],
    ['c-key.pem', c.admin.privateKeyPem],
    ['bundles/zone-b.example.pem', b.rootPem],
    ['bundles/bundle-map.json', '{}'],
  ]);
  let out = '';
  let err = '';
  const env: CliEnvironment = {
    stdout: { write: (text) => (out += text) },
    stderr: { write: (text) => (err += text) },
    readFile: (path) => {
      const content = files.get(path);
      return content === undefined ? Promise.reject(new Error('ENOENT')) : Promise.resolve(content);
    },
    writeFileAtomic: (path, content) => {
      files.set(path, content);
      return Promise.resolve();
    },
    listDirectory: (path) =>
      Promise.resolve(
        [...files.keys()]
          .filter((name) => name.startsWith(`${path}/`))
          .map((name) => name.slice(path.length + 1)),
      ),
    connect: () => (repository instanceof Error ? Promise.reject(repository) : Promise.resolve(repository)),
    clock: new ManualClock(new Date()),
    stateDirectory: '/state',
    configPathFromEnvironment: undefined,
    version: '0.1.0',
  };
  return { env, files, stdout: () => out, stderr: () => err };
}

const global = ['--repository', '127.0.0.1:8443', '--ca', 'ca.pem'];
const asZone = (zone: string) => ['--cert', `${zone}-svid.pem`, '--key', `${zone}-key.pem`];
const participants = [
  '--participant',
  'name=zone-a,trust-domain=zone-a.example,root=a.pem',
  '--participant',
  'name=zone-b,trust-domain=zone-b.example,root=b.pem',
];

describe('runCli', () => {
  it('proposes, approves as both zones and shows the contract active with verified approvals', async () => {
    const repository = new InMemoryRepository();
    const h = harness(repository);
    expect(
      await runCli(
        ['contracts', 'propose', ...global, ...asZone('a'), ...participants, '--id', 'ab', '--approve'],
        h.env,
      ),
    ).toBe(ExitCode.ok);
    expect(h.stdout()).toContain(a.rootSha256);
    expect(await runCli(['contracts', 'approve', 'ab', ...global, ...asZone('b')], h.env)).toBe(ExitCode.ok);
    const json = harness(repository);
    expect(await runCli(['contracts', 'show', 'ab', ...global, '-o', 'json'], json.env)).toBe(ExitCode.ok);
    expect(JSON.parse(json.stdout())).toMatchObject({
      id: 'ab',
      state: 'active',
      verifiedApprovals: 2,
      isTrustEstablished: true,
    });
    expect(repository.isClosed).toBe(true);
  });

  it('refuses to approve with the certificate of a zone that is not a participant, and approves with a participant', async () => {
    const repository = new InMemoryRepository();
    const h = harness(repository);
    await runCli(['contracts', 'propose', ...global, ...participants, '--id', 'ab'], h.env);
    expect(await runCli(['contracts', 'approve', 'ab', ...global, ...asZone('c')], h.env)).toBe(
      ExitCode.failure,
    );
    expect(h.stderr()).toContain('FAILED_PRECONDITION: your certificate belongs to zone-c.example');
    expect(repository.contracts.get('ab')?.approvals).toHaveLength(0);
    expect(await runCli(['contracts', 'approve', 'ab', ...global, ...asZone('a')], h.env)).toBe(ExitCode.ok);
    expect(repository.contracts.get('ab')?.approvals).toHaveLength(1);
  });

  it('lists contracts as a table with locally verified approval counts', async () => {
    const repository = new InMemoryRepository();
    const h = harness(repository);
    await runCli(
      ['contracts', 'propose', ...global, ...asZone('a'), ...participants, '--id', 'ab', '--approve'],
      h.env,
    );
    const list = harness(repository);
    expect(await runCli(['contracts', 'list', ...global], list.env)).toBe(ExitCode.ok);
    expect(list.stdout()).toMatch(
      /^ID\s+STATE\s+APPROVED\s+PARTICIPANTS\s+REVISION\nab\s+proposed\s+1\/2\s+zone-a,zone-b\s+2\n$/,
    );
  });

  it.each([
    [GrpcStatus.UNAVAILABLE, 'UNAVAILABLE: the details', ExitCode.unreachable],
    [GrpcStatus.DEADLINE_EXCEEDED, 'UNAVAILABLE: deadline exceeded (the details)', ExitCode.unreachable],
    [GrpcStatus.PERMISSION_DENIED, 'PERMISSION_DENIED: the details', ExitCode.failure],
  ])('prints status %s with its message and no stack trace', async (code, printed, exitCode) => {
    const h = harness(errorOfStatus(code, 'the details'));
    expect(await runCli(['contracts', 'list', ...global], h.env)).toBe(exitCode);
    expect(h.stderr()).toBe(`accordctl: ${printed}\n`);
  });

  it('exits 2 on a usage error and on a root file that cannot be read', async () => {
    const h = harness(new InMemoryRepository());
    expect(await runCli(['contracts', 'list'], h.env)).toBe(ExitCode.usage);
    expect(
      await runCli(
        [
          'contracts',
          'propose',
          ...global,
          '--participant',
          'name=zone-a,trust-domain=zone-a.example,root=missing.pem',
          participants[2] ?? '',
          participants[3] ?? '',
        ],
        h.env,
      ),
    ).toBe(ExitCode.usage);
    expect(h.stderr()).toContain('cannot read missing.pem');
  });

  it('verifies the audit log, saves a checkpoint, and detects truncation and rewriting on later runs', async () => {
    const repository = new InMemoryRepository();
    const h = harness(repository);
    await runCli(
      ['contracts', 'propose', ...global, ...asZone('a'), ...participants, '--id', 'ab', '--approve'],
      h.env,
    );
    expect(await runCli(['audit', 'verify', ...global], h.env)).toBe(ExitCode.ok);
    const checkpointPath = '/state/accord/audit-checkpoint-127.0.0.1_8443.json';
    expect(JSON.parse(h.files.get(checkpointPath) ?? '{}')).toMatchObject({ sequence: 2 });

    await runCli(['contracts', 'revoke', 'ab', ...global, '--reason', 'ended'], h.env);
    expect(await runCli(['audit', 'verify', ...global], h.env)).toBe(ExitCode.ok);
    expect(JSON.parse(h.files.get(checkpointPath) ?? '{}')).toMatchObject({ sequence: 3 });

    const complete = repository.audit;
    repository.audit = complete.slice(0, 2);
    expect(await runCli(['audit', 'verify', ...global], h.env)).toBe(ExitCode.auditVerificationFailed);
    expect(h.stderr()).toContain('truncated');

    const second = complete[1];
    if (second === undefined) throw new Error('fixture has no second entry');
    repository.audit = [
      complete[0] ?? second,
      { ...second, record: new TextEncoder().encode('{"edited":true}') },
      ...complete.slice(2),
    ];
    expect(await runCli(['audit', 'verify', ...global], h.env)).toBe(ExitCode.auditVerificationFailed);
    expect(h.stderr()).toContain('entry 2');
  });

  it('shows the installed bundles with trust domain and fingerprint', async () => {
    const h = harness(new InMemoryRepository());
    expect(await runCli(['bundle', 'show', '--dir', 'bundles', '-o', 'json'], h.env)).toBe(ExitCode.ok);
    expect(JSON.parse(h.stdout())).toEqual([
      expect.objectContaining({ trustDomain: 'zone-b.example', sha256: b.rootSha256 }),
    ]);
  });

  it('says so when the directory holds no bundle, and lists the bundle once one is there', async () => {
    const h = harness(new InMemoryRepository());
    h.files.delete('bundles/zone-b.example.pem');
    expect(await runCli(['bundle', 'show', '--dir', 'bundles'], h.env)).toBe(ExitCode.ok);
    expect(h.stdout()).toBe('no trusted zones: bundles holds no bundles\n');
    const table = harness(new InMemoryRepository());
    expect(await runCli(['bundle', 'show', '--dir', 'bundles'], table.env)).toBe(ExitCode.ok);
    expect(table.stdout()).toMatch(new RegExp(`^TRUST DOMAIN.*\nzone-b\\.example\\s+${b.rootSha256}`));
  });
});

describe('runCli with an AccordctlConfig file', () => {
  const configFile = (fields: string) => `apiVersion: accord.dev/v1alpha1\nkind: AccordctlConfig\n${fields}`;
  const zoneAConfig = configFile(
    'repository: 127.0.0.1:8443\nca: ca.pem\ncert: zone-a/svid.pem\nkey: zone-a/key.pem\n',
  );

  /** A proposed A–B contract and a harness whose files include `/etc/accord/zone-a/…` and the config. */
  async function proposedWithConfig(config: string) {
    const repository = new InMemoryRepository();
    const h = harness(repository);
    await runCli(['contracts', 'propose', ...global, ...participants, '--id', 'ab'], h.env);
    h.files.set('/etc/accord/accordctl.yaml', config);
    h.files.set('/etc/accord/zone-a/svid.pem', a.admin.certificatePem);
    h.files.set('/etc/accord/zone-a/key.pem', a.admin.privateKeyPem);
    return { repository, h };
  }

  it('approves with the identity the file names, its paths read relative to the file', async () => {
    const { repository, h } = await proposedWithConfig(zoneAConfig);
    expect(
      await runCli(['contracts', 'approve', 'ab', '--config', '/etc/accord/accordctl.yaml'], h.env),
    ).toBe(ExitCode.ok);
    expect(repository.contracts.get('ab')?.approvals.map((approval) => approval.participant)).toEqual([
      'zone-a',
    ]);
  });

  it('reads $ACCORDCTL_CONFIG when --config is absent', async () => {
    const { repository, h } = await proposedWithConfig(zoneAConfig);
    const env = { ...h.env, configPathFromEnvironment: '/etc/accord/accordctl.yaml' };
    expect(await runCli(['contracts', 'approve', 'ab'], env)).toBe(ExitCode.ok);
    expect(repository.contracts.get('ab')?.approvals).toHaveLength(1);
  });

  it('lets flags win over the file', async () => {
    const { repository, h } = await proposedWithConfig(zoneAConfig);
    const args = ['contracts', 'approve', 'ab', '--config', '/etc/accord/accordctl.yaml', ...asZone('b')];
    expect(await runCli(args, h.env)).toBe(ExitCode.ok);
    expect(repository.contracts.get('ab')?.approvals.map((approval) => approval.participant)).toEqual([
      'zone-b',
    ]);
  });

  it.each([
    [
      'a different kind',
      'apiVersion: accord.dev/v1alpha1\nkind: ContractRepoConfig\n',
      /kind must be AccordctlConfig/,
    ],
    ['an unknown field', configFile('repositry: 127.0.0.1:8443\n'), /Unrecognized key: "repositry"/],
    ['a file that cannot be read', undefined, /cannot read config file \/etc\/accord\/accordctl\.yaml/],
  ])('exits 2 on %s and approves nothing', async (_, config, message) => {
    const { repository, h } = await proposedWithConfig(zoneAConfig);
    if (config === undefined) h.files.delete('/etc/accord/accordctl.yaml');
    else h.files.set('/etc/accord/accordctl.yaml', config);
    expect(
      await runCli(['contracts', 'approve', 'ab', '--config', '/etc/accord/accordctl.yaml'], h.env),
    ).toBe(ExitCode.usage);
    expect(h.stderr()).toMatch(message);
    expect(repository.contracts.get('ab')?.approvals).toHaveLength(0);
  });
});
