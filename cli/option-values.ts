import { InvalidArgumentError as InvalidOptionValueError } from '@commander-js/extra-typings';
import { UsageError } from '../lib/cli/command-line.js';
import { AccordError } from '../lib/errors/accord-error.js';
import { parseDurationMs } from '../lib/time/duration.js';

/**
 * Turns a value parser into a commander option parser: its error becomes commander's, which names
 * the option and the value ("option '--timeout <duration>' argument '5x' is invalid. …").
 */
export function optionValue<T, P = T>(
  parse: (text: string, previous: P) => T,
): (text: string, previous: P) => T {
  return (text, previous) => {
    try {
      return parse(text, previous);
    } catch (error) {
      if (error instanceof UsageError || error instanceof AccordError)
        throw new InvalidOptionValueError(error.message);
      throw error;
    }
  };
}

/** `--timeout 60s`: a kubectl-style duration, in milliseconds. */
export const durationValue = optionValue((text: string) => parseDurationMs(text));
