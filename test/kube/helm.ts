import { type CommandResult, runCommand } from '../support/run-command.js';
import { testTool } from '../support/test-tools.js';

/**
 * Runs the real helm. A non-zero exit is a result, not an error: the chart tests assert its
 * refusals (values schema errors on stderr).
 */
export function helm(...args: string[]): Promise<CommandResult> {
  return runCommand(testTool('helm'), args);
}
