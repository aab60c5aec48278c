/**
 * Domain errors carry intent, so that one mapping (lib/grpc) can turn them into the right gRPC
 * status, and controllers can tell a user mistake (not retried) from a transient failure.
 * Their messages are safe to show to the caller; internal details belong in `cause`.
 */
export type ErrorKind =
  | 'InvalidArgument'
  | 'NotFound'
  | 'AlreadyExists'
  | 'FailedPrecondition'
  | 'PermissionDenied'
  | 'Unauthenticated'
  | 'ResourceExhausted'
  | 'Unavailable'
  | 'Cancelled'
  | 'Internal';

export abstract class AccordError extends Error {
  abstract readonly kind: ErrorKind;
}

/** The request itself is malformed: bad protobuf, bad PEM, a rule of the schema broken. */
export class InvalidArgumentError extends AccordError {
  readonly kind = 'InvalidArgument';
  override readonly name = 'InvalidArgumentError';
}

export class NotFoundError extends AccordError {
  readonly kind = 'NotFound';
  override readonly name = 'NotFoundError';
}

export class AlreadyExistsError extends AccordError {
  readonly kind = 'AlreadyExists';
  override readonly name = 'AlreadyExistsError';
}

/** The request is well formed but the current state does not allow it (e.g. approving a revoked contract). */
export class FailedPreconditionError extends AccordError {
  readonly kind = 'FailedPrecondition';
  override readonly name = 'FailedPreconditionError';
}

/** The caller is known but may not do this. */
export class PermissionDeniedError extends AccordError {
  readonly kind = 'PermissionDenied';
  override readonly name = 'PermissionDeniedError';
}

/** The caller could not be identified (no or invalid certificate or token). */
export class UnauthenticatedError extends AccordError {
  readonly kind = 'Unauthenticated';
  override readonly name = 'UnauthenticatedError';
}

export class ResourceExhaustedError extends AccordError {
  readonly kind = 'ResourceExhausted';
  override readonly name = 'ResourceExhaustedError';
}

/** A dependency (storage, an upstream service) cannot be reached right now; retrying may help. */
export class UnavailableError extends AccordError {
  readonly kind = 'Unavailable';
  override readonly name = 'UnavailableError';
}

/** The caller gave up (cancelled the call or its signal) before an answer arrived. */
export class CancelledError extends AccordError {
  readonly kind = 'Cancelled';
  override readonly name = 'CancelledError';
}

/**
 * Something failed that neither the caller nor a retry can fix: a remote server's bug (gRPC
 * INTERNAL, UNKNOWN, DATA_LOSS) or a method it does not implement. Sent on as a generic INTERNAL.
 */
export class InternalError extends AccordError {
  readonly kind = 'Internal';
  override readonly name = 'InternalError';
}

/** Whether `error` is a domain error of `kind`, whichever side (this process or a server) raised it. */
export function isErrorOfKind(error: unknown, kind: ErrorKind): boolean {
  return error instanceof AccordError && error.kind === kind;
}

/** Narrows an unknown thrown value to a message fit for a log field. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
