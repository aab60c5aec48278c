import { status as GrpcStatus } from '@grpc/grpc-js';
import { errorOfStatus } from '../lib/grpc/grpc-status.js';
import { inMemoryCli } from '../test/cli/in-memory-cli.js';
import { InMemoryRepository } from '../test/cli/in-memory-repository.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import { accordctlProgram } from './accordctl-program.js';
import { ExitCode } from './exit-codes.js';
import { kubectlArgv, runCli } from './run-cli.js';

let a: TestZone;
let b: TestZone;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
});

const connection = ['--repository', '127.0.0.1:8443', '--ca', 'a.pem'];
/** A zone's admin: its SVID and key, and its zone PKI (which timestamps what the admin signs). */
const asZone = (zone: string) => [
  '--cert',
  `${zone}-svid.pem`,
  '--key',
  `${zone}-key.pem`,
  '--pki',
  `pki.zone-${zone}.example:8443`,
  '--pki-ca',
  `${zone}.pem`,
];
const participants = [
  '--participant',
  'name=zone-a,trust-domain=zone-a.example,root=a.pem',
  '--participant',
  'name=zone-b,trust-domain=zone-b.example,root=b.pem',
];

function cli(repository: InMemoryRepository | Error = new InMemoryRepository()) {
  return inMemoryCli(repository, [a, b]);
}

describe('accordctl command line', () => {
  it.each([
    [
      ['contract', '--help'],
      "unknown command 'contract'\n(Did you mean contracts?)\nRun 'accordctl --help' for usage.",
    ],
    [['contract'], "unknown command 'contract'\n(Did you mean contracts?)"],
    [
      ['contracts', 'aprove', 'ab'],
      "unknown command 'aprove'\n(Did you mean approve?)\nRun 'accordctl contracts --help'",
    ],
    [['contracts', 'lsit', '--help'], "unknown command 'lsit'\n(Did you mean list?)"],
    [
      ['contracts', 'approve', 'ab', '--wiat'],
      "unknown option '--wiat'\n(Did you mean --wait?)\nRun 'accordctl contracts approve --help'",
    ],
    [['contracts', 'approve'], "missing required argument 'id'"],
    [['contracts', 'list', 'extra'], 'too many arguments'],
    [
      ['contracts', 'list', '-o', 'xml'],
      "option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are table, json, yaml.",
    ],
    [
      ['contracts', 'approve', 'ab', '--wait', '--timeout', '60'],
      `option '--timeout <duration>' argument '60' is invalid. "60" is not a duration: use a number and a unit, e.g. 30s`,
    ],
    [
      ['contracts', 'propose', '--participant', 'name=zone-a'],
      `option '--participant <spec>' argument 'name=zone-a' is invalid. --participant "name=zone-a" is missing trust-domain=`,
    ],
    [
      ['contracts', 'list', '--pending', '--state', 'active'],
      "option '--pending' cannot be used with option '--state <state>'",
    ],
    [['bundle', 'show', '--repository', 'x:1', '--dir', 'd'], "unknown option '--repository'"],
    [['bundle', 'show'], "required option '--dir <dir>' not specified"],
    [
      ['completion', 'fish'],
      "command-argument value 'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh.",
    ],
  ])('rejects %j with exit code 2, the reason on stderr and nothing on stdout', async (argv, message) => {
    const h = cli();
    expect(await runCli(argv, h.env)).toBe(ExitCode.usage);
    expect(h.stderr()).toContain(`accordctl: ${message}`);
    expect(h.stdout()).toBe('');
  });

  it.each([[[]], [['contracts']], [['audit']]])(
    'prints the help on stdout with exit code 0 for %j, a group without a command, as kubectl',
    async (argv) => {
      const h = cli();
      expect(await runCli(argv, h.env)).toBe(ExitCode.ok);
      expect(h.stdout()).toMatch(
        new RegExp(`^Usage: ${['accordctl', ...argv].join(' ')} \\[options\\] \\[command\\]`),
      );
      expect(h.stderr()).toBe('');
    },
  );

  it('lists each command with only the flags it uses', async () => {
    const bundle = cli();
    expect(await runCli(['bundle', 'show', '--help'], bundle.env)).toBe(ExitCode.ok);
    expect(bundle.stdout()).toMatch(/^Usage: accordctl bundle show \[options\]/);
    expect(bundle.stdout()).toContain('--dir <dir>');
    for (const unused of ['--repository', '--cert', '--key', '--ca', '--config', '--wait'])
      expect(bundle.stdout()).not.toContain(unused);

    const approve = cli();
    expect(await runCli(['contracts', 'approve', '--help'], approve.env)).toBe(ExitCode.ok);
    for (const used of [
      '<id>',
      '--wait',
      '--timeout <duration>',
      '--repository',
      '--cert',
      '--key',
      '--ca',
      '--config',
    ])
      expect(approve.stdout()).toContain(used);
    for (const unused of ['--participant', '--reason', '--dir', '--pending'])
      expect(approve.stdout()).not.toContain(unused);
  });

  it('shows the commands, and the exit codes, in the overview', async () => {
    const h = cli();
    expect(await runCli(['--help'], h.env)).toBe(ExitCode.ok);
    for (const command of ['contracts', 'audit', 'bundle', 'login', 'completion', 'version'])
      expect(h.stdout()).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(h.stdout()).not.toContain('__complete');
    expect(h.stdout()).toContain('5 --wait timed out');
    const viaHelp = cli();
    expect(await runCli(['help', 'contracts'], viaHelp.env)).toBe(ExitCode.ok);
    expect(viaHelp.stdout()).toMatch(/^Usage: accordctl contracts/);
  });

  it.each([
    [['version'], 'accordctl 0.1.0\n'],
    [['--version'], 'accordctl 0.1.0\n'],
    [['version', '-o', 'json'], '{\n  "version": "0.1.0"\n}\n'],
    [['version', '-o', 'yaml'], 'version: 0.1.0\n'],
  ])('prints the version for %j', async (argv, printed) => {
    const h = cli();
    expect(await runCli(argv, h.env)).toBe(ExitCode.ok);
    expect(h.stdout()).toBe(printed);
  });

  it('drops the help flag only after a word that names no command, and asks a group without a command for help', () => {
    const program = accordctlProgram(cli().env);
    expect(kubectlArgv(program, ['contract', '--help'])).toEqual(['contract']);
    expect(kubectlArgv(program, ['contracts', 'list', '--help'])).toEqual(['contracts', 'list', '--help']);
    expect(kubectlArgv(program, ['contracts', 'show', 'nope', '-h'])).toEqual([
      'contracts',
      'show',
      'nope',
      '-h',
    ]);
    expect(kubectlArgv(program, ['help', 'contracts'])).toEqual(['help', 'contracts']);
    expect(kubectlArgv(program, [])).toEqual(['--help']);
    expect(kubectlArgv(program, ['contracts'])).toEqual(['contracts', '--help']);
    expect(kubectlArgv(program, ['--version'])).toEqual(['--version']);
  });
});

describe('accordctl errors', () => {
  it.each([
    [GrpcStatus.UNAVAILABLE, 'UNAVAILABLE: the details', ExitCode.unreachable],
    [GrpcStatus.DEADLINE_EXCEEDED, 'UNAVAILABLE: deadline exceeded (the details)', ExitCode.unreachable],
    [GrpcStatus.PERMISSION_DENIED, 'PERMISSION_DENIED: the details', ExitCode.failure],
  ])(
    'prints status %s with its message, no stack trace and nothing on stdout',
    async (code, printed, exitCode) => {
      const h = cli(errorOfStatus(code, 'the details'));
      expect(await runCli(['contracts', 'list', ...connection], h.env)).toBe(exitCode);
      expect(h.stderr()).toBe(`accordctl: ${printed}\n`);
      expect(h.stdout()).toBe('');
    },
  );

  it('exits 2 naming the missing connection flag, and on a root file that cannot be read', async () => {
    const h = cli();
    expect(await runCli(['contracts', 'list'], h.env)).toBe(ExitCode.usage);
    expect(h.stderr()).toBe(
      'accordctl: --repository is required (or repository: in the config file, see accordctl login)\n' +
        "Run 'accordctl contracts list --help' for usage.\n",
    );
    const missing = cli();
    const argv = [
      'contracts',
      'propose',
      ...connection,
      ...participants.slice(0, 3),
      'name=zone-b,trust-domain=zone-b.example,root=missing.pem',
    ];
    expect(await runCli(argv, missing.env)).toBe(ExitCode.usage);
    expect(missing.stderr()).toContain('cannot read missing.pem');
  });
});

describe('accordctl consent', () => {
  it.each([
    ['approve', ['contracts', 'approve', 'ab']],
    ['revoke', ['contracts', 'revoke', 'ab', '--reason', 'ended']],
  ])(
    'refuses to %s without the zone PKI that timestamps the signature, and sends nothing',
    async (why, argv) => {
      const repository = new InMemoryRepository();
      const h = cli(repository);
      await runCli(['contracts', 'propose', ...connection, ...participants, '--id', 'ab'], h.env);
      const withoutPki = [...argv, ...connection, '--cert', 'a-svid.pem', '--key', 'a-key.pem'];
      expect(await runCli(withoutPki, h.env)).toBe(ExitCode.usage);
      expect(h.stderr()).toContain(
        `--pki and --pki-ca are required to ${why}: your zone PKI timestamps what you sign (or pki: in the config file, see accordctl login)`,
      );
      expect(repository.contracts.get('ab')).toMatchObject({ state: 'proposed', approvals: [] });
    },
  );

  it('revokes with a signed revocation the repository can verify, as the caller zone', async () => {
    const repository = new InMemoryRepository();
    const h = cli(repository);
    await runCli(['contracts', 'propose', ...connection, ...participants, '--id', 'ab'], h.env);
    const argv = ['contracts', 'revoke', 'ab', ...connection, ...asZone('b'), '--reason', 'ended'];
    expect(await runCli(argv, h.env)).toBe(ExitCode.ok);
    expect(repository.contracts.get('ab')?.revocation).toMatchObject({
      revokedBy: 'spiffe://zone-b.example/accord/admin',
      reason: 'ended',
      signed: { participant: 'zone-b' },
    });
  });
});

describe('accordctl audit verify', () => {
  it('verifies the audit log, saves a checkpoint, and detects truncation and rewriting on later runs', async () => {
    const repository = new InMemoryRepository();
    const h = cli(repository);
    await runCli(
      ['contracts', 'propose', ...connection, ...asZone('a'), ...participants, '--id', 'ab', '--approve'],
      h.env,
    );
    expect(await runCli(['audit', 'verify', ...connection], h.env)).toBe(ExitCode.ok);
    const checkpointPath = '/state/accord/audit-checkpoint-127.0.0.1_8443.json';
    expect(JSON.parse(h.files.get(checkpointPath) ?? '{}')).toMatchObject({ sequence: 2 });

    await runCli(['contracts', 'revoke', 'ab', ...connection, ...asZone('a'), '--reason', 'ended'], h.env);
    expect(await runCli(['audit', 'verify', ...connection], h.env)).toBe(ExitCode.ok);
    expect(JSON.parse(h.files.get(checkpointPath) ?? '{}')).toMatchObject({ sequence: 3 });

    const complete = repository.audit;
    repository.audit = complete.slice(0, 2);
    expect(await runCli(['audit', 'verify', ...connection], h.env)).toBe(ExitCode.auditVerificationFailed);
    expect(h.stderr()).toContain('truncated');

    const second = complete[1];
    if (second === undefined) throw new Error('fixture has no second entry');
    repository.audit = [
      complete[0] ?? second,
      { ...second, record: new TextEncoder().encode('{"edited":true}') },
      ...complete.slice(2),
    ];
    expect(await runCli(['audit', 'verify', ...connection], h.env)).toBe(ExitCode.auditVerificationFailed);
    expect(h.stderr()).toContain('entry 2');
  });
});

describe('accordctl bundle show', () => {
  it('shows the installed bundles with trust domain and fingerprint, as a table and as JSON', async () => {
    const h = cli();
    h.files.set('bundles/zone-b.example.pem', b.rootPem);
    h.files.set('bundles/bundle-map.json', '{}');
    expect(await runCli(['bundle', 'show', '--dir', 'bundles', '-o', 'json'], h.env)).toBe(ExitCode.ok);
    expect(JSON.parse(h.stdout())).toEqual([
      expect.objectContaining({ trustDomain: 'zone-b.example', sha256: b.rootSha256 }),
    ]);
    const table = cli();
    table.files.set('bundles/zone-b.example.pem', b.rootPem);
    expect(await runCli(['bundle', 'show', '--dir', 'bundles'], table.env)).toBe(ExitCode.ok);
    expect(table.stdout()).toMatch(new RegExp(`^TRUST DOMAIN.*\nzone-b\\.example\\s+${b.rootSha256}`));
  });

  it('says so on stderr, with nothing on stdout, when the directory holds no bundle', async () => {
    const h = cli();
    h.files.set('bundles/bundle-map.json', '{}');
    expect(await runCli(['bundle', 'show', '--dir', 'bundles'], h.env)).toBe(ExitCode.ok);
    expect(h.stdout()).toBe('');
    expect(h.stderr()).toBe('No trusted zones: bundles holds no bundles.\n');
  });
});

describe('accordctl with an AccordctlConfig file', () => {
  const configFile = (fields: string) => `apiVersion: accord.dev/v1alpha1\nkind: AccordctlConfig\n${fields}`;
  const zoneAConfig = configFile(
    'repository: 127.0.0.1:8443\nca: ca.pem\ncert: zone-a/svid.pem\nkey: zone-a/key.pem\npki: { address: pki.zone-a.example:8443, ca: ca.pem }\n',
  );

  /** A proposed A–B contract and an environment whose files include `/etc/accord/zone-a/…` and the config. */
  async function proposedWithConfig(config: string, path = '/etc/accord/accordctl.yaml') {
    const repository = new InMemoryRepository();
    const h = cli(repository);
    await runCli(['contracts', 'propose', ...connection, ...participants, '--id', 'ab'], h.env);
    h.files.set(path, config);
    h.files.set('/etc/accord/zone-a/svid.pem', a.admin.certificatePem);
    h.files.set('/etc/accord/zone-a/key.pem', a.admin.privateKeyPem);
    h.files.set('/etc/accord/ca.pem', a.rootPem);
    return { repository, h };
  }

  const approvers = (repository: InMemoryRepository) =>
    repository.contracts.get('ab')?.approvals.map((approval) => approval.participant);

  it('approves with the identity the file names, its paths read relative to the file', async () => {
    const { repository, h } = await proposedWithConfig(zoneAConfig);
    expect(
      await runCli(['contracts', 'approve', 'ab', '--config', '/etc/accord/accordctl.yaml'], h.env),
    ).toBe(ExitCode.ok);
    expect(approvers(repository)).toEqual(['zone-a']);
  });

  it('reads $ACCORDCTL_CONFIG when --config is absent', async () => {
    const { repository, h } = await proposedWithConfig(zoneAConfig);
    const env = { ...h.env, configPathFromEnvironment: '/etc/accord/accordctl.yaml' };
    expect(await runCli(['contracts', 'approve', 'ab'], env)).toBe(ExitCode.ok);
    expect(approvers(repository)).toEqual(['zone-a']);
  });

  it('reads the default file ~/.config/accord/accordctl.yaml when neither is given', async () => {
    const { repository, h } = await proposedWithConfig(
      configFile(
        'repository: 127.0.0.1:8443\nca: /etc/accord/ca.pem\ncert: /etc/accord/zone-a/svid.pem\nkey: /etc/accord/zone-a/key.pem\n' +
          'pki: { address: pki.zone-a.example:8443, ca: /etc/accord/ca.pem }\n',
      ),
      '/config/accord/accordctl.yaml',
    );
    expect(await runCli(['contracts', 'approve', 'ab'], h.env)).toBe(ExitCode.ok);
    expect(approvers(repository)).toEqual(['zone-a']);
  });

  it('lets flags win over the file', async () => {
    const { repository, h } = await proposedWithConfig(zoneAConfig);
    const argv = ['contracts', 'approve', 'ab', '--config', '/etc/accord/accordctl.yaml', ...asZone('b')];
    expect(await runCli(argv, h.env)).toBe(ExitCode.ok);
    expect(approvers(repository)).toEqual(['zone-b']);
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
    expect(approvers(repository)).toEqual([]);
  });
});
