import { CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { UsageError } from '../lib/cli/command-line.js';
import { InvalidConfigError } from '../lib/config/load-config.js';
import { AuditChainError } from '../lib/contract/audit-chain.js';
import { AccordError, errorMessage } from '../lib/errors/accord-error.js';
import { statusName, statusOfKind } from '../lib/grpc/grpc-status.js';
import { accordctlProgram } from './accordctl-program.js';
import { WaitTimeoutError } from './await-contract-active.js';
import type { CliEnvironment } from './cli-environment.js';
import { ExitCode } from './exit-codes.js';

/**
 * Runs accordctl: parses `argv` with the command tree, runs the command against the injected
 * environment, and returns the exit code (see exit-codes.ts). Results go to stdout; an error is
 * one line on stderr with the gRPC status name, never a stack trace, and nothing on stdout.
 */
export async function runCli(argv: readonly string[], env: CliEnvironment): Promise<ExitCode> {
  const program = accordctlProgram(env);
  let commandPath = 'accordctl';
  program.hook('preAction', (_program, actionCommand) => {
    commandPath = pathOf(actionCommand);
  });
  try {
    await program.parseAsync(kubectlArgv(program, argv), { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    return reportError(error, env, commandPath);
  }
}

/**
 * Adjusts argv where commander and kubectl disagree, before commander parses it:
 * - commander answers `accordctl contract --help` (a typo, then --help) with the parent's help
 *   and exit 0, so the typo goes unnoticed; kubectl reports the unknown command. Dropping the help
 *   flag after a word that names no command lets commander report it, with its "did you mean".
 * - commander answers `accordctl` or `accordctl contracts` (a group, no command) with the help on
 *   stderr and exit 1; kubectl prints the help as asked for, on stdout with exit 0.
 */
export function kubectlArgv(program: CommandUnknownOpts, argv: readonly string[]): string[] {
  let command = program;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    if (command.commands.length === 0 || (command === program && word === 'help')) return [...argv];
    const subcommand = command.commands.find((candidate) => candidate.name() === word);
    if (subcommand === undefined)
      return argv.filter((argument) => argument !== '--help' && argument !== '-h');
    command = subcommand;
  }
  return command.commands.length > 0 && !argv.includes('--version') ? [...argv, '--help'] : [...argv];
}

function pathOf(command: CommandUnknownOpts): string {
  return command.parent === null ? command.name() : `${pathOf(command.parent)} ${command.name()}`;
}

function reportError(error: unknown, env: CliEnvironment, commandPath: string): ExitCode {
  if (error instanceof CommanderError) {
    // commander printed the help, the version or the usage error already.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof UsageError || error instanceof InvalidConfigError) {
    env.stderr.write(`accordctl: ${error.message}\nRun '${commandPath} --help' for usage.\n`);
    return ExitCode.usage;
  }
  if (error instanceof AuditChainError) {
    env.stderr.write(
      `accordctl: audit log verification FAILED at entry ${error.sequence}: ${error.message}\n`,
    );
    return ExitCode.auditVerificationFailed;
  }
  if (error instanceof WaitTimeoutError) {
    env.stderr.write(`accordctl: ${error.message}\n`);
    return ExitCode.waitTimedOut;
  }
  if (error instanceof AccordError) {
    env.stderr.write(`accordctl: ${statusName(statusOfKind(error.kind))}: ${error.message}\n`);
    return error.kind === 'Unavailable' ? ExitCode.unreachable : ExitCode.failure;
  }
  env.stderr.write(`accordctl: ${errorMessage(error)}\n`);
  return ExitCode.failure;
}
