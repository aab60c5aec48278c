import { Command } from '@commander-js/extra-typings';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withConnectionOptions, withRepository } from '../connection-options.js';
import { outputOption, printResult } from '../output-format.js';

/** `contracts delete ID`: removes a contract and its trust at once (admins; the audit log keeps it). */
export function contractsDeleteCommand(env: CliEnvironment) {
  return withConnectionOptions(
    new Command('delete')
      .description(
        'Delete a contract and its trust at once (repository admins; the audit log keeps its history).',
      )
      .argument('<id>', 'contract id'),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (id, options) => {
      const connection = await resolveConnection(options, env);
      await withRepository(env, connection, (repository) => repository.delete(id));
      printResult(env, options.output, { id, deleted: true }, () => `contract ${id} deleted\n`);
    });
}
