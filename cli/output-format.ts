import { Option } from '@commander-js/extra-typings';
import { stringify as stringifyYaml } from 'yaml';
import type { CliEnvironment } from './cli-environment.js';

/** How results are printed: aligned columns for people, JSON or YAML for scripts (kubectl's `-o`). */
export type OutputFormat = 'table' | 'json' | 'yaml';

/** `-o, --output`, restricted to the formats a command can print. */
export function outputOption<const F extends readonly OutputFormat[]>(formats: F) {
  return new Option('-o, --output <format>', 'output format').choices(formats).default('table');
}

/** Prints a command's result: `value` as JSON or YAML, or the human form `table()` renders. */
export function printResult(
  env: CliEnvironment,
  format: OutputFormat,
  value: unknown,
  table: () => string,
): void {
  switch (format) {
    case 'json':
      env.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      return;
    case 'yaml':
      env.stdout.write(stringifyYaml(value));
      return;
    case 'table':
      env.stdout.write(table());
      return;
  }
}
