import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** Where scripts/provision-test-tools.sh puts the test tools unless ACCORD_TOOLS_DIR says otherwise. */
const defaultToolsBin = resolve(__dirname, '../../.cache/accord-tools/bin');

/**
 * Finds an external test tool (grpcurl, openssl, …) in the provisioned tools directory or on PATH.
 * Tests fail, rather than skip, when a tool is missing: `npm test` provisions them.
 */
export function testTool(name: string): string {
  const toolsBin =
    process.env.ACCORD_TOOLS_DIR === undefined ? defaultToolsBin : join(process.env.ACCORD_TOOLS_DIR, 'bin');
  const candidates = [toolsBin, ...(process.env.PATH ?? '').split(delimiter)].map((directory) =>
    join(directory, name),
  );
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} not found: run 'bash scripts/provision-test-tools.sh' (npm test does it for you)`);
}
