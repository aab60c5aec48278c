import { Command } from '@commander-js/extra-typings';
import { UsageError } from '../../lib/cli/command-line.js';
import { emergencyRotateRoot } from '../../lib/contract/announced-rotation.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection } from '../connection-options.js';
import { outputOption, printResult } from '../output-format.js';
import { withRotationOptions, withRotationParties } from '../root-rotation-parties.js';
import { formatEmergencyResult } from '../root-rotation-view.js';

/**
 * `root emergency --reason TEXT --yes`: for a compromised root. Revokes every root the zone holds
 * and signs with a fresh one at once; every partner drops the revoked roots, so every cross-zone
 * call of the zone fails until new contracts are approved. Hence the explicit `--yes`.
 */
export function rootEmergencyCommand(env: CliEnvironment) {
  return withRotationOptions(
    new Command('emergency')
      .description(
        'For a compromised root: revoke every root of your zone and sign with a fresh one at once. ' +
          'Breaks all cross-zone trust of the zone until every partner approves a new contract.',
      )
      .requiredOption('--reason <text>', 'why, signed into every revocation and recorded in the audit log')
      .option(
        '--yes',
        'confirm: every cross-zone call of your zone fails from now until new contracts are approved',
      ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (options) => {
      if (options.yes !== true) {
        throw new UsageError(
          "an emergency rotation revokes every root of your zone: partners drop them at once and every cross-zone call fails until each partner approves a new contract; add --yes to confirm (for a planned rotation use 'accordctl root prepare')",
        );
      }
      const connection = await resolveConnection(options, env);
      await withRotationParties(env, connection, 'rotate the root in an emergency', async (parties) => {
        const { rootSha256, contractIds } = await emergencyRotateRoot(parties, options.reason);
        const result = { trustDomain: parties.trustDomain, rootSha256, revokedInContracts: contractIds };
        printResult(env, options.output, result, () =>
          formatEmergencyResult(parties.trustDomain, rootSha256, contractIds),
        );
      });
    });
}
