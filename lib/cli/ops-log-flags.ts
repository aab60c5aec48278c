import { integerFlag, stringFlag, type CommandSpec, type FlagValues } from './command-line.js';

/**
 * The flags of `opsSchema` and `logSchema` (lib/config/config-fields.ts) that daemons with both
 * share: the ops endpoints' port and the log level.
 *
 * @param defaultOpsPort the daemon's `opsSchema` default, for the help text
 */
export function opsLogFlags(defaultOpsPort: number): CommandSpec['flags'] {
  return {
    'ops-port': {
      type: 'string',
      valueName: 'PORT',
      description: `Port of /healthz, /readyz, /metrics (default ${String(defaultOpsPort)}).`,
    },
    'log-level': { type: 'string', valueName: 'LEVEL', description: 'debug, info, warn or error.' },
  };
}

/** The config overrides of `opsLogFlags` (undefined where a flag is absent). */
export function opsLogOverrides(values: FlagValues): Record<string, unknown> {
  return {
    ops: { port: integerFlag(values, 'ops-port') },
    log: { level: stringFlag(values, 'log-level') },
  };
}
