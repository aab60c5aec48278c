import { UsageError } from '../../lib/cli/command-line.js';
import { InvalidConfigError } from '../../lib/config/load-config.js';
import { AccordError, errorMessage } from '../../lib/errors/accord-error.js';
import { statusName, statusOfKind } from '../../lib/grpc/grpc-status.js';

/** An error's code as the console shows it: the gRPC status name accordctl prints, or a local one. */
export function errorCode(error: unknown): string {
  if (error instanceof AccordError) return statusName(statusOfKind(error.kind));
  if (error instanceof UsageError || error instanceof InvalidConfigError) return 'INVALID_ARGUMENT';
  return 'INTERNAL';
}

/** An error in words, `CODE: message` as accordctl prints it (never a stack trace). */
export function errorText(error: unknown): string {
  return `${errorCode(error)}: ${errorMessage(error)}`;
}
