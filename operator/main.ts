#!/usr/bin/env node
import 'reflect-metadata';
import { stringFlag, UsageError, type CommandSpec, type FlagValues } from '../lib/cli/command-line.js';
import { daemonContext } from '../lib/cli/daemon-context.js';
import { runDaemon, type Stoppable } from '../lib/cli/entrypoint.js';
import { opsLogFlags, opsLogOverrides } from '../lib/cli/ops-log-flags.js';
import { zoneClientFlags, zoneClientOverrides } from '../lib/cli/zone-client-flags.js';
import { loadConfig } from '../lib/config/load-config.js';
import { operatorConfigKind, operatorConfigSchema, type OperatorConfig } from './operator-config.js';
import { operatorComponent, startOperator } from './start-operator.js';
import { findUninstallBlockers, uninstallRefusal } from './uninstall-check.js';

const spec: CommandSpec = {
  name: operatorComponent,
  summary:
    "The per-zone operator: reconciles TrustContracts with the contract repository (propose, approve with the zone's key, revoke on delete) and reports them in status and Events (docs/operator.md). " +
    "'accord-operator check-uninstall' exits 1, naming them, while TrustContracts or MeshWorkloads still carry the operator's finalizers (the chart's pre-delete hook).",
  positionals: '[check-uninstall]',
  flags: {
    config: {
      type: 'string',
      valueName: 'FILE',
      description: 'Config file (YAML/JSON, kind OperatorConfig).',
    },
    'trust-domain': { type: 'string', valueName: 'DOMAIN', description: "This zone's trust domain." },
    'zone-name': { type: 'string', valueName: 'NAME', description: "This zone's participant name." },
    ...zoneClientFlags,
    kubeconfig: {
      type: 'string',
      valueName: 'FILE',
      description: "Kubeconfig (default: the pod's ServiceAccount).",
    },
    'root-namespace': {
      type: 'string',
      valueName: 'NS',
      description: 'Read referenced roots only from this namespace.',
    },
    'leader-election-namespace': {
      type: 'string',
      valueName: 'NS',
      description: 'Namespace of the leader Lease.',
    },
    'leader-identity': {
      type: 'string',
      valueName: 'NAME',
      description: "This replica's Lease holder identity, e.g. the pod name (default: the host name).",
    },
    'resync-interval': {
      type: 'string',
      valueName: 'DURATION',
      description: 'Full resync period, e.g. 30s (default 1m).',
    },
    ...opsLogFlags(9093),
  },
};

function overrides(values: FlagValues): Record<string, unknown> {
  return {
    zone: { trustDomain: stringFlag(values, 'trust-domain'), name: stringFlag(values, 'zone-name') },
    ...zoneClientOverrides(values),
    kubeconfig: stringFlag(values, 'kubeconfig'),
    rootNamespace: stringFlag(values, 'root-namespace'),
    leaderElection: {
      namespace: stringFlag(values, 'leader-election-namespace'),
      identity: stringFlag(values, 'leader-identity'),
    },
    resyncInterval: stringFlag(values, 'resync-interval'),
    ...opsLogOverrides(values),
  };
}

async function checkUninstall(config: OperatorConfig): Promise<Stoppable> {
  const refusal = uninstallRefusal(
    await findUninstallBlockers(config.kubeconfig, config.injection !== undefined),
  );
  if (refusal === undefined) {
    process.stdout.write(
      `${operatorComponent}: nothing carries the operator's finalizers; uninstall may go on\n`,
    );
    process.exit(0);
  }
  process.stderr.write(`${operatorComponent}: ${refusal}\n`);
  process.exit(1);
}

runDaemon(spec, async (commandLine) => {
  const config = await loadConfig(operatorConfigSchema, operatorConfigKind, {
    file: stringFlag(commandLine.values, 'config'),
    overrides: overrides(commandLine.values),
  });
  const [command, ...extra] = commandLine.positionals;
  if (extra.length > 0 || (command !== undefined && command !== 'check-uninstall')) {
    throw new UsageError(`unknown command: ${commandLine.positionals.join(' ')}`);
  }
  if (command === 'check-uninstall') return checkUninstall(config);
  return startOperator(config, daemonContext(operatorComponent, config.log));
});
