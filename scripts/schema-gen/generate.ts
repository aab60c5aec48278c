// `npm run generate` (scripts/generate.sh) runs this: it writes every artefact Accord derives from a
// typed definition — each CustomResourceDefinition into crds/ and the chart's identical copy into
// charts/accord/crds/, and the chart's values.schema.json and values.yaml.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { chartValues } from '../../charts/accord/values.js';
import type { CrdDefinition } from '../../lib/kube/crd-schema.js';
import { meshWorkloadCrd } from '../../operator/mesh-workload/mesh-workload-crd.js';
import { trustContractCrd } from '../../operator/trust-contract/trust-contract-crd.js';
import { crdFileName, crdYaml } from './crd-manifest.js';
import { valuesJsonSchema } from './values-json-schema.js';
import { valuesYaml } from './values-yaml.js';

/** Every CRD of Accord and the file that defines it (named in the generated file's header). */
const definitions: readonly { definition: CrdDefinition; source: string }[] = [
  { definition: trustContractCrd, source: 'operator/trust-contract/trust-contract-crd.ts' },
  { definition: meshWorkloadCrd, source: 'operator/mesh-workload/mesh-workload-crd.ts' },
];

/** Where the CRDs go: the repository's crds/ and the chart's crds/ (Helm installs those first). */
const outputDirectories = ['crds', join('charts', 'accord', 'crds')];

/** The chart whose values are generated, and the definition they come from. */
const chartDirectory = join('charts', 'accord');
const chartValuesSource = 'charts/accord/values.ts';

/** `text` in the repository's format for `file` (Prettier, with the options that apply to it). */
async function formatted(file: string, text: string, parser: 'yaml' | 'json'): Promise<string> {
  return format(text, { ...(await resolveConfig(file)), parser });
}

async function writeCrds(repositoryRoot: string): Promise<void> {
  const files = await Promise.all(
    definitions.map(async ({ definition, source }) => {
      const name = crdFileName(definition);
      const text = await formatted(join(repositoryRoot, 'crds', name), crdYaml(definition, source), 'yaml');
      return { name, text };
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

async function writeChartValues(repositoryRoot: string): Promise<void> {
  const schemaFile = join(repositoryRoot, chartDirectory, 'values.schema.json');
  const valuesFile = join(repositoryRoot, chartDirectory, 'values.yaml');
  const schema = JSON.stringify(valuesJsonSchema(chartValues), null, 2);
  await writeFile(schemaFile, await formatted(schemaFile, schema, 'json'));
  await writeFile(
    valuesFile,
    await formatted(valuesFile, valuesYaml(chartValues, chartValuesSource), 'yaml'),
  );
}

async function main(repositoryRoot: string): Promise<void> {
  await writeCrds(repositoryRoot);
  await writeChartValues(repositoryRoot);
}

await main(process.argv[2] ?? process.cwd());
