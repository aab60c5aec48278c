import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { httpCall } from '../support/http-call.js';
import { type BuiltImage, buildImage, imageBuildTimeoutMs } from '../support/oci-images.js';
import { startManagedProcess } from '../support/managed-process.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { repositoryRoot } from '../support/test-tools.js';
import { type UnpackedImage, runContainer, startContainer, unpackImage } from './runc-container.js';

const run = promisify(execFile);

/** A command on PATH, or undefined. */
function onPath(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(directory, name), constants.X_OK);
      return join(directory, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const packageJson = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

/** The size target of docs/image.md: the unpacked image, in bytes. */
const maxImageBytes = 180 * 1000 * 1000;
const nonroot = 65532;
/** A container that runs one command: Node's start-up on a loaded 2-core machine, with margin. */
const containerTimeoutMs = 60_000;

/**
 * Running the image needs runc and root (runc creates namespaces and cgroups): CI has both, and
 * scripts/provision-image-tools.sh (run by `npm test`) installs runc. Anywhere else the runtime
 * tests are skipped with this reason in their names.
 */
const skipReason =
  onPath('runc') === undefined
    ? 'skipped: runc is missing (bash scripts/provision-image-tools.sh installs it)'
    : process.getuid?.() === 0
      ? undefined
      : 'skipped: running containers with runc needs root';
const describeWithRunc = skipReason === undefined ? describe : describe.skip;
const suffix = skipReason === undefined ? '' : ` (${skipReason})`;

const temporary = new TemporaryDirectories('accord-image');
afterAll(() => temporary.removeAll());

/** Waits for `condition` to hold, polling; fails with `what` after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The port a daemon's JSON log says its ops server listens on. */
function opsPort(output: string): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { message?: string; address?: string };
    if (entry.message === 'ops server listening') return Number(entry.address?.split(':').at(-1));
  }
  return undefined;
}

describeWithRunc(`the Accord image (npm run image)${suffix}`, () => {
  let built: BuiltImage;
  let image: UnpackedImage;
  let bundles: string;

  beforeAll(async () => {
    built = await buildImage('accord');
    const directory = await temporary.make();
    image = await unpackImage(built.archive, directory);
    bundles = join(directory, 'bundles');
  }, imageBuildTimeoutMs);

  it('is named as the chart names its image by default: values.yaml image.repository and appVersion, the package version', () => {
    const values = parse(readFileSync(join(repositoryRoot, 'charts/accord/values.yaml'), 'utf8')) as {
      image: { repository: string; tag: string };
    };
    const chart = parse(readFileSync(join(repositoryRoot, 'charts/accord/Chart.yaml'), 'utf8')) as {
      appVersion: string;
    };
    expect(values.image.tag).toBe('');
    expect(chart.appVersion).toBe(packageJson.version);
    expect(built.name).toBe(`${values.image.repository}:${chart.appVersion}`);
  });

  it.each(Object.keys(packageJson.bin))(
    'runs %s --help as UID 65532 from its PATH',
    async (binary) => {
      const result = await runContainer(image, bundles, { args: [binary, '--help'] });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain(binary === 'accordctl' ? 'accordctl' : `Usage: ${binary}`);
    },
    containerTimeoutMs,
  );

  it(
    'runs as nonroot (65532) on a read-only root file system, with only /tmp writable',
    async () => {
      const script = [
        "const fs = require('node:fs');",
        'const tryWrite = (path) => { try { fs.writeFileSync(path, "x"); return "written"; } catch (e) { return e.code; } };',
        'console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), HOME: process.env.HOME,',
        '  app: tryWrite("/app/x"), etc: tryWrite("/etc/x"), home: tryWrite("/home/nonroot/x"), tmp: tryWrite("/tmp/x") }));',
      ].join('\n');
      const result = await runContainer(image, bundles, { args: ['node', '-e', script] });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        uid: nonroot,
        gid: nonroot,
        HOME: '/home/nonroot',
        home: 'EROFS',
        app: 'EROFS',
        etc: 'EROFS',
        tmp: 'written',
      });
    },
    containerTimeoutMs,
  );

  it(
    "takes the repository's data-directory lock with the image's flock, and refuses a second holder",
    async () => {
      const script = [
        "const { DirectoryLock } = await import('/app/dist/lib/fs/directory-lock.js');",
        "await DirectoryLock.acquire('/tmp', { fileName: 'repository.lock' });",
        "const second = await DirectoryLock.acquire('/tmp', { fileName: 'repository.lock' }).then(() => 'acquired', (e) => e.name);",
        'console.log(JSON.stringify({ second }));',
      ].join('\n');
      const result = await runContainer(image, bundles, {
        args: ['node', '--input-type=module', '-e', script],
      });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({ second: 'DirectoryLockedError' });
    },
    containerTimeoutMs,
  );

  it('starts accord-pki, which turns ready through /healthz and /readyz and writes only its data volume', async () => {
    const data = await temporary.make();
    await run('chown', [`${nonroot}:${nonroot}`, data]);
    const pki = await startContainer(image, bundles, {
      args: [
        'accord-pki',
        '--trust-domain',
        'zone.test',
        '--store-dir',
        '/var/lib/accord',
        '--port',
        '0',
        '--ops-port',
        '0',
      ],
      binds: [{ source: data, destination: '/var/lib/accord', readOnly: false }],
    });
    try {
      const port = await waitFor('the ops server', () => Promise.resolve(opsPort(pki.output())));
      const ready = await waitFor('/readyz', async () => {
        const response = await httpCall({ port, path: '/readyz' });
        return response.status === 200 ? response : undefined;
      });
      expect(ready.status).toBe(200);
      expect((await httpCall({ port, path: '/healthz' })).status).toBe(200);
      const written = await readdir(data);
      expect(written).toContain('roots.pem');
      expect((await stat(join(data, 'roots.pem'))).uid).toBe(nonroot);
    } finally {
      await pki.remove();
    }
  }, 120_000);

  it('holds the production build and production dependencies only: no dev dependency, test, source or source map', async () => {
    const modules = await readdir(join(image.rootfs, 'app/node_modules'));
    for (const dependency of Object.keys(packageJson.dependencies)) {
      expect(modules).toContain(dependency.split('/')[0]);
    }
    // Every package the lock file marks dev-only (jest, typescript, eslint, … and their own dependencies).
    const lock = JSON.parse(readFileSync(join(repositoryRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages).filter(
      ([path, entry]) => path !== '' && entry.dev === true,
    );
    expect(devOnly.length).toBeGreaterThan(100);
    for (const [path] of devOnly) {
      await expect(stat(join(image.rootfs, 'app', path))).rejects.toThrow('ENOENT');
    }
    const { stdout } = await run(
      'find',
      [
        join(image.rootfs, 'app'),
        '(',
        '-name',
        '*.test.js',
        '-o',
        '-name',
        '*.ts',
        '-o',
        '-name',
        '*.map',
        ')',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stdout).toBe('');
    await expect(stat(join(image.rootfs, 'app/dist/demo'))).rejects.toThrow('ENOENT');
    await expect(stat(join(image.rootfs, 'app/dist/test'))).rejects.toThrow('ENOENT');
  });

  it('weighs at most 180 MB unpacked', async () => {
    const { stdout } = await run('du', ['-sb', image.rootfs]);
    const bytes = Number(stdout.split('\t')[0]);
    console.log(`image ${built.name} ${built.digest}: ${(bytes / 1e6).toFixed(1)} MB unpacked`);
    expect(bytes).toBeLessThanOrEqual(maxImageBytes);
  });

  it('carries the OCI labels (version, revision, source, licence, creation time) and is read by skopeo', async () => {
    const { stdout } = await run('skopeo', ['inspect', `oci-archive:${built.archive}`]);
    const inspected = JSON.parse(stdout) as { Digest: string; Labels: Record<string, string> };
    const { stdout: head } = await run('git', ['-C', repositoryRoot, 'rev-parse', 'HEAD']);
    const { stdout: commitTime } = await run('git', ['-C', repositoryRoot, 'log', '-1', '--format=%ct']);
    expect(inspected.Digest).toBe(built.digest);
    expect(inspected.Labels).toMatchObject({
      'org.opencontainers.image.version': packageJson.version,
      'org.opencontainers.image.licenses': packageJson.license,
      'org.opencontainers.image.source': expect.stringMatching(/^https:\/\//) as unknown,
      'org.opencontainers.image.created': new Date(Number(commitTime.trim()) * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
    });
    expect(inspected.Labels['org.opencontainers.image.revision']).toMatch(
      new RegExp(`^${head.trim()}(-dirty)?$`),
    );
  });

  it('is described by the Containerfile with the same labels, user, environment and command', async () => {
    const containerfile = readFileSync(join(repositoryRoot, 'Containerfile'), 'utf8');
    const { stdout } = await run('skopeo', ['inspect', '--config', `oci-archive:${built.archive}`]);
    const { config } = JSON.parse(stdout) as {
      config: {
        User: string;
        Env: string[];
        Cmd: string[];
        WorkingDir: string;
        Labels: Record<string, string>;
      };
    };
    const args = new Map<string, string>(
      [...containerfile.matchAll(/^ARG (\w+)=(.*)$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']),
    );
    const labels = new Map<string, string>(
      [...containerfile.matchAll(/(org\.opencontainers\.image\.\w+)="([^"]*)"/g)].map((match) => [
        match[1] ?? '',
        (match[2] ?? '').replace(/\$\{(\w+)\}/, (_, name: string) => args.get(name) ?? ''),
      ]),
    );
    // Everything but what differs per build (the commit and its time, build arguments there).
    const perBuild = ['org.opencontainers.image.revision', 'org.opencontainers.image.created'];
    expect([...labels.keys()].sort()).toEqual(Object.keys(config.Labels).sort());
    for (const [key, value] of Object.entries(config.Labels)) {
      if (!perBuild.includes(key)) expect([key, labels.get(key)]).toEqual([key, value]);
    }
    expect(containerfile).toContain(`USER ${config.User}\n`);
    expect(containerfile).toContain(`WORKDIR ${config.WorkingDir}\n`);
    expect(containerfile).toContain(`ENV ${config.Env.join(' ')}\n`);
    expect(containerfile).toContain(`CMD ${JSON.stringify(config.Cmd).replace(/,/g, ', ')}\n`);
  });

  it('loads into podman under its full name', async () => {
    const storage = await temporary.make();
    const podman = (...args: string[]) =>
      run(
        'podman',
        [
          '--root',
          join(storage, 'root'),
          '--runroot',
          join(storage, 'run'),
          '--storage-driver',
          'vfs',
          ...args,
        ],
        {
          maxBuffer: 16 * 1024 * 1024,
        },
      );
    const { stdout } = await podman('load', '--input', built.archive);
    expect(stdout).toContain(`Loaded image: ${built.name}`);
    const { stdout: images } = await podman(
      'images',
      '--digests',
      '--format',
      '{{.Repository}}:{{.Tag}} {{.Digest}}',
    );
    expect(images.trim()).toBe(`${built.name} ${built.digest}`);
  }, 120_000);

  it('imports into containerd with ctr under its full name', async () => {
    const directory = await temporary.make();
    const address = join(directory, 'containerd.sock');
    const config = [
      'version = 2',
      `root = "${join(directory, 'root')}"`,
      `state = "${join(directory, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      `[grpc]\naddress = "${address}"`,
      `[ttrpc]\naddress = "${address}.ttrpc"`,
    ].join('\n');
    await writeFile(join(directory, 'config.toml'), config);
    const containerd = startManagedProcess('containerd', 'containerd', [
      '--config',
      join(directory, 'config.toml'),
    ]);
    try {
      await waitFor('containerd', async () => (await stat(address)).isSocket() || undefined);
      const ctr = (...args: string[]) =>
        run('ctr', ['--address', address, '--namespace', 'accord-test', ...args]);
      await ctr('images', 'import', built.archive);
      const { stdout } = await ctr('images', 'list');
      const line = stdout.split('\n').find((row) => row.startsWith(`${built.name} `));
      expect(line).toContain(built.digest);
      expect((await ctr('images', 'check')).stdout).toMatch(/complete \(5\/5\)/);
    } finally {
      await containerd.stop();
    }
  }, 120_000);
});

describeWithRunc(`the test images (npm run image -- envoy pause legacy-app)${suffix}`, () => {
  const unpacked = new Map<string, UnpackedImage>();
  let bundles: string;

  beforeAll(async () => {
    const directory = await temporary.make();
    bundles = join(directory, 'bundles');
    for (const target of ['envoy', 'pause', 'legacy-app'] as const) {
      const built = await buildImage(target);
      unpacked.set(target, await unpackImage(built.archive, join(directory, target)));
    }
  }, imageBuildTimeoutMs);

  function unpackedImage(target: string): UnpackedImage {
    const found = unpacked.get(target);
    if (found === undefined) throw new Error(`${target} was not unpacked`);
    return found;
  }

  it(
    'runs the provisioned Envoy as UID 65532',
    async () => {
      const result = await runContainer(unpackedImage('envoy'), bundles, { args: ['envoy', '--version'] });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/version: [0-9a-f]+\/1\.40\.0\//);
    },
    containerTimeoutMs,
  );

  it(
    'runs the pause process until it is stopped',
    async () => {
      const pause = await startContainer(unpackedImage('pause'), bundles, {});
      await waitFor('the pause container to run', async () => {
        const { stdout } = await run('runc', ['state', pause.id]);
        return (JSON.parse(stdout) as { status: string }).status === 'running' || undefined;
      });
      expect(pause.exitReason()).toBeUndefined();
      await pause.remove();
      expect(pause.exitReason()).toMatch(/code 0|signal SIGTERM/);
    },
    containerTimeoutMs,
  );

  it('serves the legacy app, which answers only Basic credentials it knows', async () => {
    const app = await startContainer(unpackedImage('legacy-app'), bundles, {
      env: ['PORT=0', 'HOST=127.0.0.1', 'LEGACY_USERS=alice:wonderland'],
    });
    try {
      const port = await waitFor('the legacy app', () =>
        Promise.resolve(/"port":(\d+)/.exec(app.output())?.[1]).then((found) =>
          found === undefined ? undefined : Number(found),
        ),
      );
      const basic = (credentials: string) => ({
        authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      });
      expect((await httpCall({ port, path: '/healthz' })).status).toBe(200);
      expect((await httpCall({ port, path: '/hello' })).status).toBe(401);
      expect((await httpCall({ port, path: '/hello', headers: basic('alice:guess') })).status).toBe(401);
      const answer = await httpCall({ port, path: '/hello', headers: basic('alice:wonderland') });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ user: 'alice', path: '/hello' });
    } finally {
      await app.remove();
    }
  }, 60_000);
});

describe('npm run image', () => {
  it('builds the same archive twice from the same inputs (the pause image, in two directories)', async () => {
    const digests: string[] = [];
    for (const attempt of [1, 2]) {
      const directory = join(await temporary.make(), `attempt-${attempt}`);
      await mkdir(directory);
      const { stdout } = await run('bash', [join(repositoryRoot, 'scripts/build-image.sh'), 'pause'], {
        env: { ...process.env, ACCORD_IMAGES_DIR: directory },
      });
      const archive = stdout.trim().split('\n').at(-1) ?? '';
      const { stdout: sum } = await run('sha256sum', [archive]);
      digests.push(sum.split(' ')[0] ?? '');
      expect(await readFile(archive)).not.toHaveLength(0);
    }
    expect(digests[1]).toBe(digests[0]);
  }, 120_000);
});
