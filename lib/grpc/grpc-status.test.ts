import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  AccordError,
  CancelledError,
  InternalError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnavailableError,
} from '../errors/accord-error.js';
import { errorKindOfStatus, errorOfStatus, toWireStatus } from './grpc-status.js';

describe('errorKindOfStatus', () => {
  it.each([
    new NotFoundError('x'),
    new PermissionDeniedError('x'),
    new ResourceExhaustedError('x'),
    new CancelledError('x'),
  ])('inverts toWireStatus for a %s', (error) => {
    expect(errorKindOfStatus(toWireStatus(error).code)).toBe(error.kind);
  });

  it('reads a missed deadline and an aborted call as Unavailable, a server bug as Internal, OK as none', () => {
    expect(errorKindOfStatus(GrpcStatus.DEADLINE_EXCEEDED)).toBe('Unavailable');
    expect(errorKindOfStatus(GrpcStatus.ABORTED)).toBe('Unavailable');
    expect(errorKindOfStatus(GrpcStatus.INTERNAL)).toBe('Internal');
    expect(errorKindOfStatus(GrpcStatus.UNIMPLEMENTED)).toBe('Internal');
    expect(errorKindOfStatus(GrpcStatus.OK)).toBeUndefined();
  });
});

describe('errorOfStatus', () => {
  it('gives the domain error of the status with the server message', () => {
    const error = errorOfStatus(GrpcStatus.NOT_FOUND, 'contract ab not found');
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('contract ab not found');
  });

  it('keeps the name of a status its kind does not name', () => {
    const error = errorOfStatus(GrpcStatus.DEADLINE_EXCEEDED, 'no answer');
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('deadline exceeded (no answer)');
    expect(errorOfStatus(GrpcStatus.UNIMPLEMENTED, 'Watch')).toMatchObject({
      kind: 'Internal',
      message: 'unimplemented (Watch)',
    });
  });
});

describe('toWireStatus', () => {
  it('sends a domain error with its message', () => {
    expect(toWireStatus(new PermissionDeniedError('zone-c is no participant'))).toEqual({
      code: GrpcStatus.PERMISSION_DENIED,
      details: 'zone-c is no participant',
      isInternal: false,
    });
  });

  it.each([new Error('secret detail'), new InternalError('upstream INTERNAL: secret detail')])(
    'sends %s as a generic INTERNAL, its details to the log only',
    (error: Error | AccordError) => {
      expect(toWireStatus(error)).toEqual({
        code: GrpcStatus.INTERNAL,
        details: 'internal error',
        isInternal: true,
      });
    },
  );
});
