import { parseSpiffeBundle, renderSpiffeBundle, spiffeBundleRoots } from '../lib/spiffe/spiffe-bundle.js';
import type { SpiffeBundleDocument } from '../lib/spiffe/spiffe-bundle.js';
import {
  bundleMapFileName,
  spiffeBundleFileName,
  trustBundlePemFileName,
} from '../lib/bundle/bundle-file-names.js';
import type { DesiredBundles } from './bundle-writer.js';
import { concatenatePems } from '../lib/x509/pem.js';

/**
 * The complete, deterministic content of the output directory for `desired`. `installed` holds
 * the current files (name → content): a zone keeps its `spiffe_sequence` while its roots are
 * unchanged and moves to the next one when they change, as the SPIFFE bundle spec asks.
 */
export function renderBundleFiles(
  desired: DesiredBundles,
  installed: ReadonlyMap<string, string>,
): Map<string, string> {
  const files = new Map<string, string>();
  const bundleMap: Record<string, SpiffeBundleDocument> = {};
  for (const trustDomain of [...desired.keys()].sort()) {
    const rootsPem = desired.get(trustDomain)?.rootsPem ?? [];
    const previousText = installed.get(spiffeBundleFileName(trustDomain));
    const previous = previousText === undefined ? undefined : parseSpiffeBundle(previousText);
    const unsequenced = renderSpiffeBundle(rootsPem, 0);
    const isUnchanged =
      previous !== undefined &&
      JSON.stringify(spiffeBundleRoots(previous)) === JSON.stringify(spiffeBundleRoots(unsequenced));
    const sequence =
      previous === undefined ? 1 : isUnchanged ? previous.spiffe_sequence : previous.spiffe_sequence + 1;
    const document = { ...unsequenced, spiffe_sequence: sequence };
    bundleMap[trustDomain] = document;
    files.set(trustBundlePemFileName(trustDomain), concatenatePems(rootsPem));
    files.set(spiffeBundleFileName(trustDomain), `${JSON.stringify(document, null, 2)}\n`);
  }
  files.set(bundleMapFileName, `${JSON.stringify(bundleMap, null, 2)}\n`);
  return files;
}

/** File operations that turn `installed` into `expected`, in the order they must happen. */
export interface FilePlan {
  /** Per-zone files first, the bundle map last, so the map never names a zone whose files are missing. */
  writes: { name: string; content: string }[];
  /** Files of zones that are no longer trusted, removed after the map stopped naming them. */
  removals: string[];
}

/** Diffs expected against installed content; an empty plan is the steady state. */
export function planFileChanges(
  expected: ReadonlyMap<string, string>,
  installed: ReadonlyMap<string, string>,
): FilePlan {
  const writes = [...expected]
    .filter(([name, content]) => installed.get(name) !== content)
    .map(([name, content]) => ({ name, content }))
    .sort((left, right) => rank(left.name) - rank(right.name) || left.name.localeCompare(right.name));
  const removals = [...installed.keys()].filter((name) => !expected.has(name)).sort();
  return { writes, removals };
}

function rank(name: string): number {
  return name === bundleMapFileName ? 1 : 0;
}
