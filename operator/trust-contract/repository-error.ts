import { AccordError, type ErrorKind } from '../../lib/errors/accord-error.js';
import { GrpcCallError } from '../../lib/grpc/grpc-client.js';
import { errorKindOfStatus } from '../../lib/grpc/grpc-status.js';

/** The repository answers the reconciler decides on; anything else is retried by the work queue. */
export type RepositoryFailure = Extract<ErrorKind, 'NotFound' | 'PermissionDenied' | 'Unavailable'>;

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
  const kind =
    error instanceof GrpcCallError
      ? errorKindOfStatus(error.code)
      : error instanceof AccordError
        ? error.kind
        : undefined;
  return kind !== undefined && isRepositoryFailure(kind) ? kind : undefined;
}
