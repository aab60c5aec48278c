import { status as GrpcStatus } from '@grpc/grpc-js';
import { AccordError, type ErrorKind } from '../lib/errors/accord-error.js';
import { GrpcCallError } from '../lib/grpc/grpc-client.js';

/** The repository answers the reconciler decides on; anything else is retried by the work queue. */
export type RepositoryFailure = Extract<ErrorKind, 'NotFound' | 'PermissionDenied' | 'Unavailable'>;

/** A deadline is an outage too: the same call may simply be retried. */
const failureOfCode = new Map<GrpcStatus, RepositoryFailure>([
  [GrpcStatus.NOT_FOUND, 'NotFound'],
  [GrpcStatus.PERMISSION_DENIED, 'PermissionDenied'],
  [GrpcStatus.UNAVAILABLE, 'Unavailable'],
  [GrpcStatus.DEADLINE_EXCEEDED, 'Unavailable'],
]);

const failureKinds: ReadonlySet<ErrorKind> = new Set<RepositoryFailure>([
  'NotFound',
  'PermissionDenied',
  'Unavailable',
]);

function isRepositoryFailure(kind: ErrorKind): kind is RepositoryFailure {
  return failureKinds.has(kind);
}

/**
 * Classifies what a `ContractRepositoryClient` threw. The gRPC adapter surfaces status codes
 * (`GrpcCallError`) while in-process implementations throw domain errors; the reconciler reads
 * both the same way.
 */
export function repositoryFailure(error: unknown): RepositoryFailure | undefined {
  if (error instanceof GrpcCallError) return failureOfCode.get(error.code);
  if (error instanceof AccordError && isRepositoryFailure(error.kind)) return error.kind;
  return undefined;
}
