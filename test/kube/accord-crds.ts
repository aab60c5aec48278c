import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '../support/test-tools.js';
import { kubectl } from './kubectl.js';

/** crds/: Accord's CustomResourceDefinitions, generated from their typed definitions (docs/crds.md). */
export const accordCrdDirectory = join(repositoryRoot, 'crds');

/** The `.yaml` files of `directory`, sorted: one test case or manifest each. */
export function yamlFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.yaml'))
    .sort();
}

/**
 * Applies the CRDs in `directory` (default crds/) as the admin of `kubeconfig` and waits until the
 * API server serves them; throws with kubectl's message otherwise.
 */
export async function installAccordCrds(kubeconfig: string, directory = accordCrdDirectory): Promise<void> {
  for (const args of [
    ['apply', '--server-side', '-f', directory],
    [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/trustcontracts.accord.dev',
      'crd/meshworkloads.accord.dev',
    ],
  ]) {
    const result = await kubectl(kubeconfig, ...args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  }
}
