import { Command } from '@commander-js/extra-typings';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection } from '../connection-options.js';
import { outputOption, printResult } from '../output-format.js';
import { withRotationOptions, withRotationParties } from '../root-rotation-parties.js';
import { formatPreparedRoot, preparedRootView } from '../root-rotation-view.js';

/**
 * `root prepare`: the zone PKI creates its next root and adds it to the zone's bundle without
 * signing with it; a second run shows the root already prepared (the PKI keeps one).
 */
export function rootPrepareCommand(env: CliEnvironment) {
  return withRotationOptions(
    new Command('prepare').description(
      "Prepare your zone's next root: the PKI adds it to the zone's bundle, signs nothing with it yet. " +
        "Run as your zone's admin (--cert, with --pki).",
    ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      await withRotationParties(env, connection, 'prepare a root rotation', async (parties) => {
        const wasPrepared = (await parties.pki.view()).next !== undefined;
        const result = {
          trustDomain: parties.trustDomain,
          isNew: !wasPrepared,
          root: preparedRootView(await parties.pki.prepare()),
        };
        printResult(env, options.output, result, () => formatPreparedRoot(result));
      });
    });
}
