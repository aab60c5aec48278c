#!/usr/bin/env node
import { integerFlag, stringFlag, type CommandSpec, type FlagValues } from '../lib/cli/command-line.js';
import { daemonContext } from '../lib/cli/daemon-context.js';
import { runDaemon } from '../lib/cli/entrypoint.js';
import { opsLogFlags, opsLogOverrides } from '../lib/cli/ops-log-flags.js';
import { loadConfig } from '../lib/config/load-config.js';
import { translatorConfigKind, translatorConfigSchema } from './translator-config.js';
import { startTranslator } from './start-translator.js';

const spec: CommandSpec = {
  name: 'accord-translator',
  summary:
    "The credential translator next to a workload's Envoy sidecar: Envoy's ext_authz server (docs/translator.md).",
  flags: {
    config: {
      type: 'string',
      valueName: 'FILE',
      description: 'Config file (YAML/JSON, kind TranslatorConfig).',
    },
    'trust-domain': { type: 'string', valueName: 'TD', description: "The zone's SPIFFE trust domain." },
    'bundle-dir': {
      type: 'string',
      valueName: 'DIR',
      description: "The provider's bundle directory (<td>.pem, <td>.spiffe.json).",
    },
    'envoy-secrets-dir': {
      type: 'string',
      valueName: 'DIR',
      description: "Envoy's SDS directory; its trust-bundles secret follows the bundle directory.",
    },
    port: {
      type: 'string',
      valueName: 'PORT',
      description:
        'ext_authz port on 127.0.0.1 (default 9191), speaking listen.protocol of the config (grpc or http).',
    },
    ...opsLogFlags(9093),
  },
};

function overrides(values: FlagValues): Record<string, unknown> {
  return {
    trustDomain: stringFlag(values, 'trust-domain'),
    bundleDirectory: stringFlag(values, 'bundle-dir'),
    envoySecretsDirectory: stringFlag(values, 'envoy-secrets-dir'),
    listen: { port: integerFlag(values, 'port') },
    ...opsLogOverrides(values),
  };
}

runDaemon(spec, async (commandLine) => {
  const config = await loadConfig(translatorConfigSchema, translatorConfigKind, {
    file: stringFlag(commandLine.values, 'config'),
    overrides: overrides(commandLine.values),
  });
  return startTranslator(config, daemonContext('accord-translator', config.log));
});
