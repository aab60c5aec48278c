import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { ExitCode } from '../../cli/exit-codes.js';
import { startRepositoryFixture, type RepositoryFixture } from './repository-fixture.js';
import { runAccordctl } from './run-accordctl.js';

/**
 * Runs the bash script `accordctl completion bash` prints in a real bash, with `accordctl` on PATH
 * being the built binary (`npm run build` first; `npm test` does), against a real repository for
 * contract ids and real files for file names.
 */
const mainScript = join(process.cwd(), 'dist', 'cli', 'main.js');

let fixture: RepositoryFixture;
let workDirectory: string;
let script: string;
let binDirectory: string;

beforeAll(async () => {
  if (!existsSync(mainScript)) throw new Error(`${mainScript} is missing: run npm run build first`);
  fixture = await startRepositoryFixture();
  workDirectory = join(fixture.directory, 'work');
  const bin = join(fixture.directory, 'bin');
  binDirectory = bin;
  await mkdir(workDirectory, { recursive: true });
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'accordctl'), `#!/bin/sh\nexec '${process.execPath}' '${mainScript}' "$@"\n`, {
    mode: 0o755,
  });
  for (const name of ['zone-a.yaml', 'zone-b.yaml', 'notes.txt'])
    await writeFile(join(workDirectory, name), '');
  await mkdir(join(workDirectory, 'zone-bundles'));
  const [, repository, , ca, , cert, , key] = await fixture.flagsFor(fixture.hub);
  await writeFile(
    join(workDirectory, 'admin.yaml'),
    stringifyYaml({ apiVersion: 'accord.dev/v1alpha1', kind: 'AccordctlConfig', repository, ca, cert, key }),
  );
  for (const id of ['ab', 'ac-first', 'ac-second']) {
    const proposed = await runAccordctl(
      [
        'contracts',
        'propose',
        '--config',
        join(workDirectory, 'admin.yaml'),
        '--id',
        id,
        '--participant',
        `name=zone-a,trust-domain=zone-a.example,root=${join(fixture.directory, 'zone-a-root.pem')}`,
        '--participant',
        `name=zone-b,trust-domain=zone-b.example,root=${join(fixture.directory, 'zone-b-root.pem')}`,
      ],
      { directory: fixture.directory },
    );
    expect(proposed.code).toBe(ExitCode.ok);
  }
  const printed = await runAccordctl(['completion', 'bash'], { directory: fixture.directory });
  script = printed.stdout;
});

afterAll(async () => {
  await fixture.close();
});

/** Completes `line` (the cursor at its end) the way bash does on TAB, and returns COMPREPLY. */
function complete(line: string): Promise<string[]> {
  const words = line.split(' ');
  const program = [
    script,
    `COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `_accordctl accordctl '${words.at(-1) ?? ''}' '${words.at(-2) ?? ''}'`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['--norc', '--noprofile', '-c', program],
      {
        cwd: workDirectory,
        env: {
          PATH: `${binDirectory}:${process.env.PATH ?? ''}`,
          HOME: fixture.directory,
          ACCORDCTL_CONFIG: join(workDirectory, 'admin.yaml'),
        },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`bash failed: ${error.message} ${stderr}`));
        else resolve(stdout.split('\n').filter((candidate) => candidate !== ''));
      },
    );
  });
}

describe('accordctl completion bash, run by bash', () => {
  it('declares the function and registers it for accordctl', () => {
    expect(script).toContain('_accordctl() {');
    expect(script).toMatch(/\ncomplete -F _accordctl accordctl\n$/);
  });

  it.each([
    [
      'accordctl ',
      ['contracts', 'root', 'audit', 'bundle', 'login', 'console', 'completion', 'version', 'help'],
    ],
    ['accordctl contracts ap', ['approve']],
    ['accordctl contracts list --st', ['--state']],
    ['accordctl contracts list --state ', ['proposed', 'active', 'revoked']],
    ['accordctl contracts show -o y', ['yaml']],
    ['accordctl completion ', ['bash', 'zsh']],
    ['accordctl bundle show --dir zone', ['zone-bundles']],
    ['accordctl contracts list --config zone', ['zone-a.yaml', 'zone-b.yaml', 'zone-bundles']],
    ['accordctl contracts approve ac', ['ac-first', 'ac-second']],
    ['accordctl contracts approve ', ['ab', 'ac-first', 'ac-second']],
    ['accordctl contracts revoke ab --reason ', []],
    ['accordctl contract ', []],
  ])('completes "%s" with %j', async (line, expected) => {
    expect((await complete(line)).sort()).toEqual([...expected].sort());
  });
});
