import {
  rotationStatus,
  type ContractRotationStatus,
  type RotationParties,
} from '../lib/contract/announced-rotation.js';
import type { ContractEvent } from '../lib/contract/contract-stream.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { CancelledError, FailedPreconditionError, UnavailableError } from '../lib/errors/accord-error.js';
import type { Clock } from '../lib/time/clock.js';
import { WaitTimeoutError, type WaitOptions } from './await-contract-active.js';

/** Where the activation of a prepared root stands, from the zone's contracts and the PKI's time bound. */
export type ActivationReadiness =
  | { readonly kind: 'ready' }
  | { readonly kind: 'unannounced'; readonly contractIds: readonly string[] }
  | { readonly kind: 'awaiting-acknowledgements'; readonly pending: readonly ContractRotationStatus[] }
  | { readonly kind: 'awaiting-pki'; readonly activatableAt: Date };

/**
 * Decides whether the prepared root can be activated now (`activatePreparedRoot` checks the same
 * and the PKI the time): never while a contract lacks its announcement (waiting does not announce
 * it), after every partner acknowledged it unless `isForced`, and not before `activatableAt`.
 */
export function activationReadiness(
  statuses: readonly ContractRotationStatus[],
  activatableAt: Date | undefined,
  now: Date,
  isForced: boolean,
): ActivationReadiness {
  const unannounced = statuses.filter((status) => !status.isAnnounced);
  if (unannounced.length > 0)
    return { kind: 'unannounced', contractIds: unannounced.map((status) => status.contractId) };
  const pending = statuses.filter((status) => status.pendingPartners.length > 0);
  if (pending.length > 0 && !isForced) return { kind: 'awaiting-acknowledgements', pending };
  if (activatableAt !== undefined && activatableAt.getTime() > now.getTime())
    return { kind: 'awaiting-pki', activatableAt };
  return { kind: 'ready' };
}

/** The line `--wait` prints (on stderr) while it waits. */
export function readinessProgress(readiness: ActivationReadiness): string {
  switch (readiness.kind) {
    case 'awaiting-acknowledgements':
      return `waiting for partners to install the prepared root: ${readiness.pending
        .map((status) => `${status.contractId} (${status.pendingPartners.join(', ')})`)
        .join(', ')}`;
    case 'awaiting-pki':
      return `the PKI lets the prepared root sign from ${readiness.activatableAt.toISOString()} (in-zone clients learn it by then): waiting`;
    case 'unannounced':
      return `the prepared root is not announced in ${readiness.contractIds.join(', ')}`;
    case 'ready':
      return 'ready to activate';
  }
}

/** What `awaitRootActivatable` needs beyond the parties: its bounds, the clock, and where progress goes. */
export interface RootWaitOptions extends WaitOptions {
  readonly clock: Clock;
  readonly isForced: boolean;
  /** Called with each new progress line (not repeated while nothing changes). */
  readonly onProgress: (line: string) => void;
}

/**
 * Waits until the zone's prepared root can be activated (`activationReadiness`), following the
 * repository's Watch stream (acknowledgements arrive as contract changes; no polling) and a timer
 * for the PKI's `activatableAt`. Throws FAILED_PRECONDITION when nothing is prepared or a contract
 * lacks the announcement, `WaitTimeoutError` naming what is still missing, `CancelledError` on
 * Ctrl-C, `UnavailableError` when the stream ends first.
 */
export async function awaitRootActivatable(
  parties: RotationParties,
  options: RootWaitOptions,
): Promise<void> {
  const next = (await parties.pki.view()).next;
  if (next === undefined) {
    throw new FailedPreconditionError('no root rotation is prepared (accordctl root prepare first)');
  }
  const contracts = new Map<string, TrustContract>();
  const stream = new AbortController();
  const timedOut = Symbol('timed out');
  const activatable = Symbol('activatable');
  const timer = options.timers.setTimeout(() => stream.abort(timedOut), options.timeoutMs);
  let activatableTimer: ReturnType<typeof options.timers.setTimeout> | undefined;
  const interrupt = () => stream.abort();
  options.interrupted.addEventListener('abort', interrupt);
  let progress = '';
  try {
    for await (const { event } of parties.repository.watch(undefined, stream.signal)) {
      applyEvent(contracts, event);
      const readiness = activationReadiness(
        rotationStatus(contracts.values(), parties.trustDomain, next.sha256),
        next.activatableAt,
        options.clock.now(),
        options.isForced,
      );
      if (readiness.kind === 'ready') return;
      if (readiness.kind === 'unannounced') {
        throw new FailedPreconditionError(
          `the prepared root is not announced in contract(s) ${readiness.contractIds.join(', ')} (accordctl root announce first)`,
        );
      }
      if (readiness.kind === 'awaiting-pki' && activatableTimer === undefined) {
        activatableTimer = options.timers.setTimeout(
          () => stream.abort(activatable),
          readiness.activatableAt.getTime() - options.clock.now().getTime(),
        );
      }
      const line = readinessProgress(readiness);
      if (line !== progress) options.onProgress(line);
      progress = line;
    }
  } catch (error) {
    if (!stream.signal.aborted) throw error;
  } finally {
    options.timers.clearTimeout(timer);
    if (activatableTimer !== undefined) options.timers.clearTimeout(activatableTimer);
    options.interrupted.removeEventListener('abort', interrupt);
    stream.abort();
  }
  if (stream.signal.reason === activatable) return;
  if (stream.signal.reason === timedOut)
    throw new WaitTimeoutError(`timed out after ${options.timeoutMs / 1000}s: ${progress}`);
  if (options.interrupted.aborted) throw new CancelledError(`interrupted: ${progress}`);
  throw new UnavailableError('the repository ended the watch before the prepared root could be activated');
}

/** Keeps `contracts` as the Watch stream describes them; a contract that does not decode is dropped. */
function applyEvent(contracts: Map<string, TrustContract>, event: ContractEvent): void {
  switch (event.kind) {
    case 'snapshot':
      contracts.clear();
      for (const received of event.contracts)
        if ('contract' in received) contracts.set(received.id, received.contract);
      return;
    case 'change':
      if ('contract' in event.contract) contracts.set(event.contract.id, event.contract.contract);
      else contracts.delete(event.contract.id);
      return;
    case 'deleted':
      contracts.delete(event.id);
      return;
  }
}
