import { X509Certificate, type webcrypto } from 'node:crypto';
import { exportJWK } from 'jose';
import { signConsentTimestamp, type ConsentTimestamp } from '../lib/contract/consent-timestamp.js';
import { isZoneApprover, zoneApproverIds } from '../lib/contract/zone-approvers.js';
import {
  FailedPreconditionError,
  PermissionDeniedError,
  UnauthenticatedError,
} from '../lib/errors/accord-error.js';
import type { Logger } from '../lib/log/logger.js';
import { spiffeIdOf, type SpiffeId } from '../lib/spiffe/spiffe-id.js';
import type { TrustBundleSet, VerifiedSvid } from '../lib/spiffe/x509-svid.js';
import type { Clock } from '../lib/time/clock.js';
import { sha256Hex } from '../lib/x509/fingerprint.js';
import { generateEcKeyPair } from '../lib/x509/generate-ec-key-pair.js';
import { issueX509Svid } from '../lib/x509/issue-x509-svid.js';
import { privateKeyToPem } from '../lib/x509/private-key-pem.js';
import { verifyCsr } from '../lib/x509/verify-csr.js';
import { loadCaMaterial, type CaMaterial, type LoadedRoot } from './ca-material.js';
import type { CaState } from './ca-state.js';
import type { CaStore } from './ca-store.js';
import { createCaState, type RootPolicy } from './create-ca-state.js';
import { issueWit } from './issue-wit.js';
import { bundleSequence, rootsInBundle } from './root-retention.js';
import { buildSpiffeBundle } from './spiffe-bundle.js';
import { decideSvidValidity, type SvidLifetimePolicy } from './svid-validity.js';

/** The SPIFFE ID path of the PKI's own serving SVID. */
export const pkiSpiffePath = '/accord/pki';

/** Lifetime policy of WITs. */
export interface WitLifetimePolicy {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
}

/** Dependencies and policy of a zone PKI. */
export interface PkiAuthorityOptions {
  store: CaStore;
  trustDomain: string;
  clock: Clock;
  svidLifetime: SvidLifetimePolicy;
  witLifetime: WitLifetimePolicy;
  rootPolicy: RootPolicy;
  bundleRefreshHintSeconds: number;
  logger: Logger;
}

/** The zone's roots as `GetCA` reports them. */
export interface CaInfo {
  trustDomain: string;
  /** PEM, signing root first. */
  rootCertificatePems: string[];
  activeRootHash: string;
}

/** An issued X509-SVID. */
export interface IssuedSvid {
  spiffeId: SpiffeId;
  certificatePem: string;
  rootCertificatePems: string[];
  notAfter: Date;
}

/** An SVID with its freshly generated key, for the PKI's own TLS. */
export interface SelfIssuedSvid {
  certificatePem: string;
  privateKeyPem: string;
  notAfter: Date;
}

/** A signed WIT. */
export interface IssuedWit {
  token: string;
  expiresAt: Date;
}

/**
 * The zone PKI's domain core: root CA, X509-SVID issuance, WITs and the bundle. Callers pass an
 * already *authenticated* identity; this class decides what that identity gets, never the CSR.
 */
export class PkiAuthority {
  readonly trustDomain: string;
  readonly #options: PkiAuthorityOptions;
  readonly #listeners: (() => Promise<void>)[] = [];
  #material: CaMaterial;

  private constructor(options: PkiAuthorityOptions, material: CaMaterial) {
    this.trustDomain = options.trustDomain;
    this.#options = options;
    this.#material = material;
  }

  /** Loads the zone CA, creating it if absent (create-if-absent: concurrent starts share one root). */
  static async open(options: PkiAuthorityOptions): Promise<PkiAuthority> {
    const existing = await options.store.load();
    const state =
      existing ??
      (await options.store.createIfAbsent(
        await createCaState(options.trustDomain, options.clock.now(), options.rootPolicy),
      ));
    const authority = new PkiAuthority(options, await loadCaMaterial(state));
    options.logger.info('zone CA loaded', {
      trustDomain: options.trustDomain,
      activeRootHash: authority.getCa().activeRootHash,
      roots: state.roots.length,
    });
    return authority;
  }

  /**
   * Re-reads the store so a change made elsewhere (`accord-pki rotate`, another replica's root
   * rotation) takes effect; true if it changed. Listeners hear of the change.
   */
  async reload(): Promise<boolean> {
    const state = await this.#options.store.load();
    if (state === undefined || state.version === this.#material.state.version) return false;
    await this.#install(state, 'zone CA reloaded');
    return true;
  }

  /** The clock every decision of this PKI uses. */
  get clock(): Clock {
    return this.#options.clock;
  }

  /** The stored state this authority serves (read-only: change it through `changeState`). */
  get state(): Readonly<CaState> {
    return this.#material.state;
  }

  /**
   * Changes the CA state: `plan` gets the state just read from the store and the time, returns the
   * next state and a result; the state is written with compare-and-swap on its version (a
   * concurrent writer makes it fail with `FailedPreconditionError`: retry), then served at once
   * and announced to the listeners. The one way the PKI itself writes its state.
   */
  async changeState<T>(plan: (current: CaState, now: Date) => { state: CaState; result: T }): Promise<T> {
    const current = await this.#options.store.load();
    if (current === undefined) throw new FailedPreconditionError('the CA state has vanished from its store');
    const { state, result } = plan(current, this.#options.clock.now());
    await this.#options.store.replace(state, current.version);
    await this.#install(state, 'zone CA changed');
    return result;
  }

  /**
   * Calls `listener` after every change of the served state (reload or `changeState`), so the
   * server can renew its own SVID, offer the new roots to TLS clients and rewrite `roots.pem`.
   */
  onChange(listener: () => Promise<void>): void {
    this.#listeners.push(listener);
  }

  async #install(state: CaState, message: string): Promise<void> {
    this.#material = await loadCaMaterial(state);
    this.#options.logger.info(message, {
      version: state.version,
      activeRootHash: this.getCa().activeRootHash,
      hasNextRoot: state.nextRoot !== undefined,
    });
    for (const listener of this.#listeners) await listener();
  }

  getCa(): CaInfo {
    const roots = this.#bundleRoots();
    return {
      trustDomain: this.trustDomain,
      rootCertificatePems: roots.map((root) => root.certificatePem),
      activeRootHash: sha256Hex(this.#signingRoot().certificate.raw),
    };
  }

  /** The zone's SPIFFE bundle document (JSON) and its sequence. */
  getBundle(): Promise<{ trustDomain: string; bundleJson: string; sequence: number }> {
    const sequence = bundleSequence(this.#material.state, this.#options.clock.now());
    const document = buildSpiffeBundle({
      rootCertificatePems: this.#bundleRoots().map((root) => root.certificatePem),
      sequence,
      refreshHintSeconds: this.#options.bundleRefreshHintSeconds,
    });
    return Promise.resolve({ trustDomain: this.trustDomain, bundleJson: JSON.stringify(document), sequence });
  }

  /** This zone's roots keyed by trust domain, for verifying callers' client certificates. */
  trustBundles(): TrustBundleSet {
    return new Map([[this.trustDomain, this.#bundleRoots().map((root) => root.certificate)]]);
  }

  /**
   * Issues an X509-SVID for `caller` (the authenticated identity) to the key that signed the CSR.
   * Whatever the CSR's subject or SANs say is ignored.
   */
  async signCsr(caller: SpiffeId, csrPem: string, requestedTtlSeconds: number): Promise<IssuedSvid> {
    this.#requireOwnWorkload(caller);
    const csr = await verifyCsr(csrPem);
    return this.#issue(caller, csr.publicKey, requestedTtlSeconds);
  }

  /**
   * Issues a WIT for a caller authenticated by its SVID, bound (`cnf.jwk`) to that SVID's key, and
   * never outliving it.
   */
  async issueWit(caller: VerifiedSvid | undefined, requestedTtlSeconds: number): Promise<IssuedWit> {
    if (caller === undefined) throw new UnauthenticatedError('IssueWIT requires a client SVID');
    this.#requireOwnWorkload(caller.spiffeId);
    const now = this.#options.clock.now();
    const policy = this.#options.witLifetime;
    const ttlSeconds = Math.min(
      requestedTtlSeconds === 0 ? policy.defaultTtlSeconds : requestedTtlSeconds,
      policy.maxTtlSeconds,
    );
    const expiresAt = new Date(
      Math.min(now.getTime() + ttlSeconds * 1000, Date.parse(caller.certificate.validTo)),
    );
    const token = await issueWit({
      signingKey: this.#material.witSigningKey,
      keyId: this.#material.witKeyId,
      issuer: spiffeIdOf(this.trustDomain, '').uri,
      subject: caller.spiffeId.uri,
      confirmationJwk: await exportJWK(caller.certificate.publicKey),
      issuedAt: now,
      expiresAt,
    });
    return { token, expiresAt };
  }

  /**
   * Timestamps a consent signature (given its SHA-256) with the signing root and this PKI's clock,
   * for a caller authenticated by its SVID that is one of the zone's designated approvers: the
   * proof partners need that an approval or revocation was signed while its signer's certificate
   * was valid (docs/threat-model.md, T3). An expired SVID cannot authenticate, so a leaked key of
   * one cannot obtain a timestamp; nor can any workload of the zone.
   */
  async timestampConsent(
    caller: VerifiedSvid | undefined,
    signatureSha256: Uint8Array,
  ): Promise<ConsentTimestamp> {
    if (caller === undefined) throw new UnauthenticatedError('TimestampConsent requires a client SVID');
    this.#requireOwnWorkload(caller.spiffeId);
    if (!isZoneApprover(caller.spiffeId.uri, this.trustDomain)) {
      throw new PermissionDeniedError(
        `${caller.spiffeId.uri} is not a designated approver of ${this.trustDomain} (only ${zoneApproverIds(this.trustDomain).join(', ')}): it has no consent to timestamp`,
      );
    }
    const root = this.#signingRoot();
    const timestamp = await signConsentTimestamp(
      root.keys.privateKey,
      this.trustDomain,
      signatureSha256,
      this.#options.clock.now(),
    );
    this.#options.logger.info('consent timestamped', {
      spiffeId: caller.spiffeId.uri,
      signatureSha256: Buffer.from(signatureSha256).toString('hex'),
      time: timestamp.time.toISOString(),
    });
    return timestamp;
  }

  /** Issues the PKI's own serving SVID (`spiffe://<td>/accord/pki`) with a new key. */
  async issueOwnSvid(): Promise<SelfIssuedSvid> {
    const keys = await generateEcKeyPair();
    const issued = await this.#issue(spiffeIdOf(this.trustDomain, pkiSpiffePath), keys.publicKey, 0);
    return {
      certificatePem: issued.certificatePem,
      privateKeyPem: await privateKeyToPem(keys.privateKey),
      notAfter: issued.notAfter,
    };
  }

  async #issue(
    spiffeId: SpiffeId,
    publicKey: webcrypto.CryptoKey,
    requestedTtlSeconds: number,
  ): Promise<IssuedSvid> {
    const root = this.#signingRoot();
    const validity = decideSvidValidity(
      this.#options.clock.now(),
      requestedTtlSeconds,
      this.#options.svidLifetime,
      new Date(root.certificate.validTo),
    );
    const certificatePem = await issueX509Svid({
      issuerCertificatePem: root.certificatePem,
      issuerKeys: root.keys,
      subjectPublicKey: publicKey,
      spiffeId,
      validity,
    });
    this.#options.logger.info('SVID issued', {
      spiffeId: spiffeId.uri,
      notAfter: validity.notAfter.toISOString(),
      fingerprint: sha256Hex(new X509Certificate(certificatePem).raw),
    });
    return {
      spiffeId,
      certificatePem,
      rootCertificatePems: this.getCa().rootCertificatePems,
      notAfter: validity.notAfter,
    };
  }

  #requireOwnWorkload(caller: SpiffeId): void {
    if (caller.trustDomain !== this.trustDomain) {
      throw new PermissionDeniedError(`identities of trust domain ${caller.trustDomain} are not issued here`);
    }
    if (caller.path === '')
      throw new PermissionDeniedError('the trust domain ID itself cannot be issued to a workload');
  }

  #signingRoot(): LoadedRoot {
    const [root] = this.#material.roots;
    if (root === undefined) throw new Error('CA state has no root');
    return root;
  }

  /** The roots in the bundle: the signing root, the retiring ones still retained, the prepared one. */
  #bundleRoots(): LoadedRoot[] {
    const kept = new Set(
      rootsInBundle(this.#material.state, this.#options.clock.now()).map((root) => root.certificatePem),
    );
    const { roots, nextRoot } = this.#material;
    return [...roots, ...(nextRoot === undefined ? [] : [nextRoot])].filter((root) =>
      kept.has(root.certificatePem),
    );
  }
}
