import { UnauthenticatedError, UnavailableError } from '../lib/errors/accord-error.js';
import { kubeErrorReason } from '../lib/kube/kube-errors.js';
import type { TokenReviewResult } from '../lib/kube/token-review.js';
import { spiffeIdOf, type SpiffeId } from '../lib/spiffe/spiffe-id.js';
import type { Authenticator, CallerCredentials } from './authenticator.js';
import type { LocalAuthenticator } from './local-authenticator.js';

/** The audience ServiceAccount tokens for the PKI are minted for, unless configured otherwise. */
export const defaultPkiTokenAudience = 'accord-pki';

/** What cluster-mode authentication needs besides the local grants. */
export interface KubeTokenAuthenticatorOptions {
  trustDomain: string;
  /** The audience a token must be valid for (`spec.audiences` of the TokenReview). */
  audience: string;
  /** Bootstrap tokens and SVID renewals, exactly as in local mode. */
  local: LocalAuthenticator;
  /** One TokenReview (`reviewToken` bound to an API client with a deadline); throws when the call fails. */
  review: (token: string, audiences: readonly string[]) => Promise<TokenReviewResult>;
}

const serviceAccountUserPrefix = 'system:serviceaccount:';
/** RFC 1123 label: a namespace name. */
const namespacePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: a ServiceAccount name. */
const serviceAccountNamePattern =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * The SPIFFE ID a ServiceAccount obtains: `spiffe://<td>/ns/<namespace>/sa/<name>` for the
 * TokenReview username `system:serviceaccount:<namespace>:<name>`. The namespace and name must
 * follow Kubernetes' own grammar (a label and a subdomain), so nothing an API server or an
 * authentication webhook answers can smuggle `/`, `..` or another path into the ID: every such ID
 * lies under `/ns/`, never in Accord's reserved `/accord` namespace where the zone's designated
 * approvers live (lib/contract/zone-approvers.ts). Throws `UnauthenticatedError`.
 */
export function serviceAccountSpiffeId(trustDomain: string, username: string): SpiffeId {
  const parts = username.startsWith(serviceAccountUserPrefix)
    ? username.slice(serviceAccountUserPrefix.length).split(':')
    : [];
  const [namespace, name] = parts;
  if (parts.length !== 2 || namespace === undefined || name === undefined)
    throw new UnauthenticatedError(`the token authenticates ${username}, not a ServiceAccount`);
  if (!namespacePattern.test(namespace) || !serviceAccountNamePattern.test(name)) {
    throw new UnauthenticatedError(
      `the token authenticates ${username}, whose namespace or name is not a Kubernetes name`,
    );
  }
  return spiffeIdOf(trustDomain, `/ns/${namespace}/sa/${name}`);
}

/**
 * Cluster-mode authentication: SVID renewals and bootstrap tokens go to the `LocalAuthenticator`
 * unchanged (Accord's own components use them); any other bearer token must be a Kubernetes
 * ServiceAccount token valid for the PKI's audience, which the API server confirms by TokenReview,
 * and it obtains `spiffe://<td>/ns/<namespace>/sa/<name>` (the SPIFFE/Istio convention). Every
 * such ID lies under `/ns/`, so a ServiceAccount can never obtain an Accord component's ID. When
 * the API server cannot be asked, the caller is told the PKI is unavailable, not that its token is
 * bad: it should retry, not give up.
 */
export class KubeTokenAuthenticator implements Authenticator {
  readonly #options: KubeTokenAuthenticatorOptions;

  constructor(options: KubeTokenAuthenticatorOptions) {
    this.#options = options;
  }

  async authenticate(credentials: CallerCredentials): Promise<SpiffeId> {
    const { peer, bearerToken } = credentials;
    if (peer !== undefined) return this.#options.local.authenticate(credentials);
    if (bearerToken === undefined || bearerToken === '')
      throw new UnauthenticatedError('present a client SVID, a bootstrap token or a ServiceAccount token');
    return this.#options.local.bootstrapGrant(bearerToken) ?? this.#serviceAccountId(bearerToken);
  }

  async #serviceAccountId(token: string): Promise<SpiffeId> {
    const { audience, trustDomain } = this.#options;
    let result: TokenReviewResult;
    try {
      result = await this.#options.review(token, [audience]);
    } catch (error) {
      throw new UnavailableError(`cannot review the ServiceAccount token: ${kubeErrorReason(error)}`);
    }
    if (result.kind === 'refused')
      throw new UnauthenticatedError(`ServiceAccount token refused by the API server: ${result.reason}`);
    if (!result.audiences.includes(audience))
      throw new UnauthenticatedError(`the token is not valid for audience ${audience}`);
    return serviceAccountSpiffeId(trustDomain, result.username);
  }
}
