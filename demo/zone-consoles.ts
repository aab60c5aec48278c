import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { LocalMesh } from './local-mesh.js';

/** One zone's running `accordctl console` and the login URL it printed first. */
export interface ZoneConsole {
  readonly zone: string;
  readonly loginUrl: string;
}

/** The consoles of `npm start -- --serve`, stopped together. */
export interface ZoneConsoles {
  readonly consoles: readonly ZoneConsole[];
  stop(): Promise<void>;
}

const loginUrlPattern = /open (http:\/\/127\.0\.0\.1:\d+\/#login=[A-Za-z0-9_-]+)/;

/**
 * Starts `accordctl console` for each zone of the mesh as its administrator (the zone's admin
 * config, its provider's bundle directory), as a user would in a terminal, and resolves with the
 * login URLs they print. Later output (a new login URL asked for from the browser) goes to `out`
 * prefixed with the zone's name, so the user still sees it.
 */
export async function startZoneConsoles(
  mesh: LocalMesh,
  accordctlPath: string,
  out: Writable,
): Promise<ZoneConsoles> {
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) resolve();
            else {
              child.once('exit', () => resolve());
              child.kill('SIGINT');
            }
          }),
      ),
    );
  };
  try {
    const consoles = await Promise.all(
      mesh.zones.map((zone) => {
        const child = spawn(
          process.execPath,
          [accordctlPath, 'console', '--config', zone.adminConfigFile, '--bundle-dir', zone.bundleDirectory],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        children.push(child);
        return firstLoginUrl(child, zone.name, out).then((loginUrl) => ({ zone: zone.name, loginUrl }));
      }),
    );
    return { consoles, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resolves with the first login URL `child` prints; relays everything after it to `out`. */
function firstLoginUrl(child: ChildProcess, zone: string, out: Writable): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    let url: string | undefined;
    const relay = (chunk: Buffer) => {
      if (url !== undefined) {
        out.write(`[${zone} console] ${chunk.toString('utf8')}`);
        return;
      }
      output += chunk.toString('utf8');
      url = loginUrlPattern.exec(output)?.[1];
      if (url !== undefined) resolve(url);
    };
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    child.once('error', reject);
    child.once('exit', (code) => {
      if (url === undefined) reject(new Error(`${zone} console exited (${String(code)}): ${output.trim()}`));
    });
  });
}
