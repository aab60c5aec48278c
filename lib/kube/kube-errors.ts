import { ApiException } from '@kubernetes/client-node';
import { errorMessage } from '../errors/accord-error.js';

/** HTTP status codes the Kubernetes backends branch on. */
export const KubeStatus = {
  notFound: 404,
  /** AlreadyExists on create, or a stale resourceVersion on update. */
  conflict: 409,
} as const;

/** True when `error` is the API server answering with `status` (e.g. `KubeStatus.conflict`). */
export function isKubeStatus(error: unknown, status: number): boolean {
  return error instanceof ApiException && error.code === status;
}

/**
 * Why an API call failed, for an error message: the HTTP status and the API server's own reason
 * (e.g. `secrets "ca" is forbidden: User … cannot get …`, which is what an operator needs to fix
 * RBAC), or the transport error (timeout, connection refused).
 */
export function kubeErrorReason(error: unknown): string {
  return error instanceof ApiException
    ? `HTTP ${error.code}: ${statusMessage(error.body)}`
    : errorMessage(error);
}

/** The `message` of the Kubernetes `Status` an error response carries (client-node passes its text). */
function statusMessage(body: unknown): string {
  if (typeof body !== 'string') return 'no message';
  try {
    const status: unknown = JSON.parse(body);
    if (typeof status === 'object' && status !== null && 'message' in status) return String(status.message);
  } catch {
    // not a Status document
  }
  return 'no message';
}
