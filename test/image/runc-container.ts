import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ManagedProcess, startManagedProcess } from '../support/managed-process.js';
import { readArchiveIndex } from '../support/oci-images.js';

const run = promisify(execFile);

/** The parts of an OCI runtime spec (config.json) the tests change. */
export interface RuntimeSpec {
  process: { args: string[]; env: string[]; user: { uid: number; gid: number }; terminal: boolean } & Record<
    string,
    unknown
  >;
  root: { path: string; readonly: boolean };
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: { namespaces: { type: string }[] } & Record<string, unknown>;
}

/** An image unpacked once; each container gets its own bundle over the shared root file system. */
export interface UnpackedImage {
  rootfs: string;
  /** The runtime spec umoci derived from the image config (user, env, working directory, command). */
  spec: RuntimeSpec;
}

/** What a container runs with besides the image's own config. */
export interface ContainerOptions {
  /** Replaces the image's command. */
  args?: string[];
  /** Added to the image's environment. */
  env?: string[];
  /** Host directories bind-mounted into the container. */
  binds?: { source: string; destination: string; readOnly: boolean }[];
}

/** Unpacks an OCI archive with umoci into `directory` (layout/ and bundle/). */
export async function unpackImage(archive: string, directory: string): Promise<UnpackedImage> {
  const layout = join(directory, 'layout');
  const bundle = join(directory, 'bundle');
  await mkdir(layout, { recursive: true });
  await run('tar', ['-xf', archive, '-C', layout]);
  const tag = (await readArchiveIndex(archive)).manifests[0]?.annotations[
    'org.opencontainers.image.ref.name'
  ];
  await run('umoci', ['unpack', '--image', `${layout}:${tag ?? ''}`, bundle], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as RuntimeSpec;
  return { rootfs: join(bundle, 'rootfs'), spec };
}

/**
 * The runtime spec of one container, hardened as the chart's pods are: the image's user, a
 * read-only root file system with an empty /tmp (the chart's emptyDir), no capabilities, no new
 * privileges. It shares the host's network namespace, so a server it starts on 127.0.0.1 is
 * reachable from the test (as with hostNetwork).
 */
export function containerSpec(image: UnpackedImage, options: ContainerOptions): RuntimeSpec {
  const template = image.spec;
  const noCapabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  return {
    ...template,
    process: {
      ...template.process,
      terminal: false,
      args: options.args ?? template.process.args,
      env: [...template.process.env, ...(options.env ?? [])],
      capabilities: noCapabilities,
      noNewPrivileges: true,
    },
    root: { path: image.rootfs, readonly: true },
    mounts: [
      ...template.mounts.filter((mount) => mount.destination !== '/tmp'),
      {
        destination: '/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'mode=1777', 'size=16m'],
      },
      ...(options.binds ?? []).map((bind) => ({
        destination: bind.destination,
        type: 'bind',
        source: bind.source,
        options: ['rbind', bind.readOnly ? 'ro' : 'rw'],
      })),
    ],
    linux: { ...template.linux, namespaces: template.linux.namespaces.filter((ns) => ns.type !== 'network') },
  };
}

let containerCount = 0;

/** A fresh bundle directory and runc container id for one container. */
async function newBundle(image: UnpackedImage, directory: string, options: ContainerOptions) {
  containerCount += 1;
  const id = `accord-image-test-${process.pid}-${containerCount}`;
  const bundle = join(directory, id);
  await mkdir(bundle, { recursive: true });
  await writeFile(join(bundle, 'config.json'), JSON.stringify(containerSpec(image, options)));
  return { id, bundle };
}

/** A container a test started: its process (runc in the foreground) and how to remove it. */
export interface RuncContainer extends ManagedProcess {
  /** runc's id of the container (`runc state ID`). */
  readonly id: string;
  /** Everything the container wrote to stdout and stderr so far. */
  output(): string;
  /** Stops the container (SIGTERM, then SIGKILL) and deletes it from runc's state. */
  remove(): Promise<void>;
}

/** Starts a long-running container with `runc run` (in the foreground) in a bundle under `directory`. */
export async function startContainer(
  image: UnpackedImage,
  directory: string,
  options: ContainerOptions,
): Promise<RuncContainer> {
  const { id, bundle } = await newBundle(image, directory, options);
  let output = '';
  const container = startManagedProcess(id, 'runc', ['run', '--bundle', bundle, id], {
    onOutput: (chunk) => (output += chunk.toString('utf8')),
  });
  return {
    ...container,
    id,
    output: () => output,
    remove: async () => {
      await container.stop();
      await run('runc', ['delete', '--force', id]).catch(() => undefined);
    },
  };
}

/** How a container that ran to its end finished. */
export interface ContainerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a container to its end (killed after `timeoutMs`) and returns its exit code and output. */
export async function runContainer(
  image: UnpackedImage,
  directory: string,
  options: ContainerOptions,
  timeoutMs = 60_000,
): Promise<ContainerResult> {
  const { id, bundle } = await newBundle(image, directory, options);
  try {
    const { stdout, stderr } = await run('runc', ['run', '--bundle', bundle, id], { timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  } finally {
    await run('runc', ['delete', '--force', id]).catch(() => undefined);
  }
}
