import { errorMessage } from '../errors/accord-error.js';

/** HTTP status codes the Kubernetes backends branch on. */
export const KubeStatus = {
  notFound: 404,
  /** AlreadyExists on create, or a stale resourceVersion on update. */
  conflict: 409,
} as const;

/**
 * The API server answered with an error status. `body` is its text (a `Status` document,
 * usually); the message names the call and the server's reason.
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly code: number;
  readonly body: string;

  constructor(code: number, body: string, call: string) {
    super(`${call}: HTTP ${String(code)}: ${statusMessage(body)}`);
    this.code = code;
    this.body = body;
  }
}

/** True when `error` is the API server answering with `status` (e.g. `KubeStatus.conflict`). */
export function isKubeStatus(error: unknown, status: number): boolean {
  return error instanceof KubeApiError && error.code === status;
}

/**
 * Why an API call failed, for an error message: the HTTP status and the API server's own reason
 * (e.g. `secrets "ca" is forbidden: User … cannot get …`, which is what an operator needs to fix
 * RBAC), or the transport error (timeout, connection refused).
 */
export function kubeErrorReason(error: unknown): string {
  return error instanceof KubeApiError
    ? `HTTP ${String(error.code)}: ${statusMessage(error.body)}`
    : errorMessage(error);
}

/** The `message` of the Kubernetes `Status` an error response carries. */
function statusMessage(body: string): string {
  try {
    const status: unknown = JSON.parse(body);
    if (typeof status === 'object' && status !== null && 'message' in status) return String(status.message);
  } catch {
    // not a Status document
  }
  return 'no message';
}
