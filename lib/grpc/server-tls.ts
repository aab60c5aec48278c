import { experimental, type ServerCredentials } from '@grpc/grpc-js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** The server's own TLS identity: an X509-SVID (PEM, leaf first) and its private key. */
export interface ServerIdentity {
  certificatePem: string;
  privateKeyPem: string;
}

/**
 * Holds the server certificate and the client CA pool in memory and pushes updates to grpc-js,
 * so a renewed SVID or a new root takes effect for new connections without a restart.
 */
export class ServerTlsSource implements experimental.CertificateProvider {
  #identity: ServerIdentity;
  #clientCaPems: readonly string[];
  readonly #caListeners = new Set<CaListener>();
  readonly #identityListeners = new Set<IdentityListener>();

  constructor(identity: ServerIdentity, clientCaPems: readonly string[]) {
    this.#identity = identity;
    this.#clientCaPems = clientCaPems;
  }

  updateIdentity(identity: ServerIdentity): void {
    this.#identity = identity;
    for (const listener of this.#identityListeners) listener(this.#identityUpdate());
  }

  updateClientCas(clientCaPems: readonly string[]): void {
    this.#clientCaPems = clientCaPems;
    for (const listener of this.#caListeners) listener(this.#caUpdate());
  }

  /**
   * Client certificates are requested but optional at the TLS layer: some calls (bootstrap with a
   * token, public roots) have none, and every present one is verified per trust domain by the
   * server's peer verifier, which is stricter than the merged CA pool TLS can express.
   */
  credentials(): ServerCredentials {
    // grpc-js passes its first argument to the identity slot, whatever its typings call it.
    return experimental.createCertificateProviderServerCredentials(this, this, false);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    // Deliver after returning: grpc-js registers its own watcher only after adding listeners.
    process.nextTick(() => listener(this.#caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    process.nextTick(() => listener(this.#identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
  }

  #caUpdate() {
    return { caCertificate: Buffer.from(this.#clientCaPems.join('\n')) };
  }

  #identityUpdate() {
    return {
      certificate: Buffer.from(this.#identity.certificatePem),
      privateKey: Buffer.from(this.#identity.privateKeyPem),
    };
  }
}
