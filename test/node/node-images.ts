import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, type ImageTarget } from '../support/oci-images.js';
import { repositoryRoot } from '../support/test-tools.js';

/**
 * An OCI image archive and the name it gets in containerd: `ctr images import --base-name
 * <baseName>` names each image of the archive `<baseName>:<tag>` from its index's
 * `org.opencontainers.image.ref.name`, so `reference` is `<baseName>:<tag>`. Pods name the
 * reference with `imagePullPolicy: IfNotPresent`: nothing is ever pulled.
 */
export interface NodeImage {
  readonly archive: string;
  readonly baseName: string;
  readonly reference: string;
}

/** The shared tools directory (scripts/provision-*.sh write there). */
function toolsDirectory(): string {
  return process.env.ACCORD_TOOLS_DIR ?? join(repositoryRoot, '.cache/accord-tools');
}

/**
 * The CoreDNS image scripts/provision-node-tools.sh packs (its stamp names the version), imported
 * into every node cluster as `localhost/coredns:<version>`.
 */
export function corednsImage(): NodeImage {
  const images = join(toolsDirectory(), 'images');
  const stamp = readFileSync(join(images, '.coredns.version'), 'utf8');
  // `coredns <version> (<plugins>)`
  const version = /^coredns (\S+)/.exec(stamp)?.[1];
  if (version === undefined) throw new Error(`unexpected CoreDNS image stamp: ${stamp}`);
  return {
    archive: join(images, `coredns-${version}.tar`),
    baseName: 'localhost/coredns',
    reference: `localhost/coredns:${version}`,
  };
}

/**
 * An image `npm run image` builds (docs/image.md: accord, envoy, pause, legacy-app), built or
 * reused through `buildImage`, named as its archive's index names it.
 */
export async function builtNodeImage(target: ImageTarget): Promise<NodeImage> {
  const built = await buildImage(target);
  if (!built.name.includes(':')) throw new Error(`${built.archive} names no tagged image: ${built.name}`);
  return {
    archive: built.archive,
    baseName: built.name.slice(0, built.name.lastIndexOf(':')),
    reference: built.name,
  };
}
