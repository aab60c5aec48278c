import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { PkiService } from '../proto/gen/accord/pki/v1/pki_pb.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { writeFileAtomic } from '../lib/fs/atomic-write.js';
import { createGrpcClient, type GrpcClient } from '../lib/grpc/grpc-client.js';
import { renewalDelayMs } from '../lib/identity/renewal-schedule.js';
import { SvidSource, type SvidSnapshot } from '../lib/identity/svid-source.js';
import { readTokenFile } from '../lib/identity/token-file.js';
import type { Logger } from '../lib/log/logger.js';
import type { Clock } from '../lib/time/clock.js';
import { systemTimers, type TimerHandle, type Timers } from '../lib/time/timers.js';
import { renderEnvoyYaml } from '../lib/sidecar/render-envoy-yaml.js';
import { svidSecretFile, type SvidFiles } from '../lib/sidecar/sds-secret-files.js';
import { secretFileName, svidSecretName } from '../lib/sidecar/sidecar-secret-names.js';
import type { WorkloadCredential } from './translator-files.js';

/**
 * Where the workload's identity comes from: its zone PKI and the file of the bearer token that
 * proves its SPIFFE ID without an SVID: a bootstrap token, or the pod's projected ServiceAccount
 * token (re-read on every use, since the kubelet rotates it).
 */
export type PkiWitSourceOptions = {
  pkiAddress: string;
  pkiCaFile: string;
  /** Requested WIT lifetime; 0 takes the PKI's default. */
  witTtlSeconds: number;
  /**
   * Envoy's SDS directory: when set, the SVID is kept in `envoySvidFiles(dir)` (renamed into place
   * on every renewal, which Envoy's watched directory picks up) and `accord-svid.yaml` names them.
   */
  envoySecretsDirectory?: string | undefined;
  clock: Clock;
  timers?: Timers;
  logger: Logger;
} & ({ bootstrapTokenFile: string } | { serviceAccountTokenFile: string });

/** Where Envoy's SVID files are in its SDS directory: a subdirectory of their own, which the SDS secret watches. */
export function envoySvidFiles(secretsDirectory: string): SvidFiles {
  const directory = join(secretsDirectory, 'svid');
  return { certificateChainPath: join(directory, 'cert.pem'), privateKeyPath: join(directory, 'key.pem') };
}

/** Replaces the SVID files by renames, key first (Envoy retries a mismatched pair on the next rename). */
async function writeEnvoySvid(files: SvidFiles, svid: SvidSnapshot): Promise<void> {
  await mkdir(dirname(files.privateKeyPath), { recursive: true, mode: 0o700 });
  await writeFileAtomic(files.privateKeyPath, svid.privateKeyPem, { mode: 0o600 });
  await writeFileAtomic(files.certificateChainPath, svid.certificatePem);
}

const retryDelayMs = 5_000;

/**
 * The workload's identity straight from the zone PKI: an X509-SVID first (bearer token, then
 * renewed by `SvidSource`), then `IssueWIT` over mTLS with it, which binds the WIT's `cnf` to the
 * SVID's key. The WIT is renewed at 2/3 of its life and whenever the SVID (so the key) changes;
 * the WIT and its key are always swapped together, so the pair handed out is always consistent.
 * With an Envoy SDS directory the SVID also goes to the files Envoy serves mTLS with, so the pod
 * never restarts for a renewal.
 */
export class PkiWitSource {
  readonly #options: PkiWitSourceOptions;
  readonly #timers: Timers;
  #svids: SvidSource | undefined;
  #client: GrpcClient<typeof PkiService> | undefined;
  #current: WorkloadCredential | undefined;
  #handle: TimerHandle | undefined;
  #unsubscribe: (() => void) | undefined;
  #unsubscribeEnvoy: (() => void) | undefined;
  #isStopped = false;

  constructor(options: PkiWitSourceOptions) {
    this.#options = options;
    this.#timers = options.timers ?? systemTimers;
  }

  /** Gets the first SVID and WIT; throws when the PKI refuses (the daemon then fails to start). */
  async start(): Promise<void> {
    const options = this.#options;
    const pkiCaPem = await readFile(options.pkiCaFile, 'utf8');
    const tokenFile =
      'bootstrapTokenFile' in options ? options.bootstrapTokenFile : options.serviceAccountTokenFile;
    const svids = new SvidSource({
      pkiAddress: options.pkiAddress,
      // Re-read at every bearer-token attempt, so an anchor replaced after an emergency applies.
      pkiRootsPem: async () => [await readFile(options.pkiCaFile, 'utf8')],
      bootstrapToken: () => readTokenFile(tokenFile),
      clock: options.clock,
      timers: this.#timers,
      logger: options.logger.child({ subsystem: 'svid' }),
    });
    this.#svids = svids;
    const first = await svids.start();
    const secretsDirectory = options.envoySecretsDirectory;
    if (secretsDirectory !== undefined) {
      const files = envoySvidFiles(secretsDirectory);
      await writeEnvoySvid(files, first);
      await writeFileAtomic(
        join(secretsDirectory, secretFileName(svidSecretName)),
        renderEnvoyYaml(svidSecretFile(files)),
      );
      this.#unsubscribeEnvoy = svids.onUpdate((svid) => {
        writeEnvoySvid(files, svid).catch((error: unknown) => {
          options.logger.error('renewed SVID not written for Envoy', { error: errorMessage(error) });
        });
      });
    }
    this.#client = createGrpcClient(PkiService, options.pkiAddress, () => {
      const svid = svids.current();
      return {
        caPems: svid.rootsPem.length > 0 ? svid.rootsPem : [pkiCaPem],
        certificatePem: svid.certificatePem,
        privateKeyPem: svid.privateKeyPem,
      };
    });
    this.#unsubscribe = svids.onUpdate(() => void this.#renew());
    await this.#issue(svids.current());
  }

  /** The current WIT and its key, or undefined before the first one. */
  current(): WorkloadCredential | undefined {
    return this.#current;
  }

  /** The own zone's roots (PEM) as the PKI last reported them with the SVID; empty before the first. */
  zoneRootsPem(): readonly string[] {
    return this.#svids?.current().rootsPem ?? [];
  }

  stop(): void {
    this.#isStopped = true;
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#unsubscribe?.();
    this.#unsubscribeEnvoy?.();
    this.#svids?.stop();
    this.#client?.close();
  }

  async #issue(svid: SvidSnapshot): Promise<void> {
    if (this.#client === undefined) return;
    const response = await this.#client.issueWIT({ ttlSeconds: this.#options.witTtlSeconds });
    if (response.expiresAt === undefined) throw new Error('IssueWIT returned no expiry');
    this.#current = { wit: response.token, privateKey: svid.privateKey };
    const expiresAt = timestampDate(response.expiresAt);
    this.#options.logger.info('workload wit issued', { expiresAt: expiresAt.toISOString() });
    this.#schedule(renewalDelayMs(this.#options.clock.now(), expiresAt, this.#options.clock.now()));
  }

  #schedule(delayMs: number): void {
    if (this.#isStopped) return;
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#handle = this.#timers.setTimeout(() => void this.#renew(), delayMs);
  }

  async #renew(): Promise<void> {
    if (this.#isStopped || this.#svids === undefined) return;
    try {
      await this.#issue(this.#svids.current());
    } catch (error) {
      this.#options.logger.warn('workload wit renewal failed', { error: errorMessage(error) });
      this.#schedule(retryDelayMs);
    }
  }
}
