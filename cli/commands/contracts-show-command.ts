import { Command } from '@commander-js/extra-typings';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withConnectionOptions, withRepository } from '../connection-options.js';
import { contractView, formatContractDetails } from '../contract-view.js';
import { outputOption, printResult } from '../output-format.js';

/** `contracts show ID`: one contract, its participants and the approvals that verify here. */
export function contractsShowCommand(env: CliEnvironment) {
  return withConnectionOptions(
    new Command('show')
      .description('Show one contract, its participants, root fingerprints and locally verified approvals.')
      .argument('<id>', 'contract id'),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (id, options) => {
      const connection = await resolveConnection(options, env);
      const view = contractView(await withRepository(env, connection, (repository) => repository.get(id)));
      printResult(env, options.output, view, () => formatContractDetails(view));
    });
}
