import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { RotationParties } from '../lib/contract/announced-rotation.js';
import type { CliEnvironment } from './cli-environment.js';
import { withConsentOptions, withConsentSigner, type CallerConsentSigner } from './consent-signer.js';
import { withConnectionOptions, withRepository, type Connection } from './connection-options.js';

/**
 * Runs `body` with what every `accordctl root` command works with: the caller's zone (the trust
 * domain of `--cert`), its PKI's rotation calls and the repository, both opened as the caller, and
 * the caller's consent signer (the same one `contracts approve` uses; an announcement carries its
 * signature). All are closed afterwards. `why` completes "--cert and --key are required to …".
 */
export function withRotationParties<T>(
  env: CliEnvironment,
  connection: Connection,
  why: string,
  body: (parties: RotationParties, signer: CallerConsentSigner) => Promise<T>,
): Promise<T> {
  return withConsentSigner(env, connection, why, async (signer, consentConnection) => {
    const pki = await env.openPkiRootRotation(consentConnection);
    try {
      return await withRepository(env, connection, (repository) =>
        body({ trustDomain: signer.spiffeId.trustDomain, pki: pki.rootRotation, repository }, signer),
      );
    } finally {
      pki.close();
    }
  });
}

/**
 * The flags of every `accordctl root` command: the repository connection and the zone PKI
 * (`--pki`/`--pki-ca`, or `pki:` in the config file, as for `contracts approve`).
 */
export function withRotationOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
) {
  return withConsentOptions(withConnectionOptions(command));
}
