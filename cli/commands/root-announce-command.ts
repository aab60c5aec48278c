import { Command } from '@commander-js/extra-typings';
import { announcePreparedRoot, rotationStatus } from '../../lib/contract/announced-rotation.js';
import { FailedPreconditionError } from '../../lib/errors/accord-error.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection } from '../connection-options.js';
import { outputOption, printResult } from '../output-format.js';
import { withRotationOptions, withRotationParties } from '../root-rotation-parties.js';
import { formatAnnounceResult, type AnnounceResult } from '../root-rotation-view.js';

/**
 * `root announce`: announces the prepared root in every active contract of the zone, signed by the
 * root it replaces there (the PKI) and by the caller (the zone's consent). Idempotent: contracts
 * that carry the announcement already are reported as such and left alone.
 */
export function rootAnnounceCommand(env: CliEnvironment) {
  return withRotationOptions(
    new Command('announce').description(
      'Announce the prepared root in every active contract of your zone: signed by the root it replaces and by you; ' +
        "partners' providers install it next to the current one and acknowledge.",
    ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      await withRotationParties(env, connection, 'announce a root rotation', async (parties, signer) => {
        const next = (await parties.pki.view()).next;
        if (next === undefined)
          throw new FailedPreconditionError('no root rotation is prepared (accordctl root prepare first)');
        const before = rotationStatus(
          await parties.repository.list('active'),
          parties.trustDomain,
          next.sha256,
        );
        const announced = new Set(await announcePreparedRoot(parties, signer));
        const result: AnnounceResult = {
          trustDomain: parties.trustDomain,
          rootSha256: next.sha256,
          contracts: before.map((status) => ({
            contractId: status.contractId,
            result: announced.has(status.contractId) ? 'announced' : 'already-announced',
          })),
        };
        printResult(env, options.output, result, () => formatAnnounceResult(result));
      });
    });
}
