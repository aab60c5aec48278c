import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { silentLogger } from '../../lib/log/logger.js';
import { startLocalMesh, type LocalMesh } from '../../demo/local-mesh.js';
import { testTool } from '../support/test-tools.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { startConsoleProcess, type ConsoleProcess } from './console-process.js';
import { rawRequest } from './raw-request.js';

// `accordctl console --port-forwarded` as the chart runs it in a pod (docs/console.md, "In a
// cluster"): every connection value a flag, no config file, reached through a relay on another
// local port, the stand-in here for `kubectl port-forward` (which needs a real node). The Host and
// Origin carry the relay's port, which the console cannot know: it accepts them, and still refuses
// a foreign Origin and a foreign Host. Without the flag the same relay is refused.

const execFileAsync = promisify(execFile);

/** A TCP relay from a free port of 127.0.0.1 to `targetPort`, as `kubectl port-forward` relays. */
async function startRelay(targetPort: number): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** The console's liveness probe command as the chart renders it for `port`. */
async function chartProbe(port: number): Promise<string[]> {
  const { stdout } = await execFileAsync(testTool('helm'), [
    'template',
    'accord',
    resolve(__dirname, '../../charts/accord'),
    '--show-only',
    'templates/console.yaml',
    '--set',
    'console.enabled=true',
    '--set',
    `console.port=${port}`,
  ]);
  const deployment = parseAllDocuments(stdout)
    .map((document) => document.toJS() as { kind?: string } | null)
    .find((object) => object?.kind === 'Deployment') as {
    spec: { template: { spec: { containers: { livenessProbe: { exec: { command: string[] } } }[] } } };
  };
  const command = deployment.spec.template.spec.containers[0]?.livenessProbe.exec.command;
  if (command?.[0] !== 'node') throw new Error('the console probe is not a node command');
  return command;
}

/** Runs a probe command (its `node` is this Node) and gives its exit code. */
function exitCode(command: string[]): Promise<number> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, command.slice(1), { timeout: 30_000 }, (error) =>
      resolvePromise(error === null ? 0 : typeof error.code === 'number' ? error.code : -1),
    );
  });
}

describe('accordctl console --port-forwarded, as the chart runs it', () => {
  const directories = new TemporaryDirectories('accord-console-forwarded');
  let mesh: LocalMesh;
  let forwarded: ConsoleProcess;
  let relay: { port: number; close: () => Promise<void> };
  const cleanups: (() => Promise<unknown>)[] = [];

  /** The chart's flags (charts/accord/templates/console.yaml) with the local mesh's files. */
  async function chartFlags(): Promise<string[]> {
    const zone = mesh.zones[1];
    const config = parse(await readFile(zone.adminConfigFile, 'utf8')) as { cert: string; key: string };
    const adminDirectory = dirname(zone.adminConfigFile);
    return [
      '--port',
      '0',
      '--repository',
      mesh.repositoryAddress,
      '--ca',
      mesh.repositoryRootsFile,
      '--cert',
      resolve(adminDirectory, config.cert),
      '--key',
      resolve(adminDirectory, config.key),
      '--pki',
      zone.pkiAddress,
      '--pki-ca',
      zone.rootsFile,
      '--zone-root',
      zone.rootsFile,
    ];
  }

  beforeAll(async () => {
    const directory = await directories.make();
    mesh = await startLocalMesh(directory, silentLogger);
    cleanups.unshift(() => mesh.close());
    // No config file anywhere: $HOME and the XDG directories are empty, as in the pod.
    const home = await directories.make();
    const env = { PATH: process.env.PATH, HOME: home };
    forwarded = await startConsoleProcess(
      'console forwarded',
      [...(await chartFlags()), '--port-forwarded'],
      env,
    );
    cleanups.unshift(() => forwarded.stop());
    relay = await startRelay(forwarded.port);
    cleanups.unshift(() => relay.close());
  }, 120_000);

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await directories.removeAll();
  }, 60_000);

  it('logs in and serves the API through another local port, with that port as Host and Origin', async () => {
    const origin = `http://127.0.0.1:${relay.port}`;
    const host = `127.0.0.1:${relay.port}`;
    expect(relay.port).not.toBe(forwarded.port);
    const page = await rawRequest(relay.port, 'GET', '/', { host });
    expect(page.status).toBe(200);
    const token = new URL(forwarded.loginUrls()[0] ?? '').hash.replace('#login=', '');
    const login = await rawRequest(
      relay.port,
      'POST',
      '/api/session',
      { host, origin, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
      JSON.stringify({ token }),
    );
    expect(login.status).toBe(200);
    // The cookie is named by the port the browser sees, the relay's.
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^accord-console-${relay.port}=`));
    const cookie = setCookie.split(';')[0] ?? '';
    const { csrfToken } = JSON.parse(login.body) as { csrfToken: string };
    const inspect = (headers: Record<string, string>) =>
      rawRequest(
        relay.port,
        'POST',
        '/api/roots/inspect',
        { host, cookie, 'x-accord-csrf': csrfToken, 'content-type': 'application/json', ...headers },
        JSON.stringify({ format: 'pem', text: 'not a certificate' }),
      );
    // The legitimate request reaches the handler (which refuses the PEM with the parser's words).
    const legitimate = await inspect({ origin, 'sec-fetch-site': 'same-origin' });
    expect(legitimate.status).toBe(400);
    expect(legitimate.body).toContain('invalid PEM');
    // Another origin holding the whole session is still refused, another local port included.
    const foreign = await inspect({ origin: `http://127.0.0.1:${relay.port + 1}` });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({
      message: `cross-origin request refused: Origin "http://127.0.0.1:${relay.port + 1}" is not ${origin}`,
    });
    const rebound = await rawRequest(relay.port, 'GET', '/', { host: `attacker.example:${relay.port}` });
    expect(rebound.status).toBe(421);
  });

  it('refuses the relay without --port-forwarded (the Host names another port)', async () => {
    const home = await directories.make();
    const local = await startConsoleProcess('console local', await chartFlags(), {
      PATH: process.env.PATH,
      HOME: home,
    });
    const localRelay = await startRelay(local.port);
    try {
      const refused = await rawRequest(localRelay.port, 'GET', '/', { host: `127.0.0.1:${localRelay.port}` });
      expect(refused.status).toBe(421);
      expect(JSON.parse(refused.body)).toEqual({
        code: 'MISDIRECTED',
        message: `the console answers only to http://127.0.0.1:${local.port} (Host "127.0.0.1:${localRelay.port}" refused)`,
      });
      expect((await rawRequest(local.port, 'GET', '/', { host: `127.0.0.1:${local.port}` })).status).toBe(
        200,
      );
    } finally {
      await localRelay.close();
      await local.stop();
    }
  });

  it("answers the chart's probe command while it runs, and the probe fails once it is gone", async () => {
    const home = await directories.make();
    const local = await startConsoleProcess('console probed', await chartFlags(), {
      PATH: process.env.PATH,
      HOME: home,
    });
    let probe: string[];
    try {
      probe = await chartProbe(local.port);
      expect(await exitCode(probe)).toBe(0);
    } finally {
      await local.stop();
    }
    expect(await exitCode(probe)).toBe(1);
  });
});
