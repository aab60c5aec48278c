import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthenticatedError } from '../lib/errors/accord-error.js';
import { spiffeIdOf, type SpiffeId } from '../lib/spiffe/spiffe-id.js';
import type { Authenticator, CallerCredentials } from './authenticator.js';

/** A bootstrap token as configured: only its hash, and the SPIFFE ID path it grants. */
export interface BootstrapTokenGrant {
  /** Lower-case hex SHA-256 of the token. */
  tokenSha256: string;
  /** SPIFFE ID path, e.g. `/accord/contract-provider`. */
  spiffePath: string;
}

/**
 * Local-mode authentication. A caller with a verified SVID of this trust domain keeps its own ID
 * (renewal); SVIDs of other trust domains are refused even if a verifier let them through. A
 * caller without one may present a bootstrap token, matched by hash in constant time against
 * every configured grant, so config never holds a usable token and timing reveals nothing.
 */
export class LocalAuthenticator implements Authenticator {
  readonly #trustDomain: string;
  readonly #grants: readonly { digest: Buffer; spiffeId: SpiffeId }[];

  constructor(trustDomain: string, grants: readonly BootstrapTokenGrant[]) {
    this.#trustDomain = trustDomain;
    this.#grants = grants.map((grant) => ({
      digest: Buffer.from(grant.tokenSha256, 'hex'),
      spiffeId: spiffeIdOf(trustDomain, grant.spiffePath),
    }));
  }

  authenticate(credentials: CallerCredentials): Promise<SpiffeId> {
    // The executor turns a thrown refusal into a rejection.
    return new Promise((resolve) => {
      resolve(this.#decide(credentials));
    });
  }

  #decide({ peer, bearerToken }: CallerCredentials): SpiffeId {
    if (peer !== undefined) {
      if (peer.spiffeId.trustDomain !== this.#trustDomain) {
        throw new UnauthenticatedError(
          `SVIDs of trust domain ${peer.spiffeId.trustDomain} cannot be renewed here`,
        );
      }
      return peer.spiffeId;
    }
    if (bearerToken === undefined || bearerToken.length === 0) {
      throw new UnauthenticatedError('present a client SVID or a bootstrap token');
    }
    const granted = this.bootstrapGrant(bearerToken);
    if (granted === undefined) throw new UnauthenticatedError('unknown bootstrap token');
    return granted;
  }

  /**
   * The SPIFFE ID a bootstrap token grants, or undefined when it matches no grant (so cluster
   * mode can try it as a ServiceAccount token).
   */
  bootstrapGrant(bearerToken: string): SpiffeId | undefined {
    const digest = createHash('sha256').update(bearerToken, 'utf8').digest();
    let granted: SpiffeId | undefined;
    for (const grant of this.#grants) {
      if (grant.digest.length === digest.length && timingSafeEqual(grant.digest, digest))
        granted ??= grant.spiffeId;
    }
    return granted;
  }
}
