import type { Command, OptionValues } from '@commander-js/extra-typings';
import { UsageError } from '../lib/cli/command-line.js';
import {
  participantOfTrustDomain,
  type ContractParticipant,
  type TrustContract,
} from '../lib/contract/trust-contract.js';
import type { ConsentSigner } from '../lib/contract/zone-approvers.js';
import { FailedPreconditionError } from '../lib/errors/accord-error.js';
import type { SpiffeId } from '../lib/spiffe/spiffe-id.js';
import { readCallerSigner } from './caller-identity.js';
import type { CliEnvironment, ConsentConnection } from './cli-environment.js';
import type { Connection } from './connection-options.js';

/** The caller's SVID as a consent signer (key, chain, its zone PKI's timestamps) and the ID it names. */
export interface CallerConsentSigner extends ConsentSigner {
  readonly spiffeId: SpiffeId;
}

/**
 * `--pki`/`--pki-ca`, for the commands that sign consent (approve, revoke, propose --approve): the
 * caller's zone PKI timestamps each signature. `accordctl login` records both in the config file.
 */
export function withConsentOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
) {
  return command
    .option(
      '--pki <host:port>',
      'your zone PKI, which timestamps what you sign (default: pki.address of the config file)',
    )
    .option(
      '--pki-ca <file>',
      "roots your zone PKI's certificate chains to (default: pki.ca of the config file)",
    );
}

/**
 * Runs `body` with the caller's consent signer: `--cert`/`--key` (checked to belong together) and
 * the zone PKI's TimestampConsent, opened as the caller and closed afterwards; `body` also gets
 * the checked connection, to open the same PKI for other calls (`accordctl root …`). Only a zone's
 * designated approvers (its `/accord/admin` SVID) can sign consent; what anyone else signs is
 * refused by the PKI, the repository and every provider.
 */
export async function withConsentSigner<T>(
  env: CliEnvironment,
  connection: Connection,
  why: string,
  body: (signer: CallerConsentSigner, connection: ConsentConnection) => Promise<T>,
): Promise<T> {
  const caller = await readCallerSigner(env, connection, why);
  const { certPath, keyPath, pki } = connection;
  if (certPath === undefined || keyPath === undefined)
    throw new UsageError(`--cert and --key are required to ${why}`);
  if (pki === undefined) {
    throw new UsageError(
      `--pki and --pki-ca are required to ${why}: your zone PKI timestamps what you sign (or pki: in the config file, see accordctl login)`,
    );
  }
  const consentConnection = { certPath, keyPath, pki };
  const timestamper = await env.openConsentTimestamper(consentConnection);
  try {
    return await body(
      {
        privateKey: caller.privateKey,
        certificateChainDer: caller.chainDer,
        timestamp: timestamper.timestamp,
        spiffeId: caller.spiffeId,
      },
      consentConnection,
    );
  } finally {
    timestamper.close();
  }
}

/** The participant of `contract` that the caller's SVID speaks for: the one of its trust domain. */
export function callerParticipant(contract: TrustContract, signer: CallerConsentSigner): ContractParticipant {
  const { trustDomain } = signer.spiffeId;
  const participant = participantOfTrustDomain(contract, trustDomain);
  if (participant === undefined) {
    throw new FailedPreconditionError(
      `your certificate belongs to ${trustDomain}, which is not a participant of contract ${contract.id}`,
    );
  }
  return participant;
}
