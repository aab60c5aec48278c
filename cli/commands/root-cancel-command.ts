import { Command } from '@commander-js/extra-typings';
import { cancelPreparedRoot } from '../../lib/contract/announced-rotation.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection } from '../connection-options.js';
import { outputOption, printResult } from '../output-format.js';
import { withRotationOptions, withRotationParties } from '../root-rotation-parties.js';
import { formatCancelResult } from '../root-rotation-view.js';

/**
 * `root cancel --reason TEXT`: drops the prepared root before it signs; its revocation (signed by
 * its own key) goes to every contract it was announced in, so partners drop it too.
 */
export function rootCancelCommand(env: CliEnvironment) {
  return withRotationOptions(
    new Command('cancel')
      .description(
        'Cancel the prepared root (not yet activated): the PKI drops it, and partners drop it from every contract it was announced in.',
      )
      .requiredOption('--reason <text>', 'why, signed into the revocation and recorded in the audit log'),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      await withRotationParties(env, connection, 'cancel a root rotation', async (parties) => {
        const { rootSha256, contractIds } = await cancelPreparedRoot(parties, options.reason);
        const result = { trustDomain: parties.trustDomain, rootSha256, contractIds };
        printResult(env, options.output, result, () =>
          formatCancelResult(parties.trustDomain, rootSha256, contractIds),
        );
      });
    });
}
