import type { SpiffeId } from '../lib/spiffe/spiffe-id.js';
import type { VerifiedSvid } from '../lib/spiffe/x509-svid.js';

/** What a caller presented: a verified client certificate and/or a bearer token. */
export interface CallerCredentials {
  peer: VerifiedSvid | undefined;
  bearerToken: string | undefined;
}

/**
 * Decides which SPIFFE ID a caller may obtain. Behind an interface because local mode uses
 * bootstrap tokens and SVIDs, and cluster mode adds Kubernetes TokenReview. Throws
 * `UnauthenticatedError` when the caller proves nothing.
 */
export interface Authenticator {
  authenticate(credentials: CallerCredentials): Promise<SpiffeId>;
}
