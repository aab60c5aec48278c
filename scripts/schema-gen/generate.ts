// `npm run generate` (scripts/generate.sh) runs this: it writes every CustomResourceDefinition from its
// typed definition into crds/ and the chart's identical copy into charts/accord/crds/.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { CrdDefinition } from '../../lib/kube/crd-schema.js';
import { meshWorkloadCrd } from '../../operator/mesh-workload/mesh-workload-crd.js';
import { trustContractCrd } from '../../operator/trust-contract/trust-contract-crd.js';
import { crdFileName, crdYaml } from './crd-manifest.js';

/** Every CRD of Accord and the file that defines it (named in the generated file's header). */
const definitions: readonly { definition: CrdDefinition; source: string }[] = [
  { definition: trustContractCrd, source: 'operator/trust-contract/trust-contract-crd.ts' },
  { definition: meshWorkloadCrd, source: 'operator/mesh-workload/mesh-workload-crd.ts' },
];

/** Where the CRDs go: the repository's crds/ and the chart's crds/ (Helm installs those first). */
const outputDirectories = ['crds', join('charts', 'accord', 'crds')];

async function main(repositoryRoot: string): Promise<void> {
  const files = await Promise.all(
    definitions.map(async ({ definition, source }) => {
      const name = crdFileName(definition);
      const options = await resolveConfig(join(repositoryRoot, 'crds', name));
      return { name, text: await format(crdYaml(definition, source), { ...options, parser: 'yaml' }) };
    }),
  );
  for (const directory of outputDirectories.map((folder) => join(repositoryRoot, folder))) {
    await mkdir(directory, { recursive: true });
    // A CRD whose definition was removed must not linger.
    for (const stale of (await readdir(directory)).filter((name) => name.endsWith('.yaml'))) {
      await rm(join(directory, stale));
    }
    for (const { name, text } of files) await writeFile(join(directory, name), text);
  }
}

await main(process.argv[2] ?? process.cwd());
