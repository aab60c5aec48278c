import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../../lib/config/load-config.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import type { CaState } from '../../pki/ca-state.js';
import { pkiConfigSchema } from '../../pki/pki-config.js';
import { rootsFileName, startPkiServer } from '../../pki/pki-server.js';
import type { TestZone } from './test-zone.js';

/** A real zone PKI serving a test zone's root. */
export interface TestZonePki {
  /** host:port of its gRPC server on 127.0.0.1. */
  readonly address: string;
  /** Its `roots.pem` (the zone's root): what `--pki-ca` names. */
  readonly rootsFile: string;
  close(): Promise<void>;
}

/**
 * Starts the real zone PKI server (`startPkiServer`, file store) on a CA state holding `zone`'s
 * root and key, so that the SVIDs a test zone mints and the PKI's own agree: the zone's admin can
 * have its consent timestamped by a real `TimestampConsent` over mTLS. `settings` override the PKI
 * config (e.g. short SVID lifetimes, so that a prepared root may sign within seconds).
 */
export async function startTestZonePki(
  zone: TestZone,
  directory: string,
  settings: Readonly<Record<string, string>> = {},
): Promise<TestZonePki> {
  const storeDir = join(directory, `${zone.name}-pki`);
  await mkdir(storeDir, { recursive: true, mode: 0o700 });
  const state: CaState = {
    version: 1,
    sequence: 1,
    roots: [{ certificatePem: zone.rootPem, privateKeyPem: zone.rootPrivateKeyPem }],
  };
  await writeFile(join(storeDir, 'ca-state.json'), JSON.stringify(state), { mode: 0o600 });
  const pki = await startPkiServer(
    parseConfig(pkiConfigSchema, {
      trustDomain: zone.trustDomain,
      storeDir,
      listen: { host: '127.0.0.1', port: 0 },
      ops: { host: '127.0.0.1', port: 0 },
      logLevel: 'warn',
      ...settings,
    }),
    { clock: systemClock, logger: silentLogger, registry: new Registry() },
  );
  return {
    address: `127.0.0.1:${pki.grpcPort}`,
    rootsFile: join(storeDir, rootsFileName),
    close: () => pki.close(),
  };
}
