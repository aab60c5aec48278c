import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  AccordError,
  AlreadyExistsError,
  CancelledError,
  type ErrorKind,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from '../errors/accord-error.js';
import { boundMessage } from '../errors/quote-untrusted.js';

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
  Cancelled: GrpcStatus.CANCELLED,
  Internal: GrpcStatus.INTERNAL,
};

/**
 * The inverse, for statuses received from a server, so that clients branch on kinds whichever side
 * raised them. Codes Accord's servers never send map to the nearest kind: a missed deadline or an
 * aborted transaction may simply be retried (`Unavailable`), a value out of range is a bad
 * argument, and a server's bug or a method it lacks is `Internal`.
 */
const kindOfCode: Record<GrpcStatus, ErrorKind | undefined> = {
  [GrpcStatus.OK]: undefined,
  [GrpcStatus.CANCELLED]: 'Cancelled',
  [GrpcStatus.UNKNOWN]: 'Internal',
  [GrpcStatus.INVALID_ARGUMENT]: 'InvalidArgument',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'Unavailable',
  [GrpcStatus.NOT_FOUND]: 'NotFound',
  [GrpcStatus.ALREADY_EXISTS]: 'AlreadyExists',
  [GrpcStatus.PERMISSION_DENIED]: 'PermissionDenied',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [GrpcStatus.FAILED_PRECONDITION]: 'FailedPrecondition',
  [GrpcStatus.ABORTED]: 'Unavailable',
  [GrpcStatus.OUT_OF_RANGE]: 'InvalidArgument',
  [GrpcStatus.UNIMPLEMENTED]: 'Internal',
  [GrpcStatus.INTERNAL]: 'Internal',
  [GrpcStatus.UNAVAILABLE]: 'Unavailable',
  [GrpcStatus.DATA_LOSS]: 'Internal',
  [GrpcStatus.UNAUTHENTICATED]: 'Unauthenticated',
};

/** The domain error kind a status received from a server stands for; none for OK. */
export function errorKindOfStatus(code: GrpcStatus): ErrorKind | undefined {
  return kindOfCode[code];
}

const errorOfKind: Record<ErrorKind, new (message: string) => AccordError> = {
  InvalidArgument: InvalidArgumentError,
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  FailedPrecondition: FailedPreconditionError,
  PermissionDenied: PermissionDeniedError,
  Unauthenticated: UnauthenticatedError,
  ResourceExhausted: ResourceExhaustedError,
  Unavailable: UnavailableError,
  Cancelled: CancelledError,
  Internal: InternalError,
};

/**
 * The domain error a failed call's status stands for, so code above the client sees one error
 * vocabulary. The message is the server's (written to be shown); codes that lose detail in the
 * mapping (a missed deadline, an unimplemented method) keep their name in it.
 */
export function errorOfStatus(code: GrpcStatus, details: string): AccordError {
  const kind = errorKindOfStatus(code) ?? 'Internal';
  const isNamedByKind = codeOfKind[kind] === code;
  const message = isNamedByKind
    ? details
    : `${statusName(code).toLowerCase().replaceAll('_', ' ')} (${details})`;
  return new errorOfKind[kind](message);
}

/** The status code of a kind, e.g. to name it the way gRPC tools do (`PERMISSION_DENIED`). */
export function statusOfKind(kind: ErrorKind): GrpcStatus {
  return codeOfKind[kind];
}

export interface WireStatus {
  code: GrpcStatus;
  details: string;
  /** Whether the error is ours to fix (an unexpected failure) rather than the caller's. */
  isInternal: boolean;
}

/**
 * Turns anything a handler threw into the status sent to the caller. Domain errors keep their
 * message (written to be shown), bounded and with unsafe characters escaped (`boundMessage`): a
 * message that echoes a caller's value must not grow with it, or the `grpc-message` trailer
 * outgrows the client's header limit and the client stalls the connection. Anything else, an
 * `InternalError` included, becomes INTERNAL with a generic message, and the details go to the
 * log only.
 */
export function toWireStatus(error: unknown): WireStatus {
  if (error instanceof AccordError && error.kind !== 'Internal') {
    return { code: codeOfKind[error.kind], details: boundMessage(error.message), isInternal: false };
  }
  return { code: GrpcStatus.INTERNAL, details: 'internal error', isInternal: true };
}

/** The canonical upper-case name of a status code, e.g. `PERMISSION_DENIED`, for logs and metrics. */
export function statusName(code: GrpcStatus): string {
  return GrpcStatus[code];
}
