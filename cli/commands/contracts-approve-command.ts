import { Command } from '@commander-js/extra-typings';
import { approveContract } from '../approve-contract.js';
import { awaitContractActive } from '../await-contract-active.js';
import { readCallerSigner } from '../caller-identity.js';
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
    withWaitOptions(
      new Command('approve')
        .description(
          'Approve a contract as your zone: signs its participants and root fingerprints with --key. ' +
            "--cert must be an SVID of a participant's trust domain, issued by that participant's root in the contract.",
        )
        .argument('<id>', 'contract id'),
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
      const signer = await readCallerSigner(env, connection, 'approve');
      await withRepository(env, connection, async (repository) => {
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
      });
    });
}
