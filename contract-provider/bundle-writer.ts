/** The roots one trusted zone contributes, and the active contracts that establish that trust. */
export interface ZoneBundle {
  /** Root CA certificates as PEM, one certificate each, deduplicated and sorted by fingerprint. */
  rootsPem: string[];
  /** Ids of the verified active contracts that trust this zone, sorted. For logs, not for files. */
  contractIds: string[];
}

/** Trust domain → the bundle for that trust domain only. Never a merged pool. */
export type DesiredBundles = ReadonlyMap<string, ZoneBundle>;

/** What a sync changed; empty lists in a steady state. */
export interface BundleSyncResult {
  /** Trust domains whose bundle was created or replaced. */
  written: string[];
  /** Trust domains whose bundle was removed (no verified active contract trusts them any more). */
  removed: string[];
}

/** How a sync compares with what is installed. */
export interface BundleSyncOptions {
  /**
   * A resync: compare with what is installed now, read again, not with what the writer remembers
   * having written. That is what repairs a bundle changed or deleted by someone else. A writer that
   * reads what is installed at every sync (the directory writer) ignores it.
   */
  isResync?: boolean;
}

/**
 * Where trust bundles go: files in a directory in local mode, Secrets in cluster mode. `sync` is
 * level-triggered: it compares the desired bundles with what is installed and changes only what
 * differs, so calling it again with the same input writes nothing.
 */
export interface BundleWriter {
  sync(desired: DesiredBundles, options?: BundleSyncOptions): Promise<BundleSyncResult>;
}
