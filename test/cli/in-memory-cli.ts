import type { CliEnvironment } from '../../cli/cli-environment.js';
import type { ContractRepositoryClient } from '../../lib/contract/contract-repository-client.js';
import { ManualClock } from '../support/manual-clock.js';
import { ManualTimers } from '../support/manual-timers.js';
import type { TestZone } from '../support/test-zone.js';

/** accordctl run in-process against an in-memory file system, with its output captured. */
export interface InMemoryCli {
  env: CliEnvironment;
  files: Map<string, string>;
  timers: ManualTimers;
  /** Ctrl-C for the commands run with `env`. */
  interrupt(): void;
  stdout(): string;
  stderr(): string;
}

/**
 * An environment for accordctl's command tests: files in a map (each zone's root, admin SVID and
 * key as `<zone>.pem`, `<zone>-svid.pem`, `<zone>-key.pem`), the given repository (or the error
 * connecting fails with), manual timers, and no PKI but the zones' roots timestamping consent
 * (enrolment and TimestampConsent are tested against a real PKI in accordctl-login.test.ts and
 * accordctl-loopback.test.ts).
 */
export function inMemoryCli(
  repository: ContractRepositoryClient | Error,
  zones: readonly TestZone[],
  stdin = '',
): InMemoryCli {
  const files = new Map<string, string>();
  for (const zone of zones) {
    const short = zone.name.replace(/^zone-/, '');
    files.set(`${short}.pem`, zone.rootPem);
    files.set(`${short}-svid.pem`, zone.admin.certificatePem);
    files.set(`${short}-key.pem`, zone.admin.privateKeyPem);
  }
  let out = '';
  let err = '';
  const timers = new ManualTimers();
  const interruption = new AbortController();
  const env: CliEnvironment = {
    stdout: { write: (text) => (out += text) },
    stderr: { write: (text) => (err += text) },
    readStdin: () => Promise.resolve(stdin),
    readFile: (path) => {
      const content = files.get(path);
      return content === undefined ? Promise.reject(new Error('ENOENT')) : Promise.resolve(content);
    },
    fileExists: (path) => Promise.resolve(files.has(path)),
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
    requestSvid: () => Promise.reject(new Error('no PKI in the in-memory environment')),
    // The PKI of the zone whose SVID is in `--cert`, as an in-process timestamper of its root.
    openConsentTimestamper: async (connection) => {
      const certificate = files.get(connection.certPath);
      const zone = zones.find((each) => each.admin.certificatePem === certificate);
      if (zone === undefined) throw new Error(`no test zone issued ${connection.certPath}`);
      return Promise.resolve({ timestamp: zone.timestamper(), close: () => undefined });
    },
    openPkiRootRotation: () => Promise.reject(new Error('no PKI in the in-memory environment')),
    clock: new ManualClock(new Date()),
    timers,
    interrupted: interruption.signal,
    stateDirectory: '/state',
    configDirectory: '/config',
    configPathFromEnvironment: undefined,
    version: '0.1.0',
    consoleAssetDirectory: '/console',
    openInBrowser: () => Promise.reject(new Error('no browser in the in-memory environment')),
  };
  return {
    env,
    files,
    timers,
    interrupt: () => interruption.abort(),
    stdout: () => out,
    stderr: () => err,
  };
}
