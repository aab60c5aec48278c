import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { repositoryRoot } from '../test/support/test-tools.js';
import type { BenchFigure } from './bench-figure.js';
import { readWaitedChildrenCpuMs } from './process-cpu.js';

const run = promisify(execFile);

/** How the image benchmark reports progress. */
export interface ImageBuildOptions {
  readonly progress: (message: string) => void;
}

/** The cold accord build compiles and installs dependencies: minutes on a loaded 2-core machine. */
const buildTimeoutMs = 15 * 60_000;

/**
 * Issue 12's image figures: the accord image's size (its layers uncompressed, as `docker images`
 * counts, and gzipped, what a pull transfers) and `npm run image`'s build time, cold (an empty
 * output directory: downloads, `npm ci`, `tsc`, gzip) and warm (unchanged inputs: the stamp
 * check), each as wall time and as the CPU time of the build's processes, the figure a shared
 * machine distorts least.
 */
export async function runImageBuildBenchmark(options: ImageBuildOptions): Promise<BenchFigure[]> {
  const directory = await mkdtemp(join(tmpdir(), 'accord-bench-image-'));
  try {
    options.progress('image: cold build (empty output directory)');
    const cold = await timedBuild(directory);
    options.progress(`image: cold build took ${(cold.wallMs / 1000).toFixed(1)} s; warm build`);
    const warm = await timedBuild(directory);
    const layers = await layerSizes(cold.archive, join(directory, 'unpacked'));
    return [
      {
        name: 'image-accord',
        metric: 'unpacked',
        value: sum(layers.map((l) => l.unpackedBytes)) / 1e6,
        unit: 'MB',
      },
      {
        name: 'image-accord',
        metric: 'compressed',
        value: sum(layers.map((l) => l.compressedBytes)) / 1e6,
        unit: 'MB',
      },
      { name: 'image-build-cold', metric: 'wall', value: cold.wallMs / 1000, unit: 's' },
      { name: 'image-build-cold', metric: 'cpu', value: cold.cpuMs / 1000, unit: 's' },
      { name: 'image-build-warm', metric: 'wall', value: warm.wallMs / 1000, unit: 's' },
      { name: 'image-build-warm', metric: 'cpu', value: warm.cpuMs / 1000, unit: 's' },
    ];
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** One `scripts/build-image.sh accord` into `directory`: its archive, wall time and CPU time. */
async function timedBuild(directory: string): Promise<{ archive: string; wallMs: number; cpuMs: number }> {
  const cpuBeforeMs = readWaitedChildrenCpuMs();
  const startedMs = performance.now();
  const { stdout } = await run('bash', [join(repositoryRoot, 'scripts/build-image.sh'), 'accord'], {
    cwd: repositoryRoot,
    env: { ...process.env, ACCORD_IMAGES_DIR: directory },
    maxBuffer: 16 * 1024 * 1024,
    timeout: buildTimeoutMs,
  });
  return {
    archive: stdout.trim().split('\n').at(-1) ?? '',
    wallMs: performance.now() - startedMs,
    cpuMs: readWaitedChildrenCpuMs() - cpuBeforeMs,
  };
}

/** Each layer's gzipped size (from the manifest) and uncompressed size (gunzipped and counted). */
async function layerSizes(
  archive: string,
  directory: string,
): Promise<{ compressedBytes: number; unpackedBytes: number }[]> {
  await run('mkdir', ['-p', directory]);
  await run('tar', ['-xf', archive, '-C', directory]);
  const blob = (digest: string) => join(directory, 'blobs/sha256', digest.replace(/^sha256:/, ''));
  const index = JSON.parse(await readFile(join(directory, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const manifest = JSON.parse(await readFile(blob(index.manifests[0]?.digest ?? ''), 'utf8')) as {
    layers: { digest: string; size: number }[];
  };
  return Promise.all(
    manifest.layers.map(async (layer) => ({
      compressedBytes: layer.size,
      unpackedBytes: await gunzippedBytes(blob(layer.digest)),
    })),
  );
}

function gunzippedBytes(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    createReadStream(path)
      .on('error', reject)
      .pipe(createGunzip())
      .on('data', (chunk: Buffer) => (bytes += chunk.length))
      .on('end', () => resolve(bytes))
      .on('error', reject);
  });
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
