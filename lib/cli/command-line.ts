import { parseArgs } from 'node:util';

/** One command-line flag; `description` feeds `--help`. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  description: string;
  short?: string;
  multiple?: boolean;
  /** Shown in help as `--flag VALUE`. */
  valueName?: string;
}

/** A command's flags and help text. */
export interface CommandSpec {
  /** e.g. `accord-pki` or `accordctl contracts propose`. */
  name: string;
  summary: string;
  /** Positional arguments as shown in the usage line, e.g. `CONTRACT_ID`. */
  positionals?: string;
  flags: Record<string, FlagSpec>;
}

/** Wrong command-line usage; entrypoints print it with the help hint and exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface ParsedCommandLine {
  values: FlagValues;
  positionals: string[];
  isHelpRequested: boolean;
}

/** Parses argv against a spec; unknown flags and missing values become a `UsageError`. */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParsedCommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, flag] of Object.entries(spec.flags)) {
    options[name] = {
      type: flag.type,
      ...(flag.short === undefined ? {} : { short: flag.short }),
      ...(flag.multiple === undefined ? {} : { multiple: flag.multiple }),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
    const { help, ...rest } = values as FlagValues & { help?: boolean };
    return { values: rest, positionals, isHelpRequested: help === true };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The `--help` text of a command. */
export function formatHelp(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, flag]) => {
    const short = flag.short === undefined ? '    ' : `-${flag.short}, `;
    const value = flag.type === 'string' ? ` ${flag.valueName ?? 'VALUE'}` : '';
    return {
      left: `  ${short}--${name}${value}`,
      right: flag.description + (flag.multiple ? ' (repeatable)' : ''),
    };
  });
  rows.push({ left: '  -h, --help', right: 'Show this help.' });
  const width = Math.max(...rows.map((row) => row.left.length)) + 2;
  const usage = `Usage: ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''} [flags]`;
  return [
    usage,
    '',
    spec.summary,
    '',
    'Flags:',
    ...rows.map((row) => row.left.padEnd(width) + row.right),
    '',
  ].join('\n');
}

/** Reads a string flag, or undefined when absent. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Reads an integer flag, or undefined when absent; a non-integer is a `UsageError`. */
export function integerFlag(values: FlagValues, name: string): number | undefined {
  const value = stringFlag(values, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, got "${value}"`);
  return Number(value);
}
