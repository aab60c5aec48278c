import { Command } from '@commander-js/extra-typings';
import { UnavailableError } from '../../lib/errors/accord-error.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withConnectionOptions, withRepository } from '../connection-options.js';
import { ContractWatchEvents, ContractWatchTable } from '../contract-watch-lines.js';
import { outputOption } from '../output-format.js';

/**
 * `contracts watch`: the contracts the caller can see, then every change, one line each (JSON
 * lines with `-o json`), from the repository's Watch stream until Ctrl-C, like `kubectl get -w`.
 */
export function contractsWatchCommand(env: CliEnvironment) {
  return withConnectionOptions(
    new Command('watch').description(
      'Print the contracts you can see, then every change as it happens (ADDED, MODIFIED, DELETED), until interrupted.',
    ),
  )
    .addOption(outputOption(['table', 'json']))
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      const events = new ContractWatchEvents();
      const table = new ContractWatchTable();
      await withRepository(env, connection, async (repository) => {
        try {
          for await (const { event } of repository.watch(undefined, env.interrupted)) {
            const { lines, malformed } = events.eventsOf(event);
            for (const contract of malformed)
              env.stderr.write(`accordctl: contract ${contract.id} does not decode: ${contract.reason}\n`);
            env.stdout.write(
              options.output === 'json'
                ? lines.map((line) => `${JSON.stringify(line)}\n`).join('')
                : table.format(lines),
            );
          }
        } catch (error) {
          if (!env.interrupted.aborted) throw error;
        }
      });
      if (!env.interrupted.aborted) throw new UnavailableError('the repository ended the watch');
    });
}
