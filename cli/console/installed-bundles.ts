import { watch, type FSWatcher } from 'node:fs';
import {
  bundleSecretKeys,
  bundleSecretSelector,
  trustDomainAnnotation,
} from '../../lib/bundle/bundle-secret-layout.js';
import { errorMessage } from '../../lib/errors/accord-error.js';
import type { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import type { CliEnvironment } from '../cli-environment.js';
import { bundleRootViews, readBundles } from '../show-bundles.js';
import type { InstalledBundles, InstalledRoot } from './console-api.js';

/**
 * Where the console reads this zone's installed bundles: what the provider wrote, in its bundle
 * directory (local mode) or as bundle Secrets (cluster mode). `watch` calls back when they may
 * have changed.
 */
export interface BundleSource {
  read(): Promise<InstalledBundles>;
  watch(onChange: () => void): () => void;
}

/** No bundles configured: the view says how to configure them. */
export const noBundleSource: BundleSource = {
  read: () => Promise.resolve({ source: null, roots: [], error: null }),
  watch: () => () => undefined,
};

/**
 * The provider's bundle directory (local mode), read with `accordctl bundle show`'s `readBundles`
 * and watched with inotify (`fs.watch`): the view follows the provider's writes, no polling. A
 * directory that does not exist yet (no partner trusted so far) is watched from its parent.
 */
export function directoryBundleSource(env: CliEnvironment, directory: string): BundleSource {
  return {
    read: async () => {
      try {
        const roots: InstalledRoot[] = await readBundles(env, directory);
        return { source: directory, roots, error: null };
      } catch (error) {
        return { source: directory, roots: [], error: errorMessage(error) };
      }
    },
    watch: (onChange) => {
      let watcher: FSWatcher | undefined;
      try {
        watcher = watch(directory, { persistent: false }, () => onChange());
        watcher.on('error', () => onChange());
      } catch {
        watcher = undefined;
      }
      return () => watcher?.close();
    },
  };
}

/**
 * The bundle Secrets of the mesh namespaces (cluster mode): the Secrets the provider labels
 * `accord.dev/trust-bundle=true`, one per trusted zone, named by their trust-domain annotation
 * (docs/provider.md). Listed when the view asks and after every contract change.
 */
export function secretBundleSource(
  core: Pick<KubeCoreApi, 'listNamespacedSecret'>,
  namespaces: readonly string[],
): BundleSource {
  const source = `Secrets labelled ${bundleSecretSelector} in ${namespaces.join(', ')}`;
  return {
    read: async () => {
      try {
        const roots: InstalledRoot[] = [];
        for (const namespace of namespaces) {
          const list = await core.listNamespacedSecret({ namespace, labelSelector: bundleSecretSelector });
          for (const secret of list.items) {
            const trustDomain = secret.metadata?.annotations?.[trustDomainAnnotation];
            const pem = secret.data?.[bundleSecretKeys.rootsPem];
            if (trustDomain === undefined || pem === undefined) continue;
            roots.push(
              ...bundleRootViews(
                `${trustDomain} (${namespace})`,
                Buffer.from(pem, 'base64').toString('utf8'),
              ),
            );
          }
        }
        return { source, roots, error: null };
      } catch (error) {
        return { source, roots: [], error: errorMessage(error) };
      }
    },
    watch: () => () => undefined,
  };
}
