import { InvalidConfigError } from '../config/load-config.js';
import { errorMessage } from '../errors/accord-error.js';
import {
  formatHelp,
  parseCommandLine,
  UsageError,
  type CommandSpec,
  type ParsedCommandLine,
} from './command-line.js';

/** Something a daemon started and must stop on SIGTERM/SIGINT. */
export interface Stoppable {
  close(): Promise<void>;
}

/**
 * The shared body of every daemon's `main.ts`: parse flags (printing `--help`), start, and stop
 * cleanly on SIGTERM/SIGINT. Bad flags exit 2 and invalid config exits 78 (EX_CONFIG) with a
 * message naming the field; any other start-up failure exits 1. This and `main.ts` files are the
 * only code that touches `process`.
 */
export function runDaemon(
  spec: CommandSpec,
  start: (commandLine: ParsedCommandLine) => Promise<Stoppable>,
): void {
  let commandLine: ParsedCommandLine;
  try {
    commandLine = parseCommandLine(spec, process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${spec.name}: ${errorMessage(error)}\nRun '${spec.name} --help' for usage.\n`);
    process.exit(2);
  }
  if (commandLine.isHelpRequested) {
    process.stdout.write(formatHelp(spec));
    return;
  }
  start(commandLine).then(
    (running) => {
      let isStopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (isStopping) return;
        isStopping = true;
        process.stderr.write(`${spec.name}: ${signal} received, stopping\n`);
        running.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`${spec.name}: stop failed: ${errorMessage(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (error: unknown) => {
      process.stderr.write(`${spec.name}: ${errorMessage(error)}\n`);
      process.exit(error instanceof UsageError ? 2 : error instanceof InvalidConfigError ? 78 : 1);
    },
  );
}
