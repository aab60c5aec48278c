import { Command } from '@commander-js/extra-typings';
import type { CliEnvironment } from '../cli-environment.js';
import { withConsentOptions, withConsentSigner } from '../consent-signer.js';
import { revokeContract } from '../contract-consent.js';
import { resolveConnection, withConnectionOptions, withRepository } from '../connection-options.js';
import { contractStatus, contractView } from '../contract-view.js';
import { outputOption, printResult } from '../output-format.js';

/** `contracts revoke ID --reason TEXT`: ends the trust a contract established, for good. */
export function contractsRevokeCommand(env: CliEnvironment) {
  return withConsentOptions(
    withConnectionOptions(
      new Command('revoke')
        .description(
          'Revoke a contract your zone is part of (terminal: propose a new one to trust again). ' +
            "Signed like an approval, with your zone's admin SVID, and timestamped by your zone PKI.",
        )
        .argument('<id>', 'contract id')
        .requiredOption('--reason <text>', 'why, recorded (and signed) in the contract and the audit log'),
    ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (id, options) => {
      const connection = await resolveConnection(options, env);
      await withConsentSigner(env, connection, 'revoke', (signer) =>
        withRepository(env, connection, async (repository) => {
          const revoked = await revokeContract(
            repository,
            signer,
            await repository.get(id),
            options.reason,
            env.clock,
          );
          const view = contractView(revoked.contract);
          printResult(env, options.output, view, () => `contract ${id} ${contractStatus(view)}\n`);
        }),
      );
    });
}
