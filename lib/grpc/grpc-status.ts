import { status as GrpcStatus } from '@grpc/grpc-js';
import { AccordError, type ErrorKind } from '../errors/accord-error.js';

/** The one mapping from domain error kinds to gRPC status codes. */
const codeOfKind: Record<ErrorKind, GrpcStatus> = {
  InvalidArgument: GrpcStatus.INVALID_ARGUMENT,
  NotFound: GrpcStatus.NOT_FOUND,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  FailedPrecondition: GrpcStatus.FAILED_PRECONDITION,
  PermissionDenied: GrpcStatus.PERMISSION_DENIED,
  Unauthenticated: GrpcStatus.UNAUTHENTICATED,
  ResourceExhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  Unavailable: GrpcStatus.UNAVAILABLE,
};

const kindOfCode = new Map<GrpcStatus, ErrorKind>(
  Object.entries(codeOfKind).map(([kind, code]) => [code, kind as ErrorKind]),
);

/**
 * The domain error kind a status received from a server stands for (the inverse of the mapping
 * above), so clients can branch on kinds whichever side raised them. A missed deadline counts as
 * `Unavailable`: the same call may simply be retried.
 */
export function errorKindOfStatus(code: GrpcStatus): ErrorKind | undefined {
  return code === GrpcStatus.DEADLINE_EXCEEDED ? 'Unavailable' : kindOfCode.get(code);
}

export interface WireStatus {
  code: GrpcStatus;
  details: string;
  /** Whether the error is ours to fix (an unexpected failure) rather than the caller's. */
  isInternal: boolean;
}

/**
 * Turns anything a handler threw into the status sent to the caller. Domain errors keep their
 * message (written to be shown); anything else becomes INTERNAL with a generic message, and the
 * details go to the log only.
 */
export function toWireStatus(error: unknown): WireStatus {
  if (error instanceof AccordError) {
    return { code: codeOfKind[error.kind], details: error.message, isInternal: false };
  }
  return { code: GrpcStatus.INTERNAL, details: 'internal error', isInternal: true };
}

/** The canonical upper-case name of a status code, e.g. `PERMISSION_DENIED`, for logs and metrics. */
export function statusName(code: GrpcStatus): string {
  return GrpcStatus[code];
}
