import { type CommandResult, runCommand } from '../support/run-command.js';
import { testTool } from '../support/test-tools.js';

/** What kubectl printed and how it exited. */
export type KubectlResult = CommandResult;

/**
 * Runs the real kubectl with `kubeconfig`. A non-zero exit is a result, not an error: tests assert
 * refusals (`auth can-i` answers "no" with 1; the API server's validation messages on stderr).
 */
export function kubectl(kubeconfig: string, ...args: string[]): Promise<KubectlResult> {
  return runCommand(testTool('kubectl'), ['--kubeconfig', kubeconfig, ...args]);
}
