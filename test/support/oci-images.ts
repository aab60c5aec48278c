import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from './test-tools.js';

const run = promisify(execFile);

/** The images `npm run image` builds (docs/image.md, "Images and archives"). */
export type ImageTarget = 'accord' | 'envoy' | 'pause' | 'legacy-app';

/** An image archive and what its index says about it. */
export interface BuiltImage {
  /** The OCI archive (`ctr images import`, `skopeo … oci-archive:`, `docker load`). */
  archive: string;
  /** The full name it imports as (`io.containerd.image.name`), e.g. `ghcr.io/accord-mesh/accord:0.1.0`. */
  name: string;
  /** The image manifest's digest. */
  digest: string;
}

/** The cold accord build compiles and installs dependencies: minutes on a loaded 2-core machine. */
export const imageBuildTimeoutMs = 15 * 60_000;

/**
 * Builds one image archive with scripts/build-image.sh, or reuses it when its inputs have not
 * changed (the script's stamp), and reads its name and digest from the archive's index. Concurrent
 * callers are serialized by the script's lock.
 */
export async function buildImage(target: ImageTarget): Promise<BuiltImage> {
  const { stdout } = await run('bash', [join(repositoryRoot, 'scripts/build-image.sh'), target], {
    cwd: repositoryRoot,
    maxBuffer: 16 * 1024 * 1024,
    timeout: imageBuildTimeoutMs,
  });
  const archive = stdout.trim().split('\n').at(-1) ?? '';
  const index = await readArchiveIndex(archive);
  const [image] = index.manifests;
  if (image === undefined) throw new Error(`${archive} names no image`);
  return { archive, name: image.annotations['io.containerd.image.name'] ?? '', digest: image.digest };
}

/** The fields of an OCI index the tests read. */
export interface OciIndex {
  manifests: { digest: string; annotations: Record<string, string | undefined> }[];
}

/** The `index.json` of an OCI archive. */
export async function readArchiveIndex(archive: string): Promise<OciIndex> {
  const { stdout } = await run('tar', ['-xOf', archive, 'index.json'], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout) as OciIndex;
}
