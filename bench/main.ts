import 'reflect-metadata';
import { formatHelp } from '../lib/cli/command-line.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { formatBenchFigure, type BenchFigure } from './bench-figure.js';
import {
  benchCommandSpec,
  parseBenchOptions,
  type BenchmarkName,
  type BenchOptions,
} from './bench-options.js';
import { fullSizes, quickSizes } from './bench-sizes.js';
import { runHubDurabilityBenchmark } from './hub-durability.js';
import { runImageBuildBenchmark } from './image-build.js';
import { runKubeClientImportBenchmark } from './kube-client-import.js';
import { runKubePropagationBenchmark } from './kube-propagation.js';
import { runLiveMeshBenchmark } from './live-mesh.js';
import { formatMachineFacts, readMachineFacts } from './machine-facts.js';
import { readCpuTimes } from './process-cpu.js';
import { runPropagationBenchmark } from './propagation.js';
import { runRootRotationBenchmark } from './root-rotation.js';
import { runRepositoryKubeScaleBenchmark } from './repository-kube-scale.js';
import { runRepositoryScaleBenchmark } from './repository-scale.js';
import { runTranslatorPathBenchmark } from './translator-path.js';

const propagationTimeoutMs = 10_000;
const pairSeed = 2;

const startedMs = performance.now();
const progress = (message: string): void => {
  process.stderr.write(`[bench ${((performance.now() - startedMs) / 1000).toFixed(1)}s] ${message}\n`);
};

function run(name: BenchmarkName, options: BenchOptions): Promise<BenchFigure[]> {
  const sizes = options.isQuick ? quickSizes : fullSizes;
  switch (name) {
    case 'propagation':
      return runPropagationBenchmark({
        ...sizes.propagation,
        propagationTimeoutMs,
        seed: pairSeed,
        progress,
      });
    case 'root-rotation':
      return runRootRotationBenchmark({ ...sizes.rootRotation, progress });
    case 'repository':
      return runRepositoryScaleBenchmark({ ...sizes.repository, progress });
    case 'repository-kube':
      return runRepositoryKubeScaleBenchmark({ ...sizes.repositoryKube, progress });
    case 'kube-propagation':
      return runKubePropagationBenchmark({ ...sizes.kubePropagation, progress });
    case 'kube-client':
      return runKubeClientImportBenchmark({ ...sizes.kubeClientImport, progress });
    case 'hub-durability':
      return runHubDurabilityBenchmark({ ...sizes.hubDurability, progress });
    case 'image':
      // One size: the image and its builds are what they are.
      return runImageBuildBenchmark({ progress });
    case 'live-mesh':
      return runLiveMeshBenchmark({ ...sizes.liveMesh, progress });
    case 'translator-path':
      return runTranslatorPathBenchmark({
        ...sizes.translatorPath,
        progress,
        cpuTimes: () => readCpuTimes(process.pid, process.cpuUsage()),
      });
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${errorMessage(error)}\nRun 'npm run bench -- --help' for usage.\n`);
    return 2;
  }
  if (options.isHelpRequested) {
    process.stdout.write(formatHelp(benchCommandSpec));
    return 0;
  }
  const mode = options.isQuick ? 'quick' : 'full';
  const header = formatMachineFacts(readMachineFacts(process.version), mode, new Date());
  process.stdout.write(`${header.join('\n')}\n`);
  for (const name of options.benchmarks) {
    const figures = await run(name, options);
    process.stdout.write(`${figures.map(formatBenchFigure).join('\n')}\n`);
  }
  progress(`done in ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
