import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { UnavailableError, errorMessage } from '../errors/accord-error.js';
import { createGrpcClient, type ClientTls } from '../grpc/grpc-client.js';
import type { Logger } from '../log/logger.js';
import { spiffeIdOfCertificate } from '../spiffe/x509-svid.js';
import { backoffDelayMs } from '../time/backoff.js';
import type { Clock } from '../time/clock.js';
import { systemTimers, type TimerHandle, type Timers } from '../time/timers.js';
import { createCsr } from '../x509/create-csr.js';
import { sha256Hex } from '../x509/fingerprint.js';
import { generateEcKeyPair } from '../x509/generate-ec-key-pair.js';
import { privateKeyToPem } from '../x509/private-key-pem.js';
import { PkiService } from '../../proto/gen/accord/pki/v1/pki_pb.js';
import { renewalDelayMs } from './renewal-schedule.js';

/** The SVID a component currently holds. */
export interface SvidSnapshot {
  spiffeId: string;
  certificatePem: string;
  privateKeyPem: string;
  privateKey: KeyObject;
  /** Roots of the own trust domain, PEM, as the PKI last reported them. */
  rootsPem: string[];
  notAfter: Date;
}

export interface SvidSourceOptions {
  /** `host:port` of the zone PKI. */
  pkiAddress: string;
  /**
   * The operator's anchor for the PKI (e.g. the PKI's `roots.pem`): the roots that authenticate it
   * whenever the bearer token is shown, the first time and again once the SVID expired. Never the
   * roots a PKI reported with an SVID: after an emergency rotation those are revoked roots whose
   * key an attacker may hold, and a server certified by one would be shown a reusable token that
   * mints SVIDs of the fresh root (docs/threat-model.md T11). A function is called on every such
   * attempt, so an anchor replaced after an emergency applies without a restart.
   */
  pkiRootsPem: readonly string[] | (() => Promise<readonly string[]>);
  /**
   * Bearer token for a SignCSR without a live SVID (the first one, and after the SVID expired,
   * e.g. while the pod was suspended); renewals authenticate with the current SVID. A function is
   * called on every such attempt, so a token file that is rotated (a projected ServiceAccount
   * token) is read afresh.
   */
  bootstrapToken?: string | (() => Promise<string>);
  /** SPIFFE ID the PKI must present; defaults to any server of the roots' trust domain. */
  expectedPkiId?: string;
  /** Requested SVID lifetime; 0 or absent takes the PKI's default. */
  ttlSeconds?: number;
  clock: Clock;
  /** Schedules renewals; injected so tests drive renewal without waiting. Defaults to `systemTimers`. */
  timers?: Timers;
  logger: Logger;
  /** Backoff after failed renewals, from `minBackoffMs` doubling up to `maxBackoffMs`. Defaults 1 s and 60 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Deadline of one SignCSR call. Default 10 s. */
  deadlineMs?: number;
}

/**
 * Obtains and keeps an X509-SVID from the zone PKI: a fresh key and CSR each time, the bearer
 * token the first time (and again once the SVID has expired, since the PKI no longer accepts it),
 * the current SVID (mTLS) for renewals at 2/3 of the lifetime left when it arrived, capped backoff on failure while the
 * current SVID stays in use. Listeners hear about every new SVID. After an emergency rotation of
 * the zone's root, renewals fail (the PKI no longer accepts the revoked root, nor serves with it)
 * until the SVID expires; then the token and the anchor, if the operator made it the fresh root,
 * re-bootstrap the workload (docs/root-rotation.md, "Recovering a zone after an emergency").
 */
export class SvidSource {
  readonly #options: SvidSourceOptions;
  readonly #timers: Timers;
  readonly #listeners = new Set<(svid: SvidSnapshot) => void>();
  #current: SvidSnapshot | undefined;
  #handle: TimerHandle | undefined;
  #failures = 0;
  #isStopped = false;

  constructor(options: SvidSourceOptions) {
    this.#options = options;
    this.#timers = options.timers ?? systemTimers;
  }

  /**
   * Fetches the first SVID and schedules its renewal. A PKI that is not reachable (`Unavailable`)
   * is asked again with the renewal backoff for up to `waitForPkiMs` (default 0: reject at once);
   * any other refusal, such as a bad token, rejects at once. Daemons wait: a Helm install or upgrade
   * starts them beside their PKI, and exiting instead costs the kubelet's crash-loop back-off,
   * which doubles from 10 s to 5 min.
   */
  async start(waitForPkiMs = 0): Promise<SvidSnapshot> {
    this.#isStopped = false;
    const giveUpAt = this.#options.clock.now().getTime() + waitForPkiMs;
    for (let failures = 1; ; failures += 1) {
      try {
        const svid = await this.#fetch();
        this.#install(svid);
        return svid;
      } catch (error) {
        const delayMs = this.#retryDelayMs(failures);
        const isTooLate = this.#options.clock.now().getTime() + delayMs > giveUpAt;
        if (!(error instanceof UnavailableError) || isTooLate) throw error;
        this.#options.logger.warn('zone PKI unavailable, waiting for it', {
          error: errorMessage(error),
          failures,
          retryInMs: delayMs,
        });
        await new Promise<void>((resolve) => this.#timers.setTimeout(resolve, delayMs));
      }
    }
  }

  /** The current SVID; throws before `start` resolved. */
  current(): SvidSnapshot {
    if (this.#current === undefined) throw new Error('SvidSource not started');
    return this.#current;
  }

  /** Calls `listener` with each renewed SVID; returns a function that unsubscribes. */
  onUpdate(listener: (svid: SvidSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Cancels the pending renewal. */
  stop(): void {
    this.#isStopped = true;
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #install(svid: SvidSnapshot): void {
    this.#current = svid;
    this.#failures = 0;
    const certificate = new X509Certificate(svid.certificatePem);
    this.#options.logger.info('SVID obtained', {
      spiffeId: svid.spiffeId,
      notAfter: svid.notAfter.toISOString(),
      fingerprint: sha256Hex(certificate.raw),
    });
    for (const listener of this.#listeners) listener(svid);
    // From now, when it arrived: its notBefore is back-dated by the PKI's clockSkew.
    const obtainedAt = this.#options.clock.now();
    this.#schedule(renewalDelayMs(obtainedAt, svid.notAfter, obtainedAt));
  }

  #schedule(delayMs: number): void {
    if (this.#isStopped) return;
    this.#handle = this.#timers.setTimeout(() => {
      void this.#renew();
    }, delayMs);
  }

  async #renew(): Promise<void> {
    this.#handle = undefined;
    try {
      const svid = await this.#fetch();
      if (!this.#isStopped) this.#install(svid);
    } catch (error) {
      this.#failures += 1;
      const delayMs = this.#retryDelayMs(this.#failures);
      this.#options.logger.warn('SVID renewal failed', {
        error: errorMessage(error),
        failures: this.#failures,
        retryInMs: delayMs,
      });
      this.#schedule(delayMs);
    }
  }

  /** The delay after the `failures`-th failure in a row (1 for the first). */
  #retryDelayMs(failures: number): number {
    return backoffDelayMs(failures - 1, {
      initialDelayMs: this.#options.minBackoffMs ?? 1000,
      maxDelayMs: this.#options.maxBackoffMs ?? 60_000,
    });
  }

  async #bearerToken(): Promise<string | undefined> {
    const token = this.#options.bootstrapToken;
    return typeof token === 'function' ? await token() : token;
  }

  async #anchorRoots(): Promise<readonly string[]> {
    const roots = this.#options.pkiRootsPem;
    return typeof roots === 'function' ? await roots() : roots;
  }

  async #fetch(): Promise<SvidSnapshot> {
    const held = this.#current;
    // An expired SVID no longer authenticates: go back to the bearer token, shown only to a PKI
    // the operator's anchor authenticates. A renewal trusts the roots the PKI last reported.
    const live = held !== undefined && held.notAfter > this.#options.clock.now() ? held : undefined;
    const bootstrapToken = live === undefined ? await this.#bearerToken() : undefined;
    return requestSvid({
      pkiAddress: this.#options.pkiAddress,
      pkiRootsPem: live === undefined ? await this.#anchorRoots() : live.rootsPem,
      ...(this.#options.expectedPkiId === undefined ? {} : { expectedPkiId: this.#options.expectedPkiId }),
      credential: live ?? { bootstrapToken },
      ...(this.#options.ttlSeconds === undefined ? {} : { ttlSeconds: this.#options.ttlSeconds }),
      ...(this.#options.deadlineMs === undefined ? {} : { deadlineMs: this.#options.deadlineMs }),
    });
  }
}

/** One SignCSR call: where the PKI is, how to trust it, and how the caller authenticates. */
export interface SvidRequest {
  /** `host:port` of the zone PKI. */
  pkiAddress: string;
  /** Roots the PKI's server certificate chains to. */
  pkiRootsPem: readonly string[];
  /** SPIFFE ID the PKI must present; defaults to any server of the roots' trust domain. */
  expectedPkiId?: string;
  /**
   * An SVID the caller still holds (mTLS; the PKI issues the same SPIFFE ID again), or the
   * bootstrap token the PKI maps to a SPIFFE ID (none: the PKI decides whether to answer).
   */
  credential: { certificatePem: string; privateKeyPem: string } | { bootstrapToken: string | undefined };
  /** Requested SVID lifetime; 0 or absent takes the PKI's default. */
  ttlSeconds?: number;
  /** Deadline of the call. Default 10 s. */
  deadlineMs?: number;
}

/**
 * Gets one X509-SVID from the zone PKI: a fresh P-256 key that never leaves this process, a CSR
 * proving possession of it, SignCSR authenticated as `request.credential` says, and a check that
 * the certificate returned is for that key. The one SVID request of every component, kept renewed
 * by `SvidSource` and run once by accordctl's enrolment.
 */
export async function requestSvid(request: SvidRequest): Promise<SvidSnapshot> {
  const keys = await generateEcKeyPair();
  const csr = await createCsr(keys);
  const { credential } = request;
  const tls: ClientTls = {
    caPems: request.pkiRootsPem,
    ...('certificatePem' in credential
      ? { certificatePem: credential.certificatePem, privateKeyPem: credential.privateKeyPem }
      : {}),
    ...(request.expectedPkiId === undefined ? {} : { expectedServerId: request.expectedPkiId }),
  };
  const client = createGrpcClient(PkiService, request.pkiAddress, tls, {
    deadlineMs: request.deadlineMs ?? 10_000,
    ...('bootstrapToken' in credential && credential.bootstrapToken !== undefined
      ? { bearerToken: credential.bootstrapToken }
      : {}),
  });
  try {
    const response = await client.signCSR({ csr, ttlSeconds: request.ttlSeconds ?? 0 });
    const certificate = new X509Certificate(response.certificate);
    const privateKeyPem = await privateKeyToPem(keys.privateKey);
    const privateKey = createPrivateKey(privateKeyPem);
    if (!certificate.checkPrivateKey(privateKey))
      throw new Error('the PKI returned a certificate for another key');
    return {
      spiffeId: spiffeIdOfCertificate(certificate).uri,
      certificatePem: response.certificate,
      privateKeyPem,
      privateKey,
      rootsPem: response.rootCertificates,
      notAfter: new Date(certificate.validTo),
    };
  } finally {
    client.close();
  }
}
