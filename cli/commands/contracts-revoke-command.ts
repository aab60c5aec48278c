import { Command } from '@commander-js/extra-typings';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withConnectionOptions, withRepository } from '../connection-options.js';
import { contractStatus, contractView } from '../contract-view.js';
import { outputOption, printResult } from '../output-format.js';

/** `contracts revoke ID --reason TEXT`: ends the trust a contract established, for good. */
export function contractsRevokeCommand(env: CliEnvironment) {
  return withConnectionOptions(
    new Command('revoke')
      .description('Revoke a contract your zone is part of (terminal: propose a new one to trust again).')
      .argument('<id>', 'contract id')
      .requiredOption('--reason <text>', 'why, recorded in the contract and the audit log'),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (id, options) => {
      const connection = await resolveConnection(options, env);
      await withRepository(env, connection, async (repository) => {
        const view = contractView(await repository.revoke(id, options.reason));
        printResult(env, options.output, view, () => `contract ${id} ${contractStatus(view)}\n`);
      });
    });
}
