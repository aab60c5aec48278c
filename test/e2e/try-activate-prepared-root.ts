import { activatePreparedRoot, type RotationParties } from '../../lib/contract/announced-rotation.js';
import type { RootActivation } from '../../lib/contract/root-rotation.js';
import { FailedPreconditionError } from '../../lib/errors/accord-error.js';

/**
 * Activates the prepared root unforced, or returns `undefined` while that is refused as a failed
 * precondition (a partner has not acknowledged it yet, or the PKI's own bound has not passed): the
 * check a rotation test polls until the activation goes through. Any other error fails at once.
 */
export async function tryActivatePreparedRoot(parties: RotationParties): Promise<RootActivation | undefined> {
  try {
    return await activatePreparedRoot(parties, false);
  } catch (error) {
    if (error instanceof FailedPreconditionError) return undefined;
    throw error;
  }
}
