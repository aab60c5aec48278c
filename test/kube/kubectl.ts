import { execFile } from 'node:child_process';
import { testTool } from '../support/test-tools.js';

/** What kubectl printed and how it exited. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real kubectl with `kubeconfig`. A non-zero exit is a result, not an error: tests assert
 * refusals (`auth can-i` answers "no" with 1; the API server's validation messages on stderr).
 */
export function kubectl(kubeconfig: string, ...args: string[]): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(testTool('kubectl'), ['--kubeconfig', kubeconfig, ...args], (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}
