import { status as GrpcStatus } from '@grpc/grpc-js';
import { NotFoundError, PermissionDeniedError } from '../errors/accord-error.js';
import { errorKindOfStatus, toWireStatus } from './grpc-status.js';

describe('errorKindOfStatus', () => {
  it.each([new NotFoundError('x'), new PermissionDeniedError('x')])(
    'inverts toWireStatus for a %s',
    (error) => {
      expect(errorKindOfStatus(toWireStatus(error).code)).toBe(error.kind);
    },
  );

  it('reads a missed deadline as Unavailable and has no kind for INTERNAL', () => {
    expect(errorKindOfStatus(GrpcStatus.DEADLINE_EXCEEDED)).toBe('Unavailable');
    expect(errorKindOfStatus(GrpcStatus.INTERNAL)).toBeUndefined();
  });
});
