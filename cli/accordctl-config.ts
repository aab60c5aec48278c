import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../lib/cli/command-line.js';
import { configFileFields, parseConfig } from '../lib/config/load-config.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import type { GlobalOptions } from './cli-command.js';
import type { CliEnvironment } from './cli-environment.js';

/** The `kind` of accordctl's config file. */
export const accordctlConfigKind = 'AccordctlConfig';

/**
 * accordctl's config file: the connection flags, so that day-to-day commands need none. Like a
 * kubeconfig, relative paths are relative to the file, not to the working directory.
 */
export const accordctlConfigSchema = z
  .object({
    /** The contract repository, host:port (`--repository`). */
    repository: z.string().min(1).optional(),
    /** PEM roots the repository's server certificate chains to (`--ca`). */
    ca: z.string().min(1).optional(),
    /** The caller's SVID, leaf first (`--cert`). */
    cert: z.string().min(1).optional(),
    /** The caller's private key, also the approval signer (`--key`). */
    key: z.string().min(1).optional(),
  })
  .strict();

/**
 * Fills the connection options the command line left out from the config file named by
 * `--config` (or `$ACCORDCTL_CONFIG`). Flags always win over the file.
 */
export async function withConfigFile(global: GlobalOptions, env: CliEnvironment): Promise<GlobalOptions> {
  const path = global.configPath ?? env.configPathFromEnvironment;
  if (path === undefined) return global;
  let text: string;
  try {
    text = await env.readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read config file ${path}: ${errorMessage(error)}`);
  }
  const config = parseConfig(accordctlConfigSchema, configFileFields(text, path, accordctlConfigKind));
  const besideFile = (file: string | undefined) =>
    file === undefined ? undefined : resolve(dirname(path), file);
  return {
    ...global,
    repository: global.repository ?? config.repository,
    caPath: global.caPath ?? besideFile(config.ca),
    certPath: global.certPath ?? besideFile(config.cert),
    keyPath: global.keyPath ?? besideFile(config.key),
  };
}
