import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, writeFileAtomic } from '../lib/fs/atomic-write.js';
import type { Logger } from '../lib/log/logger.js';
import { isBundleFileName, trustDomainOfBundleFile } from '../lib/bundle/bundle-file-names.js';
import { planFileChanges, renderBundleFiles } from './bundle-files.js';
import type { BundleSyncResult, BundleWriter, DesiredBundles } from './bundle-writer.js';

/**
 * Local mode's bundle writer: one directory, one PEM file and one SPIFFE bundle per trusted
 * zone plus `bundle-map.json` (layout in docs/provider.md). Every file is replaced atomically,
 * so Envoy and Node never read half a bundle. The directory is the provider's: any bundle file
 * in it that the desired state does not name is removed.
 */
export class DirectoryBundleWriter implements BundleWriter {
  readonly #directory: string;
  readonly #log: Logger;

  constructor(directory: string, log: Logger) {
    this.#directory = directory;
    this.#log = log;
  }

  async sync(desired: DesiredBundles): Promise<BundleSyncResult> {
    await mkdir(this.#directory, { recursive: true, mode: 0o755 });
    const installed = await this.#readInstalled();
    const plan = planFileChanges(renderBundleFiles(desired, installed), installed);
    for (const { name, content } of plan.writes) {
      await writeFileAtomic(join(this.#directory, name), content, { mode: 0o644 });
    }
    for (const name of plan.removals) {
      await rm(join(this.#directory, name), { force: true });
    }
    if (plan.removals.length > 0) await syncDirectory(this.#directory);
    const result = {
      written: zonesOf(plan.writes.map((write) => write.name)),
      removed: zonesOf(plan.removals).filter((trustDomain) => !desired.has(trustDomain)),
    };
    if (plan.writes.length > 0 || plan.removals.length > 0) {
      this.#log.debug('bundle files changed', { writes: plan.writes.length, removals: plan.removals.length });
    }
    return result;
  }

  async #readInstalled(): Promise<Map<string, string>> {
    const installed = new Map<string, string>();
    const entries = await readdir(this.#directory, { withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile() || !isBundleFileName(entry.name)) continue;
      installed.set(entry.name, await readFile(join(this.#directory, entry.name), 'utf8'));
    }
    return installed;
  }
}

function zonesOf(names: readonly string[]): string[] {
  const zones = new Set<string>();
  for (const name of names) {
    const trustDomain = trustDomainOfBundleFile(name);
    if (trustDomain !== undefined) zones.add(trustDomain);
  }
  return [...zones].sort();
}
