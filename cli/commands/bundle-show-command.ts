import { Command } from '@commander-js/extra-typings';
import type { CliEnvironment } from '../cli-environment.js';
import { formatTable } from '../format-table.js';
import { outputOption, printResult } from '../output-format.js';
import { readBundles } from '../show-bundles.js';

/** `bundle show --dir DIR`: the roots a provider installed, read from disk; needs no repository. */
export function bundleShowCommand(env: CliEnvironment) {
  return new Command('show')
    .description(
      'List the roots per trusted zone a provider wrote to DIR (its outputDirectory); needs no repository.',
    )
    .requiredOption('--dir <dir>', "the provider's output directory")
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (options) => {
      const rows = await readBundles(env, options.dir);
      if (rows.length === 0 && options.output === 'table') {
        env.stderr.write(`No trusted zones: ${options.dir} holds no bundles.\n`);
        return;
      }
      printResult(env, options.output, rows, () =>
        formatTable(
          ['trust domain', 'sha-256', 'subject', 'not after'],
          rows.map((row) => [row.trustDomain, row.sha256, row.subject, row.notAfter]),
        ),
      );
    });
}
