import { Command } from '@commander-js/extra-typings';
import type { CliEnvironment } from '../cli-environment.js';
import { formatLoginOutcome, login } from '../login.js';
import { outputOption, printResult } from '../output-format.js';

/**
 * `login`: enrols the administrator with the zone PKI, as `kubectl`'s users expect a login to
 * leave a config file behind that every later command reads.
 */
export function loginCommand(env: CliEnvironment) {
  return new Command('login')
    .summary('Get your SVID from your zone PKI and write the config file the other commands read.')
    .description(
      'Get your X509-SVID from your zone PKI with a bootstrap token and write it, its key (0600) and a config ' +
        'file that the other commands read. A valid SVID is kept on a re-run; --renew replaces it.',
    )
    .option('--pki <host:port>', 'your zone PKI (remembered in the config file)')
    .option('--pki-ca <file>', "roots the PKI's certificate chains to, e.g. its roots.pem (first login)")
    .option('--token-file <file>', 'file holding the bootstrap token, or - to read it from stdin')
    .option('--repository <host:port>', 'contract repository to write into the config file')
    .option('--ca <file>', "roots the repository's certificate chains to, written into the config file")
    .option(
      '--config <file>',
      'config file to write (default $ACCORDCTL_CONFIG, then ~/.config/accord/accordctl.yaml)',
    )
    .option('--renew', 'get a new SVID even though the current one is valid (authenticated with it)')
    .addOption(outputOption(['table', 'json', 'yaml']))
    .addHelpText(
      'after',
      `
Examples:
  accordctl login --pki pki.zone-a.example:8443 --pki-ca zone-a-roots.pem --token-file admin.token \\
    --repository repo.hub.example:8443 --ca hub-roots.pem
  accordctl login --renew`,
    )
    .action(async (options) => {
      const outcome = await login(env, {
        config: options.config,
        pki: options.pki,
        pkiCa: options.pkiCa,
        tokenFile: options.tokenFile,
        repository: options.repository,
        ca: options.ca,
        isRenewing: options.renew === true,
      });
      printResult(env, options.output, outcome, () => formatLoginOutcome(outcome));
    });
}
