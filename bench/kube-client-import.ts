import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { repositoryRoot } from '../test/support/test-tools.js';
import type { BenchFigure } from './bench-figure.js';
import { percentile } from './percentiles.js';

/** Sizes of the Kubernetes client import benchmark. */
export interface KubeClientImportOptions {
  /** Fresh processes per alternative; the figures are their medians. */
  readonly repetitions: number;
  readonly progress: (message: string) => void;
}

const run = promisify(execFile);
const megabyte = 1000 * 1000;

function built(path: string): string {
  return pathToFileURL(join(repositoryRoot, 'dist', path)).href;
}

const clientNodeApiGroupsUsed = [
  'CoreV1Api',
  'CustomObjectsApi',
  'CoordinationV1Api',
  'AdmissionregistrationV1Api',
  'AuthenticationV1Api',
];

/**
 * The ways a component can get a Kubernetes client, each loaded into a fresh Node process: issue
 * 13 asked to measure the alternatives to importing all of @kubernetes/client-node before
 * deciding. In client-node 1.x, `config.js` (KubeConfig) imports `gen/index.js`, every API group
 * and all generated models, and its typed `CoreV1Api` lives in one module with every other group
 * (`gen/types/ObjectParamAPI.js`); only the generated request factories of single groups
 * (`gen/apis/<Group>Api.js`) load less, and they need a KubeConfig-like configuration to call.
 */
const alternatives: readonly { readonly name: string; readonly modules: readonly string[] }[] = [
  { name: 'node-baseline', modules: [] },
  // What Accord's client loads besides itself: the kubeconfig parser and its schema library, which
  // every component loads anyway for its own config file.
  { name: 'yaml-zod', modules: ['yaml', 'zod'] },
  { name: 'client-node-full', modules: ['@kubernetes/client-node'] },
  { name: 'client-node-config', modules: ['@kubernetes/client-node/dist/config.js'] },
  {
    name: 'client-node-config-core',
    modules: [
      '@kubernetes/client-node/dist/config.js',
      '@kubernetes/client-node/dist/gen/types/ObjectParamAPI.js',
    ],
  },
  // The request factories of the five groups Accord calls, without KubeConfig.
  {
    name: 'client-node-api-groups',
    modules: clientNodeApiGroupsUsed.map((group) => `@kubernetes/client-node/dist/gen/apis/${group}.js`),
  },
  {
    // The same five groups' calls, with the kubeconfig loading and the connection pool.
    name: 'accord-kube-client',
    modules: [
      'kube-client',
      'kube-core-api',
      'kube-custom-objects-api',
      'kube-coordination-api',
      'kube-admission-registration-api',
      'token-review',
    ].map((module) => built(`lib/kube/${module}.js`)),
  },
  // The whole operator, not started: every module its process loads before it connects anywhere.
  { name: 'operator-modules', modules: ['reflect-metadata', built('operator/start-operator.js')] },
];

/** Runs in the child: imports the modules in order, then reports RSS after two full collections. */
const childScript = `
const started = performance.now();
for (const specifier of JSON.parse(process.argv[1])) await import(specifier);
const importMs = performance.now() - started;
globalThis.gc();
await new Promise((resolve) => setTimeout(resolve, 100));
globalThis.gc();
process.stdout.write(JSON.stringify({ rssBytes: process.memoryUsage().rss, importMs }));
`;

interface ImportSample {
  readonly rssBytes: number;
  readonly importMs: number;
}

async function sample(modules: readonly string[]): Promise<ImportSample> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--input-type=module', '--eval', childScript, JSON.stringify(modules)],
    { cwd: repositoryRoot },
  );
  return JSON.parse(stdout) as ImportSample;
}

/**
 * Resident memory (decimal MB, after garbage collection) and import time of each alternative, the
 * median of `repetitions` fresh processes; the processes run one after another.
 */
export async function runKubeClientImportBenchmark(options: KubeClientImportOptions): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  for (const alternative of alternatives) {
    options.progress(`kube-client: importing ${alternative.name}`);
    const samples: ImportSample[] = [];
    for (let repetition = 0; repetition < options.repetitions; repetition += 1) {
      samples.push(await sample(alternative.modules));
    }
    const name = `kube-client-import-${alternative.name}`;
    figures.push(
      {
        name,
        metric: 'rss',
        value: percentile(
          samples.map((each) => each.rssBytes / megabyte),
          0.5,
        ),
        unit: 'MB',
      },
      {
        name,
        metric: 'import',
        value: percentile(
          samples.map((each) => each.importMs),
          0.5,
        ),
        unit: 'ms',
      },
    );
  }
  return figures;
}
