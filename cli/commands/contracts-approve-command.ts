import { Command } from '@commander-js/extra-typings';
import { approveContract } from '../contract-consent.js';
import { awaitContractActive } from '../await-contract-active.js';
import { withConsentOptions, withConsentSigner } from '../consent-signer.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withConnectionOptions, withRepository } from '../connection-options.js';
import { contractView, formatContractResult } from '../contract-view.js';
import { outputOption, printResult } from '../output-format.js';
import { waitOptionsOf, withWaitOptions } from '../wait-options.js';

/**
 * `contracts approve ID`: signs the contract as the caller's zone and prints one result: as whom
 * it was approved, where the contract stands, and the participants' root fingerprints that were
 * signed.
 */
export function contractsApproveCommand(env: CliEnvironment) {
  return withConnectionOptions(
    withConsentOptions(
      withWaitOptions(
        new Command('approve')
          .description(
            'Approve a contract as your zone: signs its participants and root fingerprints with --key. ' +
              "--cert must be your zone's admin SVID (spiffe://<trust domain>/accord/admin), issued by that participant's root in the contract; " +
              'your zone PKI (--pki) timestamps the signature.',
          )
          .argument('<id>', 'contract id'),
      ),
    ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .addHelpText(
      'after',
      `
Examples:
  accordctl contracts approve ab
  accordctl contracts approve ab --wait --timeout 5m`,
    )
    .action(async (id, options) => {
      const connection = await resolveConnection(options, env);
      await withConsentSigner(env, connection, 'approve', (signer) =>
        withRepository(env, connection, async (repository) => {
          const approval = await approveContract(repository, signer, await repository.get(id), env.clock);
          const contract =
            options.wait === true
              ? await awaitContractActive(repository, approval.contract, waitOptionsOf(options, env))
              : approval.contract;
          const view = contractView(contract);
          printResult(env, options.output, view, () =>
            formatContractResult(
              `contract ${id} approved as ${approval.participant} (${approval.trustDomain})`,
              view,
            ),
          );
        }),
      );
    });
}
