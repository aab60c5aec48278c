#!/usr/bin/env node
import 'reflect-metadata';
import { loadConfig } from '../lib/config/load-config.js';
import { daemonContext } from '../lib/cli/daemon-context.js';
import { runDaemon, type Stoppable } from '../lib/cli/entrypoint.js';
import {
  integerFlag,
  stringFlag,
  UsageError,
  type CommandSpec,
  type FlagValues,
} from '../lib/cli/command-line.js';
import { systemClock } from '../lib/time/clock.js';
import { openCaStore } from './open-ca-store.js';
import { pkiConfigKind, pkiConfigSchema, type PkiConfig } from './pki-config.js';
import { startPkiServer } from './pki-server.js';
import { rotateRoot } from './rotate-root.js';

const spec: CommandSpec = {
  name: 'accord-pki',
  summary:
    'The zone PKI and identity server (accord.pki.v1): root CA, X509-SVIDs, WITs and the zone bundle.\n' +
    "'accord-pki rotate' introduces a new signing root in the store and exits; running servers pick it up.",
  positionals: '[rotate]',
  flags: {
    config: { type: 'string', valueName: 'FILE', description: 'Config file (YAML/JSON, kind PkiConfig).' },
    'trust-domain': { type: 'string', valueName: 'NAME', description: 'SPIFFE trust domain of the zone.' },
    'store-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'Directory of the CA state (private keys!) and roots.pem; with caSecret, only roots.pem.',
    },
    host: { type: 'string', valueName: 'HOST', description: 'gRPC listen host (default 127.0.0.1).' },
    port: { type: 'string', valueName: 'PORT', description: 'gRPC listen port (default 8443, 0 = any).' },
    'ops-port': {
      type: 'string',
      valueName: 'PORT',
      description: 'Port of /healthz, /readyz, /metrics (default 9090).',
    },
    'svid-ttl': {
      type: 'string',
      valueName: 'DURATION',
      description: 'Default X509-SVID lifetime, e.g. 12h (default 24h).',
    },
    'wit-ttl': { type: 'string', valueName: 'DURATION', description: 'Default WIT lifetime (default 5m).' },
    'log-level': { type: 'string', valueName: 'LEVEL', description: 'debug, info, warn or error.' },
  },
};

function overrides(values: FlagValues): Record<string, unknown> {
  return {
    trustDomain: stringFlag(values, 'trust-domain'),
    storeDir: stringFlag(values, 'store-dir'),
    listen: { host: stringFlag(values, 'host'), port: integerFlag(values, 'port') },
    ops: { port: integerFlag(values, 'ops-port') },
    svidTtl: stringFlag(values, 'svid-ttl'),
    witTtl: stringFlag(values, 'wit-ttl'),
    logLevel: stringFlag(values, 'log-level'),
  };
}

async function rotate(config: PkiConfig): Promise<Stoppable> {
  const state = await rotateRoot({
    store: openCaStore(config),
    trustDomain: config.trustDomain,
    clock: systemClock,
    rootPolicy: { rootTtlSeconds: config.rootTtlSeconds, backdateSeconds: config.clockSkewSeconds },
    retainSeconds: config.svidMaxTtlSeconds + config.storeReloadIntervalSeconds,
  });
  process.stdout.write(
    `accord-pki: new signing root installed (CA state version ${state.version}, ${state.roots.length} roots)\n`,
  );
  process.exit(0);
}

runDaemon(spec, async (commandLine) => {
  const config = await loadConfig(pkiConfigSchema, pkiConfigKind, {
    file: stringFlag(commandLine.values, 'config'),
    overrides: overrides(commandLine.values),
  });
  const [command, ...extra] = commandLine.positionals;
  if (extra.length > 0 || (command !== undefined && command !== 'rotate')) {
    throw new UsageError(`unknown command: ${commandLine.positionals.join(' ')}`);
  }
  if (command === 'rotate') return rotate(config);
  return startPkiServer(config, daemonContext('accord-pki', { level: config.logLevel, format: 'json' }));
});
