import type { CommandUnknownOpts, Option } from '@commander-js/extra-typings';

/** The shells `accordctl completion` writes a script for. */
export const completionShells = ['bash', 'zsh'] as const;
export type CompletionShell = (typeof completionShells)[number];

/** Printed instead of candidates when the word is a file name: the shell completes it itself. */
export const fileNamesDirective = ':files';

/** Printed instead of candidates when the word is a directory name. */
export const directoryNamesDirective = ':dirs';

/** What completion may look up beyond the command tree. */
export interface CompletionLookups {
  /**
   * The ids of the contracts the caller can see, for an `<id>` argument, with the flags typed so
   * far (`--config`, `--repository`, …); empty when the repository cannot be asked quickly.
   */
  contractIds(flags: Readonly<Record<string, string>>): Promise<string[]>;
}

/**
 * The candidates for the last of `words` (the word being typed; `''` after a space), from the
 * command tree itself so they never drift from what the parser accepts: subcommands, the
 * command's own flags, a flag's choices, file or directory names for `<file>` and `<dir>` values, an
 * argument's choices, and contract ids for `<id>`. Only candidates starting with the typed prefix.
 */
export async function completionCandidates(
  program: CommandUnknownOpts,
  words: readonly string[],
  lookups: CompletionLookups,
): Promise<string[]> {
  const current = words.at(-1) ?? '';
  let command = program;
  let operands = 0;
  let awaitingValue: Option | undefined;
  const flags: Record<string, string> = {};
  for (const word of words.slice(0, -1)) {
    if (awaitingValue !== undefined) {
      flags[awaitingValue.attributeName()] = word;
      awaitingValue = undefined;
    } else if (word.startsWith('-')) {
      const [name = '', inlineValue] = word.split(/=(.*)/s);
      const option = optionsOf(command).find(
        (candidate) => candidate.long === name || candidate.short === name,
      );
      if (option === undefined || option.isBoolean()) continue;
      if (inlineValue === undefined) awaitingValue = option;
      else flags[option.attributeName()] = inlineValue;
    } else {
      const subcommand = subcommandsOf(command).find((candidate) => candidate.name() === word);
      if (subcommand !== undefined) command = subcommand;
      else if (command.commands.length > 0)
        return []; // no such command: nothing fits after it
      else operands += 1;
    }
  }
  const matching = (candidates: readonly string[]) =>
    candidates.filter((candidate) => candidate.startsWith(current));
  if (awaitingValue !== undefined) return valueCandidates(awaitingValue, matching);
  if (current.startsWith('-')) {
    return matching(optionsOf(command).flatMap((option) => (option.long === undefined ? [] : [option.long])));
  }
  if (command.commands.length > 0)
    return matching(subcommandsOf(command).map((subcommand) => subcommand.name()));
  const argument = command.registeredArguments[operands];
  if (argument?.argChoices !== undefined) return matching(argument.argChoices);
  if (argument?.name() === 'id') return matching(await lookups.contractIds(flags));
  return [];
}

function valueCandidates(option: Option, matching: (candidates: readonly string[]) => string[]): string[] {
  if (option.argChoices !== undefined) return matching(option.argChoices);
  if (option.flags.includes('<file>')) return [fileNamesDirective];
  return option.flags.includes('<dir>') ? [directoryNamesDirective] : [];
}

function optionsOf(command: CommandUnknownOpts): readonly Option[] {
  return command.createHelp().visibleOptions(command);
}

function subcommandsOf(command: CommandUnknownOpts): readonly CommandUnknownOpts[] {
  return command.createHelp().visibleCommands(command);
}

/**
 * The bash function behind both scripts. It asks `accordctl __complete` for the candidates of the
 * words typed so far, so the binary that parses a command line is the one that completes it. It
 * uses only what zsh's bash completion emulation (bashcompinit) also provides: the current word as
 * `$2`, COMP_WORDS/COMP_CWORD, `compgen -f` and COMPREPLY.
 */
const bashFunction = `_accordctl() {
  local current="$2" candidates line
  COMPREPLY=()
  candidates="$("\${COMP_WORDS[0]}" __complete -- "\${COMP_WORDS[@]:1:$((COMP_CWORD - 1))}" "$current" 2>/dev/null)" || return 0
  case "$candidates" in
    ${fileNamesDirective}|${directoryNamesDirective})
      compopt -o filenames 2>/dev/null
      local kind=-f
      [ "$candidates" = "${directoryNamesDirective}" ] && kind=-d
      while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen "$kind" -- "$current")
      return 0 ;;
  esac
  while IFS= read -r line; do
    [ -n "$line" ] && COMPREPLY+=("$line")
  done <<< "$candidates"
  return 0
}
complete -F _accordctl accordctl
`;

/** The script `accordctl completion SHELL` prints. */
export function completionScript(shell: CompletionShell): string {
  switch (shell) {
    case 'bash':
      return `# bash completion for accordctl. Load it in this shell with
#   source <(accordctl completion bash)
# or for every shell: accordctl completion bash > /etc/bash_completion.d/accordctl
${bashFunction}`;
    case 'zsh':
      return `# zsh completion for accordctl, through zsh's bash completion support. Load it with
#   source <(accordctl completion zsh)
# (in ~/.zshrc for every shell).
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }
autoload -U +X bashcompinit && bashcompinit
${bashFunction}`;
  }
}
