import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../lib/config/load-config.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { writeFileAtomic } from '../lib/fs/atomic-write.js';
import { SvidSource, type SvidSnapshot } from '../lib/identity/svid-source.js';
import type { Logger } from '../lib/log/logger.js';
import { systemClock } from '../lib/time/clock.js';
import { type CaSecretConfig, pkiConfigSchema } from '../pki/pki-config.js';
import { rootsFileName, startPkiServer, type RunningPki } from '../pki/pki-server.js';

/** A zone PKI running in this process, with the bootstrap tokens it accepts. */
export interface StartedZonePki {
  name: string;
  trustDomain: string;
  pki: RunningPki;
  pkiAddress: string;
  /** `roots.pem`: what clients of the PKI (and the repository's enrolment) trust. */
  rootsFile: string;
  /** The PKI's `storeDir`: its CA state (file mode) and `roots.pem`. */
  storeDir: string;
  /** The bootstrap-token file of a SPIFFE ID path this PKI was configured with. */
  tokenFile(spiffePath: string): string;
  token(spiffePath: string): string;
}

/** Where and how to start one zone PKI. */
export interface ZonePkiOptions {
  /** The mesh's directory; the zone's files go under `<directory>/<name>/`. */
  directory: string;
  name: string;
  trustDomain: string;
  /** One bootstrap token is made for each of these SPIFFE ID paths. */
  spiffePaths: readonly string[];
  logger: Logger;
  /** Keep the CA state in this Secret (cluster mode) instead of the zone's `pki/` directory. */
  caSecret?: CaSecretConfig;
  /** Further `PkiConfig` fields (e.g. `svidTtl`, `storeReloadInterval`), as a config file would set them. */
  config?: Readonly<Record<string, unknown>>;
}

/**
 * Starts a zone PKI on 127.0.0.1 through the binary's own start function, with one fresh bootstrap
 * token per SPIFFE ID path; the tokens go to 0600 files, which the PKI's config names. The
 * roots are published to `<directory>/<name>/pki/roots.pem` also when the CA lives in a Secret.
 */
export async function startZonePki(options: ZonePkiOptions): Promise<StartedZonePki> {
  const { directory, name, trustDomain, logger } = options;
  const tokensDirectory = join(directory, name, 'bootstrap-tokens');
  await mkdir(tokensDirectory, { recursive: true, mode: 0o700 });
  const tokens = new Map(options.spiffePaths.map((path) => [path, randomBytes(24).toString('base64url')]));
  const tokenFile = (path: string) => join(tokensDirectory, `${path.replaceAll('/', '_').slice(1)}.token`);
  for (const [path, token] of tokens) await writeFile(tokenFile(path), `${token}\n`, { mode: 0o600 });
  const storeDir = join(directory, name, 'pki');
  const pki = await startPkiServer(
    parseConfig(pkiConfigSchema, {
      ...options.config,
      trustDomain,
      storeDir,
      ...(options.caSecret === undefined ? {} : { caSecret: options.caSecret }),
      listen: { port: 0 },
      ops: { port: 0 },
      bootstrapTokens: [...tokens.keys()].map((spiffePath) => ({
        spiffePath,
        tokenFile: tokenFile(spiffePath),
      })),
    }),
    { clock: systemClock, logger: logger.child({ component: 'pki', zone: name }), registry: new Registry() },
  );
  return {
    name,
    trustDomain,
    pki,
    pkiAddress: `127.0.0.1:${pki.grpcPort}`,
    rootsFile: join(storeDir, rootsFileName),
    storeDir,
    tokenFile,
    token: (path) => {
      const token = tokens.get(path);
      if (token === undefined) throw new Error(`no bootstrap token for ${path}`);
      return token;
    },
  };
}

/** An identity's SVID and key files, kept current as the SVID renews. */
export interface IdentityFiles {
  certificateFile: string;
  privateKeyFile: string;
}

/** An SVID kept in files, and the current one in memory. */
export interface SvidFiles {
  identity: IdentityFiles;
  current(): { certificatePem: string; privateKeyPem: string };
  stop(): void;
}

/**
 * Obtains an SVID with the path's bootstrap token and keeps `svid.pem` / `key.pem` current as
 * it renews, the way a workload's identity volume would be.
 */
export async function keepSvidInFiles(
  zone: StartedZonePki,
  spiffePath: string,
  directory: string,
  logger: Logger,
): Promise<SvidFiles> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const identity = {
    certificateFile: join(directory, 'svid.pem'),
    privateKeyFile: join(directory, 'key.pem'),
  };
  const write = async (svid: SvidSnapshot) => {
    await writeFileAtomic(identity.privateKeyFile, svid.privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(identity.certificateFile, svid.certificatePem);
  };
  const source = new SvidSource({
    pkiAddress: zone.pkiAddress,
    // The PKI's own roots.pem, read at every bearer-token attempt (re-bootstrap after an emergency).
    pkiRootsPem: async () => [await readFile(zone.rootsFile, 'utf8')],
    bootstrapToken: zone.token(spiffePath),
    clock: systemClock,
    logger: logger.child({ component: 'svid', zone: zone.name, spiffePath }),
  });
  await write(await source.start());
  const unsubscribe = source.onUpdate((svid) => {
    write(svid).catch((error: unknown) =>
      logger.warn('renewed svid not written', { spiffePath, directory, error: errorMessage(error) }),
    );
  });
  return {
    identity,
    current: () => source.current(),
    stop: () => {
      unsubscribe();
      source.stop();
    },
  };
}
