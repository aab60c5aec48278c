import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { CliEnvironment } from './cli-environment.js';
import { auditVerifyCommand } from './commands/audit-verify-command.js';
import { bundleShowCommand } from './commands/bundle-show-command.js';
import { completeCommand, completionCommand } from './commands/completion-command.js';
import { consoleCommand } from './commands/console-command.js';
import { contractsApproveCommand } from './commands/contracts-approve-command.js';
import { contractsDeleteCommand } from './commands/contracts-delete-command.js';
import { contractsListCommand } from './commands/contracts-list-command.js';
import { contractsProposeCommand } from './commands/contracts-propose-command.js';
import { contractsRevokeCommand } from './commands/contracts-revoke-command.js';
import { contractsShowCommand } from './commands/contracts-show-command.js';
import { contractsWatchCommand } from './commands/contracts-watch-command.js';
import { loginCommand } from './commands/login-command.js';
import { rootActivateCommand } from './commands/root-activate-command.js';
import { rootAnnounceCommand } from './commands/root-announce-command.js';
import { rootCancelCommand } from './commands/root-cancel-command.js';
import { rootEmergencyCommand } from './commands/root-emergency-command.js';
import { rootPrepareCommand } from './commands/root-prepare-command.js';
import { rootStatusCommand } from './commands/root-status-command.js';
import { versionCommand } from './commands/version-command.js';

const exitCodesHelp = `
Exit codes: 0 ok, 1 failed (server error or local check), 2 usage error,
3 repository or PKI unreachable, 4 audit log verification failed, 5 --wait timed out.`;

/**
 * accordctl's command tree. Each command is a factory in `commands/` that receives the
 * environment; adding one (e.g. `console`) is a new file there and one line here.
 */
export function accordctlProgram(env: CliEnvironment): CommandUnknownOpts {
  const program = new Command('accordctl')
    .description(
      "Administer Accord: trust contracts between zones, your zone's root rotations, the audit log, installed bundles and your SVID.",
    )
    .version(`accordctl ${env.version}`, '--version', 'print the version')
    .addHelpText('after', exitCodesHelp)
    .addCommand(
      group('contracts', 'Propose, approve, revoke, list and watch trust contracts.', [
        contractsProposeCommand(env),
        contractsApproveCommand(env),
        contractsRevokeCommand(env),
        contractsDeleteCommand(env),
        contractsListCommand(env),
        contractsShowCommand(env),
        contractsWatchCommand(env),
      ]),
    )
    .addCommand(
      group(
        'root',
        "Rotate your zone's root across every contract it is in (announced, or in an emergency).",
        [
          rootPrepareCommand(env),
          rootAnnounceCommand(env),
          rootStatusCommand(env),
          rootActivateCommand(env),
          rootCancelCommand(env),
          rootEmergencyCommand(env),
        ],
      ),
    )
    .addCommand(group('audit', "Verify the repository's audit log.", [auditVerifyCommand(env)]))
    .addCommand(group('bundle', 'Inspect the bundles a provider installed.', [bundleShowCommand(env)]))
    .addCommand(loginCommand(env))
    .addCommand(consoleCommand(env))
    .addCommand(completionCommand(env))
    .addCommand(versionCommand(env))
    .addCommand(completeCommand(env), { hidden: true });
  configureTree(program, 'accordctl', env);
  return program;
}

function group(
  name: string,
  description: string,
  commands: readonly CommandUnknownOpts[],
): CommandUnknownOpts {
  const command = new Command(name).description(description).helpCommand(false);
  for (const subcommand of commands) command.addCommand(subcommand);
  return command;
}

/**
 * What every command shares, set on each (commander copies settings only to commands it creates
 * itself): errors thrown rather than `process.exit`, output to the injected streams, commander's
 * "error: " spelled `accordctl: ` as every other accordctl error, and a pointer to the command's
 * own help after a usage error.
 */
function configureTree(command: CommandUnknownOpts, path: string, env: CliEnvironment): void {
  command
    .exitOverride()
    .configureOutput({
      writeOut: (text) => env.stdout.write(text),
      writeErr: (text) => env.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'accordctl: ')),
    })
    .showHelpAfterError(`Run '${path} --help' for usage.`);
  for (const subcommand of command.commands) configureTree(subcommand, `${path} ${subcommand.name()}`, env);
}
