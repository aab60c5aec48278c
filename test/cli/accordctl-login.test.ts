import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ExitCode } from '../../cli/exit-codes.js';
import { startLoopbackHub, type LoopbackHub } from '../../demo/loopback-hub.js';
import { startZonePki, type StartedZonePki } from '../../demo/loopback-zone-pki.js';
import { silentLogger } from '../../lib/log/logger.js';
import { runAccordctl, type AccordctlRun } from './run-accordctl.js';

let directory: string;
let zoneA: StartedZonePki;
let zoneB: StartedZonePki;
let hub: LoopbackHub;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accordctl-login-'));
  const zone = (name: string) =>
    startZonePki({
      directory,
      name,
      trustDomain: `${name}.example`,
      spiffePaths: ['/accord/admin'],
      logger: silentLogger,
    });
  [zoneA, zoneB] = [await zone('zone-a'), await zone('zone-b')];
  hub = await startLoopbackHub({
    directory,
    logger: silentLogger,
    admins: ['spiffe://zone-a.example/accord/admin'],
    zones: [zoneA, zoneB],
    store: { dataDir: join(directory, 'hub', 'data') },
  });
});

afterAll(async () => {
  await hub.close();
  await zoneA.pki.close();
  await zoneB.pki.close();
  await rm(directory, { recursive: true, force: true });
});

function accordctl(
  argv: readonly string[],
  options: { stdin?: string; configPathFromEnvironment?: string } = {},
) {
  return runAccordctl(argv, { directory, ...options });
}

const loginFlags = (zone: StartedZonePki) => ['--pki', zone.pkiAddress, '--pki-ca', zone.rootsFile];
const repositoryFlags = () => ['--repository', hub.repositoryAddress, '--ca', hub.rootsFile];
const notAfterPattern = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

async function fileMode(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

describe('accordctl login against a real zone PKI', () => {
  const configFile = () => join(directory, 'zone-a-admin', 'accordctl.yaml');
  const keyFile = () => join(directory, 'zone-a-admin', 'accordctl-key.pem');
  const loginAsAdminOfZoneA = () =>
    accordctl([
      'login',
      ...loginFlags(zoneA),
      '--token-file',
      zoneA.tokenFile('/accord/admin'),
      ...repositoryFlags(),
      '--config',
      configFile(),
    ]);

  it('gets the admin SVID with a bootstrap token file and writes the key (0600), the SVID and a config the contract commands use', async () => {
    const run = await loginAsAdminOfZoneA();
    expect(run).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(run.stdout).toMatch(
      new RegExp(
        `^Logged in as spiffe://zone-a\\.example/accord/admin; certificate valid until ${notAfterPattern}\\.\\n` +
          `Config: ${configFile()} \\(key ${keyFile()}, mode 0600\\)\\n$`,
      ),
    );
    expect(await fileMode(keyFile())).toBe('600');
    const certificate = new X509Certificate(
      await readFile(join(directory, 'zone-a-admin', 'accordctl-svid.pem')),
    );
    expect(certificate.subjectAltName).toBe('URI:spiffe://zone-a.example/accord/admin');
    expect(certificate.checkPrivateKey(createPrivateKey(await readFile(keyFile())))).toBe(true);
    expect(parseYaml(await readFile(configFile(), 'utf8'))).toEqual({
      apiVersion: 'accord.dev/v1alpha1',
      kind: 'AccordctlConfig',
      repository: hub.repositoryAddress,
      ca: hub.rootsFile,
      cert: 'accordctl-svid.pem',
      key: 'accordctl-key.pem',
      pki: { address: zoneA.pkiAddress, ca: 'accordctl-pki-roots.pem' },
    });

    const proposed = await accordctl(
      [
        'contracts',
        'propose',
        '--id',
        'ab',
        '--participant',
        `name=zone-a,trust-domain=zone-a.example,root=${zoneA.rootsFile}`,
        '--participant',
        `name=zone-b,trust-domain=zone-b.example,root=${zoneB.rootsFile}`,
        '--approve',
      ],
      { configPathFromEnvironment: configFile() },
    );
    expect(proposed).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(proposed.stdout).toMatch(
      /^contract ab proposed and approved as zone-a \(zone-a\.example\); proposed: 1 of 2/,
    );
  });

  it('keeps a valid SVID when run again, and says so', async () => {
    const key = await readFile(keyFile(), 'utf8');
    const run = await loginAsAdminOfZoneA();
    expect(run).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(run.stdout).toMatch(
      new RegExp(
        `^Already logged in as spiffe://zone-a\\.example/accord/admin; certificate valid until ${notAfterPattern}\\. ` +
          'Nothing to do \\(--renew gets a new certificate\\)\\.\\n',
      ),
    );
    expect(await readFile(keyFile(), 'utf8')).toBe(key);
  });

  it('renews with the current SVID when asked, with no token and no PKI flags (the config remembers the PKI)', async () => {
    const key = await readFile(keyFile(), 'utf8');
    const run = await accordctl(['login', '--renew', '--config', configFile(), '-o', 'json']);
    expect(run).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({
      action: 'renewed',
      spiffeId: 'spiffe://zone-a.example/accord/admin',
      previousSpiffeId: null,
      configFile: configFile(),
      repository: hub.repositoryAddress,
    });
    expect(await readFile(keyFile(), 'utf8')).not.toBe(key);
    expect(await fileMode(keyFile())).toBe('600');
    expect((await accordctl(['contracts', 'list', '--config', configFile()])).stdout).toMatch(/^ID\s+STATE/);
  });
});

describe('accordctl login, its other inputs and refusals', () => {
  it('reads the token from stdin and writes the default config file, which the contract commands then read', async () => {
    const run = await accordctl(['login', ...loginFlags(zoneB), '--token-file', '-', ...repositoryFlags()], {
      stdin: `${zoneB.token('/accord/admin')}\n`,
    });
    expect(run).toMatchObject({ code: ExitCode.ok, stderr: '' });
    const defaultConfig = join(directory, 'config', 'accord', 'accordctl.yaml');
    expect(run.stdout).toContain(`Config: ${defaultConfig} `);
    expect(await fileMode(join(directory, 'config', 'accord', 'accordctl-key.pem'))).toBe('600');
    const pending = await accordctl(['contracts', 'list', '--pending', '-o', 'json']);
    expect(pending).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect((JSON.parse(pending.stdout) as { id: string }[]).map((contract) => contract.id)).toEqual(['ab']);
    const approved = await accordctl(['contracts', 'approve', 'ab', '--wait']);
    expect(approved).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(approved.stdout).toMatch(
      /^contract ab approved as zone-b \(zone-b\.example\); active: all 2 approvals verified\n/,
    );
  });

  it.each([
    [
      'a token the PKI does not know',
      async (config: string) => {
        const tokenFile = join(directory, 'wrong.token');
        await writeFile(tokenFile, 'not-a-token\n', { mode: 0o600 });
        return accordctl(['login', ...loginFlags(zoneA), '--token-file', tokenFile, '--config', config]);
      },
      ExitCode.failure,
      /^accordctl: UNAUTHENTICATED: /,
    ],
    [
      'no token and no certificate',
      (config: string) => accordctl(['login', ...loginFlags(zoneA), '--config', config]),
      ExitCode.usage,
      /^accordctl: no certificate at .*\/refused\/accordctl-svid\.pem: --token-file is required to log in/,
    ],
    [
      'an empty token on stdin',
      (config: string) =>
        accordctl(['login', ...loginFlags(zoneA), '--token-file', '-', '--config', config], { stdin: '\n' }),
      ExitCode.usage,
      /^accordctl: standard input holds no bootstrap token\n/,
    ],
    [
      'no PKI to ask',
      (config: string) =>
        accordctl(['login', '--token-file', zoneA.tokenFile('/accord/admin'), '--config', config]),
      ExitCode.usage,
      /^accordctl: --pki is required: your zone PKI's host:port\n/,
    ],
    [
      "a PKI whose certificate does not chain to --pki-ca (zone-b's roots for zone-a's PKI), before sending the token",
      (config: string) =>
        accordctl([
          'login',
          '--pki',
          zoneA.pkiAddress,
          '--pki-ca',
          zoneB.rootsFile,
          '--token-file',
          zoneA.tokenFile('/accord/admin'),
          '--config',
          config,
        ]),
      ExitCode.unreachable,
      /^accordctl: UNAVAILABLE: No connection established\. Last error: Error: self-signed certificate in certificate chain/,
    ],
    [
      'the token as a flag value',
      (config: string) => accordctl(['login', ...loginFlags(zoneA), '--token', 'secret', '--config', config]),
      ExitCode.usage,
      /^accordctl: unknown option '--token'\n/,
    ],
  ])(
    'refuses %s and writes nothing',
    async (_, login: (config: string) => Promise<AccordctlRun>, code, message) => {
      const config = join(directory, 'refused', 'accordctl.yaml');
      const run = await login(config);
      expect(run).toMatchObject({ code, stdout: '' });
      expect(run.stderr).toMatch(message);
      await expect(stat(join(directory, 'refused'))).rejects.toThrow(/ENOENT/);
    },
  );
});
