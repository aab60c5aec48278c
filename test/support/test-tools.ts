import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root directory: the nearest directory above this file holding package.json.
 * Found from `import.meta.url`, so it is the same whether this runs from the sources (jest) or from
 * `dist/` (the benchmarks), where ES modules have no `__dirname`.
 */
export const repositoryRoot = findRepositoryRoot(dirname(fileURLToPath(import.meta.url)));

/** Where scripts/provision-test-tools.sh puts the test tools unless ACCORD_TOOLS_DIR says otherwise. */
const defaultToolsBin = join(repositoryRoot, '.cache/accord-tools/bin');

function findRepositoryRoot(start: string): string {
  for (let directory = start; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json'))) return directory;
    if (dirname(directory) === directory) throw new Error(`no package.json above ${start}`);
  }
}

/**
 * Finds an external test tool (grpcurl, openssl, envoy, …) in the provisioned tools directory or on
 * PATH. Tests fail, rather than skip, when a tool is missing: `npm test` provisions them.
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
  throw new Error(`${name} not found: run 'bash ${provisioningScript(name)}' (npm test does it for you)`);
}

/** The tools of a real node (test/node), provisioned by their own script. */
const nodeTools = ['kubelet', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'coredns'];

/** The script that provisions a tool, named in the error when the tool is missing. */
function provisioningScript(name: string): string {
  if (name === 'envoy') return 'scripts/provision-envoy.sh';
  if (nodeTools.includes(name)) return 'scripts/provision-node-tools.sh';
  return 'scripts/provision-test-tools.sh';
}
