import { Command, Option } from '@commander-js/extra-typings';
import { readCallerCertificate } from '../caller-identity.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withConnectionOptions, withRepository } from '../connection-options.js';
import { contractView, formatContractList, isAwaitingApprovalOf } from '../contract-view.js';
import { outputOption, printResult } from '../output-format.js';

/**
 * `contracts list [--state S | --pending]`: the contracts the caller can see, approvals counted as
 * verified here; `--pending` keeps those waiting for the approval of the caller's own zone (the
 * trust domain of `--cert`).
 */
export function contractsListCommand(env: CliEnvironment) {
  return withConnectionOptions(
    new Command('list')
      .description('List the contracts you can see, with approvals verified locally.')
      .addOption(
        new Option('--state <state>', 'only contracts in this state').choices([
          'proposed',
          'active',
          'revoked',
        ] as const),
      )
      .addOption(
        new Option(
          '--pending',
          "only contracts waiting for your zone's approval (your --cert's trust domain)",
        ).conflicts('state'),
      ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      const myTrustDomain =
        options.pending === true
          ? (
              await readCallerCertificate(
                env,
                connection.certPath,
                'list the contracts pending your approval',
              )
            ).spiffeId.trustDomain
          : undefined;
      const state = options.pending === true ? 'proposed' : options.state;
      const contracts = await withRepository(env, connection, (repository) => repository.list(state));
      const views = contracts
        .map(contractView)
        .filter((view) => myTrustDomain === undefined || isAwaitingApprovalOf(view, myTrustDomain));
      if (views.length === 0 && options.output === 'table') {
        // As kubectl: nothing on stdout, a note for people on stderr.
        env.stderr.write(
          myTrustDomain === undefined
            ? 'No contracts found.\n'
            : `No contracts wait for the approval of ${myTrustDomain}.\n`,
        );
        return;
      }
      printResult(env, options.output, views, () => formatContractList(views));
    });
}
