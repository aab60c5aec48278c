import { dirname, join, resolve } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../lib/cli/command-line.js';
import { configApiVersion, configFileFields, parseConfig } from '../lib/config/load-config.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import type { CliEnvironment } from './cli-environment.js';

/** The `kind` of accordctl's config file. */
export const accordctlConfigKind = 'AccordctlConfig';

/**
 * accordctl's config file: the connection flags, so that day-to-day commands need none, and where
 * `accordctl login` got the SVID from, so that `login --renew` needs none either. Like a
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
    /** The zone PKI `accordctl login` enrolled with. */
    pki: z
      .object({
        /** host:port (`login --pki`). */
        address: z.string().min(1),
        /** PEM roots the PKI's server certificate chains to (`login --pki-ca`, then the roots it returned). */
        ca: z.string().min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A parsed `AccordctlConfig`, its paths as written in the file. */
export type AccordctlConfig = z.infer<typeof accordctlConfigSchema>;

/** Which config file a command uses, and whether its absence is an error. */
export interface ConfigFileChoice {
  path: string;
  /** Named by `--config` or `$ACCORDCTL_CONFIG`: it must exist. The default file may be absent. */
  isNamed: boolean;
}

/**
 * `--config`, else `$ACCORDCTL_CONFIG`, else `<config dir>/accord/accordctl.yaml` (the file
 * `accordctl login` writes by default), as kubectl falls back to `~/.kube/config`.
 */
export function chooseConfigFile(flag: string | undefined, env: CliEnvironment): ConfigFileChoice {
  const named = flag ?? env.configPathFromEnvironment;
  return named === undefined
    ? { path: join(env.configDirectory, 'accord', 'accordctl.yaml'), isNamed: false }
    : { path: named, isNamed: true };
}

/**
 * Reads and validates the chosen config file; `undefined` when the default file does not exist.
 * A named file that cannot be read, a wrong kind or an unknown field is a usage error.
 */
export async function readAccordctlConfig(
  choice: ConfigFileChoice,
  env: CliEnvironment,
): Promise<AccordctlConfig | undefined> {
  if (!choice.isNamed && !(await env.fileExists(choice.path))) return undefined;
  let text: string;
  try {
    text = await env.readFile(choice.path);
  } catch (error) {
    throw new UsageError(`cannot read config file ${choice.path}: ${errorMessage(error)}`);
  }
  return parseConfig(accordctlConfigSchema, configFileFields(text, choice.path, accordctlConfigKind));
}

/** A path written in the config file, as a path the process can open. */
export function configRelativePath(configPath: string, file: string): string {
  return resolve(dirname(configPath), file);
}

/** The config file's text: `apiVersion` and `kind` first, as every Accord config file. */
export function formatAccordctlConfig(config: AccordctlConfig): string {
  return stringifyYaml({ apiVersion: configApiVersion, kind: accordctlConfigKind, ...config });
}
