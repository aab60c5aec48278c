#!/usr/bin/env node
import 'reflect-metadata';
import { loadConfig } from '../lib/config/load-config.js';
import { integerFlag, stringFlag, type CommandSpec } from '../lib/cli/command-line.js';
import { runDaemon } from '../lib/cli/entrypoint.js';
import { createLogger } from '../lib/log/logger.js';
import { systemClock } from '../lib/time/clock.js';
import { contractRepoConfigKind, contractRepoConfigSchema } from './contract-repo-config.js';
import { startContractRepo } from './start-contract-repo.js';

const spec: CommandSpec = {
  name: 'accord-contract-repo',
  summary: [
    'The Accord contract repository: stores trust contracts, their signed approvals and revocations in a',
    'hash-chained audit log, and serves accord.contracts.v1.ContractService over mTLS.',
    `Config file: apiVersion accord.dev/v1alpha1, kind ${contractRepoConfigKind} (see docs/contracts-api.md).`,
  ].join('\n'),
  flags: {
    config: { type: 'string', description: 'Config file (YAML or JSON).', valueName: 'FILE' },
    'data-dir': {
      type: 'string',
      description: 'Directory of the audit log (overrides dataDir).',
      valueName: 'DIR',
    },
    'listen-host': {
      type: 'string',
      description: 'gRPC listen host (overrides listen.host).',
      valueName: 'HOST',
    },
    'listen-port': {
      type: 'string',
      description: 'gRPC listen port, 0 for any (overrides listen.port).',
      valueName: 'PORT',
    },
    'ops-port': {
      type: 'string',
      description: 'Port of /healthz, /readyz, /metrics (overrides ops.port).',
      valueName: 'PORT',
    },
    admin: {
      type: 'string',
      multiple: true,
      description: 'Admin SPIFFE ID (replaces admins).',
      valueName: 'SPIFFE_ID',
    },
    'log-level': { type: 'string', description: 'debug, info, warn or error.', valueName: 'LEVEL' },
  },
};

runDaemon(spec, async ({ values }) => {
  const admins = values.admin;
  const config = await loadConfig(contractRepoConfigSchema, contractRepoConfigKind, {
    file: stringFlag(values, 'config'),
    overrides: {
      dataDir: stringFlag(values, 'data-dir'),
      listen: { host: stringFlag(values, 'listen-host'), port: integerFlag(values, 'listen-port') },
      ops: { port: integerFlag(values, 'ops-port') },
      admins: Array.isArray(admins) && admins.length > 0 ? admins : undefined,
      logLevel: stringFlag(values, 'log-level'),
    },
  });
  const logger = createLogger({
    component: 'contract-repo',
    level: config.logLevel,
    format: config.logFormat,
  });
  const running = await startContractRepo(config, logger, systemClock);
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', grpcPort: running.grpcPort, opsPort: running.opsPort })}\n`,
  );
  return running;
});
