import { Command } from '@commander-js/extra-typings';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection } from '../connection-options.js';
import { outputOption, printResult } from '../output-format.js';
import { withRotationOptions, withRotationParties } from '../root-rotation-parties.js';
import { formatRootRotationStatus, rootRotationStatusView } from '../root-rotation-view.js';

/**
 * `root status`: the zone's roots by role (the PKI) and, per active contract (the repository,
 * every announcement verified here), the current root, the prepared one, whether it is announced,
 * and which partners acknowledged installing it.
 */
export function rootStatusCommand(env: CliEnvironment) {
  return withRotationOptions(
    new Command('status').description(
      "Show your zone's roots and, per active contract, whether the prepared root is announced and which partners installed it.",
    ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      await withRotationParties(env, connection, 'show the root rotation status', async (parties) => {
        const status = rootRotationStatusView(
          await parties.pki.view(),
          await parties.repository.list('active'),
        );
        printResult(env, options.output, status, () => formatRootRotationStatus(status));
      });
    });
}
