import { createPrivateKey, type KeyObject } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { errorMessage } from '../lib/errors/accord-error.js';
import type { Logger } from '../lib/log/logger.js';
import { renderSpiffeBundle } from '../lib/spiffe/spiffe-bundle.js';
import { isValidTrustDomain } from '../lib/spiffe/spiffe-id.js';
import { writeTrustBundlesSecret } from '../lib/sidecar/trust-bundles-secret-writer.js';
import { BasicUserStore, InboundCredentialMap } from './basic-credentials.js';
import type { WitKeysByTrustDomain } from './verify-wit.js';
import { concatenatePems } from '../lib/x509/pem.js';

const spiffeBundleSuffix = '.spiffe.json';

/**
 * Reads the provider's bundle directory into one JWK set per trust domain (`<td>.spiffe.json`),
 * never merged: `verifyWit` asks for the set of the trust domain in the token's own `sub`. A file
 * that cannot be parsed leaves its zone out (fail closed), reported in `unreadable`.
 */
export async function readWitBundles(
  bundleDirectory: string,
): Promise<{ bundles: Map<string, JSONWebKeySet>; unreadable: string[] }> {
  const bundles = new Map<string, JSONWebKeySet>();
  const unreadable: string[] = [];
  let names: string[];
  try {
    names = await readdir(bundleDirectory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { bundles, unreadable };
    throw error;
  }
  for (const name of names.sort()) {
    if (name.startsWith('.') || !name.endsWith(spiffeBundleSuffix)) continue;
    const trustDomain = name.slice(0, -spiffeBundleSuffix.length);
    if (!isValidTrustDomain(trustDomain)) continue;
    try {
      const document = JSON.parse(await readFile(join(bundleDirectory, name), 'utf8')) as unknown;
      if (
        typeof document !== 'object' ||
        document === null ||
        !Array.isArray((document as JSONWebKeySet).keys)
      )
        throw new Error('not a JWK set');
      bundles.set(trustDomain, document as JSONWebKeySet);
    } catch (error) {
      unreadable.push(`${name}: ${errorMessage(error)}`);
    }
  }
  return { bundles, unreadable };
}

/** The workload's WIT and the private key its `cnf` names. */
export interface WorkloadCredential {
  wit: string;
  privateKey: KeyObject;
}

/** The local zone's trust domain and its roots (PEM), from the zone PKI. */
export interface OwnZoneRoots {
  trustDomain: string;
  rootsPem: readonly string[];
}

/** Where the translator's run-time inputs live; every one is optional except the bundles. */
export interface TranslatorFilePaths {
  bundleDirectory: string;
  /**
   * The local zone, trusted next to the provider's partner bundles (the provider writes partners
   * only): its roots for Envoy's mTLS and its `wit-svid` keys for WITs of the own zone. Read on every
   * reload, so a rotated root arrives with the SVID that reports it. Absent without a zone PKI.
   */
  ownZone?: (() => OwnZoneRoots) | undefined;
  envoySecretsDirectory?: string | undefined;
  basicUsersFile?: string | undefined;
  inboundCredentialsFile?: string | undefined;
  workloadIdentity?: { witFile: string; privateKeyFile: string } | undefined;
}

/**
 * The translator's reloadable state, read from files: the WIT keys per trust domain, the local
 * users, the inbound credential mapping and the workload's WIT. A change in the bundle directory
 * triggers a reload, and a periodic resync catches everything else (Kubernetes Secret volumes,
 * missed events). A file that fails to parse keeps the last good value and is logged; the
 * bundles are the exception, since a zone must stop being trusted as soon as its file goes.
 * With an Envoy secrets directory, Envoy's trust-bundles SDS file is rewritten on every reload
 * (only written when it changes), so Envoy's mTLS trust follows the same bundle directory.
 */
export class TranslatorFiles {
  readonly #paths: TranslatorFilePaths;
  readonly #logger: Logger;
  #bundles = new Map<string, JSONWebKeySet>();
  #users: BasicUserStore | undefined;
  #usersText: string | undefined;
  #credentials: InboundCredentialMap | undefined;
  #credentialsText: string | undefined;
  #workload: WorkloadCredential | undefined;
  #workloadText: string | undefined;
  #hasLoaded = false;
  #running: Promise<void> | undefined;
  #isPending = false;
  #watcher: FSWatcher | undefined;
  #interval: NodeJS.Timeout | undefined;

  constructor(paths: TranslatorFilePaths, logger: Logger) {
    this.#paths = paths;
    this.#logger = logger;
  }

  /** The lookup `verifyWit` uses: the current JWK set of one trust domain. */
  readonly witKeys: WitKeysByTrustDomain = (trustDomain) => this.#bundles.get(trustDomain);

  users(): BasicUserStore | undefined {
    return this.#users;
  }

  credentials(): InboundCredentialMap | undefined {
    return this.#credentials;
  }

  workloadCredential(): WorkloadCredential | undefined {
    return this.#workload;
  }

  /** Whether everything configured has been read once (readiness). */
  isReady(): boolean {
    return (
      this.#hasLoaded &&
      (this.#paths.basicUsersFile === undefined || this.#users !== undefined) &&
      (this.#paths.inboundCredentialsFile === undefined || this.#credentials !== undefined) &&
      (this.#paths.workloadIdentity === undefined || this.#workload !== undefined)
    );
  }

  /** Reads everything now; concurrent calls coalesce into at most one more run. */
  reload(): Promise<void> {
    if (this.#running !== undefined) {
      this.#isPending = true;
      return this.#running;
    }
    this.#running = (async () => {
      let isAgain = true;
      while (isAgain) {
        this.#isPending = false;
        await this.#readAll();
        isAgain = this.#hasPendingReload();
      }
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Whether a reload was asked for while one ran (a method, so the flag is re-read after awaits). */
  #hasPendingReload(): boolean {
    return this.#isPending;
  }

  /** Loads once, then watches the bundle directory and resyncs every `reloadIntervalMs`. */
  async start(reloadIntervalMs: number): Promise<void> {
    await this.reload();
    try {
      this.#watcher = watch(this.#paths.bundleDirectory, () => void this.reload());
      this.#watcher.on('error', (error) =>
        this.#logger.warn('bundle directory watch failed', { error: errorMessage(error) }),
      );
    } catch (error) {
      this.#logger.warn('bundle directory watch failed', { error: errorMessage(error) });
    }
    this.#interval = setInterval(() => void this.reload(), reloadIntervalMs);
    this.#interval.unref();
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    clearInterval(this.#interval);
    await this.#running;
  }

  async #readAll(): Promise<void> {
    const ownZone = this.#ownZone();
    try {
      const { bundles, unreadable } = await readWitBundles(this.#paths.bundleDirectory);
      for (const problem of unreadable) this.#logger.warn('bundle unreadable', { problem });
      if (ownZone !== undefined) bundles.set(ownZone.trustDomain, renderSpiffeBundle(ownZone.rootsPem, 0));
      // An unchanged bundle keeps its object: the verified-WIT cache belongs to it (see verifyWit).
      let changed = bundles.size !== this.#bundles.size;
      for (const [trustDomain, keys] of bundles) {
        const previous = this.#bundles.get(trustDomain);
        if (previous !== undefined && JSON.stringify(previous) === JSON.stringify(keys))
          bundles.set(trustDomain, previous);
        else changed = true;
      }
      this.#bundles = bundles;
      if (changed) this.#logger.info('wit bundles loaded', { trustDomains: [...bundles.keys()] });
    } catch (error) {
      this.#bundles = new Map();
      this.#logger.error('bundle directory unreadable', { error: errorMessage(error) });
    }
    if (this.#paths.envoySecretsDirectory !== undefined) {
      try {
        const written = await writeTrustBundlesSecret(
          this.#paths.bundleDirectory,
          this.#paths.envoySecretsDirectory,
          ownZone === undefined
            ? undefined
            : { trustDomain: ownZone.trustDomain, rootsPem: concatenatePems(ownZone.rootsPem) },
        );
        if (written) this.#logger.info('envoy trust bundles written');
      } catch (error) {
        this.#logger.warn('envoy trust bundles not written', { error: errorMessage(error) });
      }
    }
    await this.#readUsers();
    await this.#readCredentials();
    await this.#readWorkload();
    this.#hasLoaded = true;
  }

  /** The own zone, or undefined while its roots are not known. */
  #ownZone(): OwnZoneRoots | undefined {
    const ownZone = this.#paths.ownZone?.();
    return ownZone === undefined || ownZone.rootsPem.length === 0 ? undefined : ownZone;
  }

  async #readUsers(): Promise<void> {
    const path = this.#paths.basicUsersFile;
    if (path === undefined) return;
    await this.#readText(path, 'basic users', this.#usersText, async (text) => {
      this.#users = await BasicUserStore.parse(text);
      this.#usersText = text;
    });
  }

  async #readCredentials(): Promise<void> {
    const path = this.#paths.inboundCredentialsFile;
    if (path === undefined) return;
    await this.#readText(path, 'inbound credentials', this.#credentialsText, (text) => {
      this.#credentials = InboundCredentialMap.parse(text);
      this.#credentialsText = text;
      return Promise.resolve();
    });
  }

  async #readWorkload(): Promise<void> {
    const paths = this.#paths.workloadIdentity;
    if (paths === undefined) return;
    try {
      const [wit, keyPem] = await Promise.all([
        readFile(paths.witFile, 'utf8'),
        readFile(paths.privateKeyFile, 'utf8'),
      ]);
      const text = `${wit}\n${keyPem}`;
      if (text === this.#workloadText) return;
      this.#workload = { wit: wit.trim(), privateKey: createPrivateKey(keyPem) };
      this.#workloadText = text;
      this.#logger.info('workload wit loaded');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.#logger.warn('workload wit unreadable', { error: code ?? (error as Error).name });
    }
  }

  /** Reads a file and applies it when its text changed; a bad file keeps the last good value. */
  async #readText(
    path: string,
    what: string,
    previous: string | undefined,
    apply: (text: string) => Promise<void>,
  ): Promise<void> {
    try {
      const text = await readFile(path, 'utf8');
      if (text === previous) return;
      await apply(text);
      this.#logger.info('file loaded', { what });
    } catch (error) {
      // Never the message: a YAML or schema error can quote the line, and these files hold secrets.
      const code = (error as NodeJS.ErrnoException).code;
      this.#logger.warn('file unreadable', { what, path, error: code ?? (error as Error).name });
    }
  }
}
