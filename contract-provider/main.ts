#!/usr/bin/env node
import 'reflect-metadata';
import { stringFlag, type CommandSpec, type FlagValues } from '../lib/cli/command-line.js';
import { daemonContext } from '../lib/cli/daemon-context.js';
import { runDaemon } from '../lib/cli/entrypoint.js';
import { opsLogFlags, opsLogOverrides } from '../lib/cli/ops-log-flags.js';
import { zoneClientFlags, zoneClientOverrides } from '../lib/cli/zone-client-flags.js';
import { loadConfig } from '../lib/config/load-config.js';
import { providerConfigKind, providerConfigSchema } from './provider-config.js';
import { startContractProvider } from './start-contract-provider.js';

const spec: CommandSpec = {
  name: 'accord-contract-provider',
  summary:
    'The per-zone contract provider: watches the repository, verifies every contract itself, and writes one trust bundle per trusted zone (docs/provider.md).',
  flags: {
    config: {
      type: 'string',
      valueName: 'FILE',
      description: 'Config file (YAML/JSON, kind ContractProviderConfig).',
    },
    ...zoneClientFlags,
    'output-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'Where the bundles are written (local mode).',
    },
    'secret-namespace': {
      type: 'string',
      multiple: true,
      valueName: 'NS',
      description: 'Write the bundles as Secrets into this mesh namespace instead (repeatable).',
    },
    kubeconfig: {
      type: 'string',
      valueName: 'FILE',
      description: "Kubeconfig for the Secrets (default: the pod's ServiceAccount).",
    },
    'resync-interval': {
      type: 'string',
      valueName: 'DURATION',
      description: 'Full resync period, e.g. 30s (default 5m).',
    },
    ...opsLogFlags(9092),
  },
};

function overrides(values: FlagValues): Record<string, unknown> {
  return {
    ...zoneClientOverrides(values),
    outputDirectory: stringFlag(values, 'output-dir'),
    kubernetesSecrets: {
      namespaces: values['secret-namespace'],
      kubeconfig: stringFlag(values, 'kubeconfig'),
    },
    resyncInterval: stringFlag(values, 'resync-interval'),
    ...opsLogOverrides(values),
  };
}

runDaemon(spec, async (commandLine) => {
  const config = await loadConfig(providerConfigSchema, providerConfigKind, {
    file: stringFlag(commandLine.values, 'config'),
    overrides: overrides(commandLine.values),
  });
  return startContractProvider(config, daemonContext('accord-contract-provider', config.log));
});
