import { Command } from '@commander-js/extra-typings';
import type { CliEnvironment } from '../cli-environment.js';
import { outputOption, printResult } from '../output-format.js';

/** `version`: accordctl's version, as `kubectl version --client`. */
export function versionCommand(env: CliEnvironment) {
  return new Command('version')
    .description("Print accordctl's version.")
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action((options) => {
      printResult(env, options.output, { version: env.version }, () => `accordctl ${env.version}\n`);
    });
}
