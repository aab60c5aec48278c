import { Command } from '@commander-js/extra-typings';
import { approveContract } from '../contract-consent.js';
import { awaitContractActive } from '../await-contract-active.js';
import { withConsentOptions, withConsentSigner, type CallerConsentSigner } from '../consent-signer.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withConnectionOptions, withRepository } from '../connection-options.js';
import { contractView, formatContractResult } from '../contract-view.js';
import { optionValue } from '../option-values.js';
import { outputOption, printResult } from '../output-format.js';
import { parseParticipant, readProposal, type ParticipantSpec } from '../propose-contract.js';
import { waitOptionsOf, withWaitOptions } from '../wait-options.js';

const collectParticipant = optionValue((text: string, previous: ParticipantSpec[]) => [
  ...previous,
  parseParticipant(text),
]);

/**
 * `contracts propose`: validates the proposal here with the repository's rules, creates it, and
 * with `--approve` signs it as the caller's zone (the key is read before anything is created, so
 * a bad key never leaves a proposal behind unapproved).
 */
export function contractsProposeCommand(env: CliEnvironment) {
  return withConnectionOptions(
    withConsentOptions(
      withWaitOptions(
        new Command('propose')
          .description('Propose a contract between two or more zones (repository admins).')
          .option(
            '--participant <spec>',
            'name=NAME,trust-domain=DOMAIN,root=ROOT.pem (repeat for each zone)',
            collectParticipant,
            [],
          )
          .option(
            '-f, --file <file>',
            'YAML/JSON {id, participants: [{name, trustDomain, root | rootPem}]} or a TrustContract resource',
          )
          .option('--id <id>', 'contract id, a DNS label (the repository assigns a UUID when absent)')
          .option(
            '--approve',
            'approve as your zone right after proposing (signs with --key, timestamped by --pki)',
          ),
      ),
    ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .addHelpText(
      'after',
      `
Examples:
  accordctl contracts propose --id ab --approve --wait \\
    --participant name=zone-a,trust-domain=zone-a.example,root=zone-a-root.pem \\
    --participant name=zone-b,trust-domain=zone-b.example,root=zone-b-root.pem
  accordctl contracts propose -f contract.yaml`,
    )
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      const proposal = await readProposal(env, options.id, options.participant, options.file);
      const propose = (signer: CallerConsentSigner | undefined) =>
        withRepository(env, connection, async (repository) => {
          const created = await repository.create(proposal);
          const approval =
            signer === undefined ? undefined : await approveContract(repository, signer, created, env.clock);
          let contract = approval?.contract ?? created;
          if (options.wait === true)
            contract = await awaitContractActive(repository, contract, waitOptionsOf(options, env));
          const view = contractView(contract);
          const approved =
            approval === undefined
              ? ''
              : ` and approved as ${approval.participant} (${approval.trustDomain})`;
          printResult(env, options.output, view, () =>
            formatContractResult(`contract ${view.id} proposed${approved}`, view),
          );
        });
      // The signer (key, PKI) is ready before anything is created: a bad key never leaves a proposal unapproved.
      await (options.approve === true
        ? withConsentSigner(env, connection, 'approve', propose)
        : propose(undefined));
    });
}
