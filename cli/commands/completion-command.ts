import { Argument, Command } from '@commander-js/extra-typings';
import { errorMessage } from '../../lib/errors/accord-error.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withRepository } from '../connection-options.js';
import { completionCandidates, completionScript, completionShells } from '../shell-completion.js';

/** How long a TAB may wait for the repository's contract ids before completing nothing. */
const contractIdsDeadlineMs = 2000;

/** `completion bash|zsh`: prints the shell's completion script. */
export function completionCommand(env: CliEnvironment) {
  return new Command('completion')
    .description('Print the shell completion script for bash or zsh.')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(completionShells))
    .addHelpText(
      'after',
      `
Load it in the current shell:
  source <(accordctl completion bash)      # or zsh
or for every bash: accordctl completion bash > /etc/bash_completion.d/accordctl`,
    )
    .action((shell) => {
      env.stdout.write(completionScript(shell));
    });
}

/**
 * `__complete -- WORDS…` (hidden): the candidates the completion scripts show, one per line.
 * Contract ids come from the repository the typed flags or the config file name, within
 * `contractIdsDeadlineMs`; any failure there completes nothing rather than printing an error.
 */
export function completeCommand(env: CliEnvironment) {
  return new Command('__complete')
    .description('Print the completion candidates of a command line (used by the completion scripts).')
    .argument('[words...]', 'the words typed after accordctl, the last one being completed')
    .action(async (words, _options, command) => {
      const program = command.parent ?? command;
      const candidates = await completionCandidates(program, words, {
        contractIds: async (flags) => {
          try {
            const connection = await resolveConnection(flags, env);
            const contracts = await withRepository(env, connection, (repository) =>
              withDeadline(env, repository.list(undefined), contractIdsDeadlineMs),
            );
            return contracts.map((contract) => contract.id);
          } catch (error) {
            env.stderr.write(`accordctl: no contract ids to complete: ${errorMessage(error)}\n`);
            return [];
          }
        },
      });
      env.stdout.write(candidates.map((candidate) => `${candidate}\n`).join(''));
    });
}

function withDeadline<T>(env: CliEnvironment, promise: Promise<T>, deadlineMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = env.timers.setTimeout(
      () => reject(new Error(`no answer within ${deadlineMs} ms`)),
      deadlineMs,
    );
    promise.then(resolve, reject).finally(() => env.timers.clearTimeout(timer));
  });
}
