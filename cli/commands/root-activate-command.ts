import { Command } from '@commander-js/extra-typings';
import { activatePreparedRoot, rotationStatus } from '../../lib/contract/announced-rotation.js';
import { awaitRootActivatable } from '../await-root-activatable.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection } from '../connection-options.js';
import { outputOption, printResult } from '../output-format.js';
import { withRotationOptions, withRotationParties } from '../root-rotation-parties.js';
import { activationResult, formatActivationResult } from '../root-rotation-view.js';
import { waitOptionsOf, withWaitOptions } from '../wait-options.js';

/**
 * `root activate [--force] [--wait]`: the prepared root starts signing, once it is announced in
 * every active contract and every partner acknowledged installing it (`--force` skips only the
 * acknowledgements) and the PKI's in-zone bound has passed; `--wait` waits for both, printing
 * progress on stderr. The activation then goes to every contract.
 */
export function rootActivateCommand(env: CliEnvironment) {
  return withRotationOptions(
    withWaitOptions(
      new Command('activate')
        .description(
          'Make the prepared root sign. Refused while a partner has not installed it (named in the error) unless --force; ' +
            '--wait waits until every partner acknowledged it and the PKI lets it sign.',
        )
        .option(
          '--force',
          "activate without every partner's acknowledgement: their calls from your zone fail until they install it",
        ),
    ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .addHelpText(
      'after',
      `
Examples:
  accordctl root activate
  accordctl root activate --wait --timeout 10m`,
    )
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      const isForced = options.force === true;
      await withRotationParties(env, connection, 'activate a root rotation', async (parties) => {
        if (options.wait === true) {
          await awaitRootActivatable(parties, {
            ...waitOptionsOf(options, env),
            clock: env.clock,
            isForced,
            onProgress: (line) => env.stderr.write(`${line}\n`),
          });
        }
        const next = (await parties.pki.view()).next;
        const pending =
          isForced && next !== undefined
            ? rotationStatus(
                await parties.repository.list('active'),
                parties.trustDomain,
                next.sha256,
              ).filter((status) => status.pendingPartners.length > 0)
            : [];
        const result = activationResult(await activatePreparedRoot(parties, isForced), pending);
        printResult(env, options.output, result, () => formatActivationResult(result));
      });
    });
}
