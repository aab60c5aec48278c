import { connectKube, type KubeClient } from './kube-client.js';
import type { V1TokenReview } from './kube-objects.js';

/**
 * What the API server said of a bearer token: who it authenticates (and for which audiences), or
 * why it does not. A failed call (timeout, refused connection, 403 for lack of RBAC) is thrown
 * instead: it says nothing about the token, and the caller must not report it as a refusal.
 */
export type TokenReviewResult =
  | { readonly kind: 'authenticated'; readonly username: string; readonly audiences: readonly string[] }
  | { readonly kind: 'refused'; readonly reason: string };

/** The one call a review makes; `tokenReviewApiClient` in production, with client-node's name for it. */
export interface TokenReviewApi {
  createTokenReview(call: { readonly body: V1TokenReview }): Promise<V1TokenReview>;
}

/** The deadline of one TokenReview: a caller (a pod starting) waits for it. */
export const tokenReviewTimeoutMs = 5_000;

/** TokenReviews for the kubeconfig at `kubeconfigPath` (absent: in-cluster), each with `tokenReviewTimeoutMs`. */
export function tokenReviewApiClient(kubeconfigPath?: string): TokenReviewApi {
  const kube: KubeClient = connectKube(kubeconfigPath, { timeoutMs: tokenReviewTimeoutMs });
  return {
    createTokenReview: ({ body }) =>
      kube.request({ method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', body }),
  };
}

/**
 * Asks the API server (`authentication.k8s.io/v1` TokenReview) whether `token` is valid for
 * `audiences`. The API server checks signature, expiry, audience and, for ServiceAccount tokens,
 * that the ServiceAccount (and the pod or secret the token is bound to) still exists.
 */
export async function reviewToken(
  api: TokenReviewApi,
  token: string,
  audiences: readonly string[],
): Promise<TokenReviewResult> {
  const review = await api.createTokenReview({
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, audiences: [...audiences] },
    },
  });
  const status = review.status;
  if (status?.authenticated !== true) {
    const reason = status?.error;
    return {
      kind: 'refused',
      reason: reason === undefined || reason === '' ? 'token not authenticated' : reason,
    };
  }
  const username = status.user?.username;
  if (username === undefined || username === '')
    return { kind: 'refused', reason: 'the API server authenticated the token without naming a user' };
  return { kind: 'authenticated', username, audiences: status.audiences ?? [] };
}
