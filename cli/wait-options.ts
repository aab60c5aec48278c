import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import type { WaitOptions } from './await-contract-active.js';
import type { CliEnvironment } from './cli-environment.js';
import { durationValue } from './option-values.js';

const defaultTimeoutMs = 60_000;

/** `--wait [--timeout 60s]`, for the commands whose result may be a contract becoming active. */
export function withWaitOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
) {
  return command
    .option('--wait', 'return only once the contract is active (or fail with the reason it will not be)')
    .addOption(
      new Option('--timeout <duration>', 'how long --wait waits, e.g. 30s, 5m (exit code 5 when it runs out)')
        .argParser(durationValue)
        .default(defaultTimeoutMs, '60s'),
    );
}

/** The bounds of a `--wait`, from the flags and the environment (its timers, its Ctrl-C). */
export function waitOptionsOf(options: { timeout: number }, env: CliEnvironment): WaitOptions {
  return { timeoutMs: options.timeout, timers: env.timers, interrupted: env.interrupted };
}
