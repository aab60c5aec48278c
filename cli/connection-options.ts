import type { Command, OptionValues } from '@commander-js/extra-typings';
import { UsageError } from '../lib/cli/command-line.js';
import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';
import { chooseConfigFile, configRelativePath, readAccordctlConfig } from './accordctl-config.js';
import type { CliEnvironment } from './cli-environment.js';

/** The connection flags of the commands that talk to the repository, as given. */
export interface ConnectionFlags {
  config?: string;
  repository?: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** `--pki`, on the commands that sign consent (`withConsentOptions`). */
  pki?: string;
  /** `--pki-ca`, on the same commands. */
  pkiCa?: string;
}

/** Where the repository is and who the caller is, after the config file filled the gaps. */
export interface Connection {
  /** `host:port` of the contract repository. */
  repository: string;
  /** Roots that the repository's server certificate chains to (PEM). */
  caPath: string;
  /** The caller's SVID (PEM, leaf first); also the approval signer's certificate. */
  certPath: string | undefined;
  /** The caller's private key (PEM); also the key that signs approvals. */
  keyPath: string | undefined;
  /** The caller's zone PKI, which timestamps the consent it signs; undefined when none is known. */
  pki: { address: string; caPath: string } | undefined;
}

/**
 * Adds the connection flags to a command that talks to the repository, and only to those, so
 * that each command's help lists the flags it uses.
 */
export function withConnectionOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
) {
  return command
    .option(
      '--config <file>',
      'AccordctlConfig file with the flags below (default $ACCORDCTL_CONFIG, then ~/.config/accord/accordctl.yaml)',
    )
    .option('--repository <host:port>', 'contract repository address')
    .option('--ca <file>', "roots the repository's server certificate chains to (PEM)")
    .option('--cert <file>', 'your X509-SVID (PEM, leaf first); also the approval signer')
    .option('--key <file>', 'its private key (PKCS#8 PEM)');
}

/**
 * Completes the flags from the config file (`--config`, `$ACCORDCTL_CONFIG` or the default file).
 * Flags always win over the file; paths in the file are relative to it.
 */
export async function resolveConnection(flags: ConnectionFlags, env: CliEnvironment): Promise<Connection> {
  const choice = chooseConfigFile(flags.config, env);
  const config = await readAccordctlConfig(choice, env);
  const fromFile = (file: string | undefined) =>
    file === undefined ? undefined : configRelativePath(choice.path, file);
  const repository = flags.repository ?? config?.repository;
  const caPath = flags.ca ?? fromFile(config?.ca);
  if (repository === undefined)
    throw new UsageError('--repository is required (or repository: in the config file, see accordctl login)');
  if (caPath === undefined)
    throw new UsageError('--ca is required to reach the repository (or ca: in the config file)');
  const pkiAddress = flags.pki ?? config?.pki?.address;
  const pkiCaPath = flags.pkiCa ?? fromFile(config?.pki?.ca);
  return {
    repository,
    caPath,
    certPath: flags.cert ?? fromFile(config?.cert),
    keyPath: flags.key ?? fromFile(config?.key),
    pki:
      pkiAddress === undefined || pkiCaPath === undefined
        ? undefined
        : { address: pkiAddress, caPath: pkiCaPath },
  };
}

/** Runs `body` with a repository client for `connection`, and closes the client whatever happens. */
export async function withRepository<T>(
  env: CliEnvironment,
  connection: Connection,
  body: (repository: ContractRepositoryClient) => Promise<T>,
): Promise<T> {
  const repository = await env.connect(connection);
  try {
    return await body(repository);
  } finally {
    repository.close();
  }
}
