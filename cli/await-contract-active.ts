import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';
import type { ContractEvent, ReceivedContract } from '../lib/contract/contract-stream.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import {
  AccordError,
  CancelledError,
  FailedPreconditionError,
  InternalError,
  NotFoundError,
  UnavailableError,
} from '../lib/errors/accord-error.js';
import type { Timers } from '../lib/time/timers.js';
import { contractStatus, contractView } from './contract-view.js';

/** `--wait` gave up: the contract may still become active later (exit code 5, not a failure). */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

/** What the watch said about the awaited contract: its new state, or that it is gone. */
export type AwaitedContract =
  ReceivedContract | { readonly id: string; readonly isGone: 'absent' | 'deleted' };

/** Where a wait stands after the contract's latest state: done, failed for good, or still waiting. */
export type WaitVerdict =
  | { readonly kind: 'active'; readonly contract: TrustContract }
  | { readonly kind: 'failed'; readonly error: AccordError }
  | { readonly kind: 'waiting'; readonly contract: TrustContract };

/**
 * Decides a wait from the contract's latest state: active once the repository says so *and* every
 * approval verifies here (the repository is not trusted to declare trust); failed for good when
 * it was revoked, deleted, never visible, or marked active with approvals that do not verify.
 */
export function waitVerdict(awaited: AwaitedContract): WaitVerdict {
  if ('isGone' in awaited) {
    return {
      kind: 'failed',
      error:
        awaited.isGone === 'deleted'
          ? new FailedPreconditionError(`contract ${awaited.id} was deleted while waiting for it`)
          : new NotFoundError(`contract ${awaited.id} not found (or not visible to your zone)`),
    };
  }
  if ('malformed' in awaited) {
    return {
      kind: 'failed',
      error: new InternalError(`contract ${awaited.id} does not decode: ${awaited.malformed}`),
    };
  }
  const { contract } = awaited;
  const view = contractView(contract);
  if (view.revocation !== null || contract.state === 'revoked') {
    return {
      kind: 'failed',
      error: new FailedPreconditionError(`contract ${contract.id} was ${contractStatus(view)}`),
    };
  }
  if (contract.state !== 'active') return { kind: 'waiting', contract };
  if (view.isTrustEstablished) return { kind: 'active', contract };
  const invalid = view.invalidApprovals.map((approval) => `${approval.participant}: ${approval.reason}`);
  return {
    kind: 'failed',
    error: new FailedPreconditionError(
      `the repository marks contract ${contract.id} active, but its approvals do not verify here (${contractStatus(view)}${invalid.length === 0 ? '' : `; ${invalid.join('; ')}`})`,
    ),
  };
}

/** The awaited contract's state in a Watch event, or `undefined` when the event says nothing about it. */
export function awaitedIn(id: string, event: ContractEvent): AwaitedContract | undefined {
  switch (event.kind) {
    case 'snapshot':
      return event.contracts.find((received) => received.id === id) ?? { id, isGone: 'absent' };
    case 'change':
      return event.contract.id === id ? event.contract : undefined;
    case 'deleted':
      return event.id === id ? { id, isGone: 'deleted' } : undefined;
  }
}

/** Bounds of a `--wait`. */
export interface WaitOptions {
  timeoutMs: number;
  timers: Timers;
  /** Ctrl-C: stop waiting. */
  interrupted: AbortSignal;
}

/**
 * Waits until `contract` is active, following the repository's Watch stream (a snapshot, then
 * changes; no polling), and returns it as it became active. Throws the reason it never will
 * (`waitVerdict`), `WaitTimeoutError` naming whose approval is still missing, `CancelledError` on
 * Ctrl-C, or `UnavailableError` when the stream ends first.
 */
export async function awaitContractActive(
  repository: ContractRepositoryClient,
  contract: TrustContract,
  options: WaitOptions,
): Promise<TrustContract> {
  const first = waitVerdict({ id: contract.id, contract });
  if (first.kind !== 'waiting') return settled(first);
  let latest = first.contract;
  const stream = new AbortController();
  const timedOut = Symbol('timed out');
  const timer = options.timers.setTimeout(() => stream.abort(timedOut), options.timeoutMs);
  const interrupt = () => stream.abort();
  options.interrupted.addEventListener('abort', interrupt);
  try {
    for await (const { event } of repository.watch(undefined, stream.signal)) {
      const awaited = awaitedIn(contract.id, event);
      if (awaited === undefined) continue;
      const verdict = waitVerdict(awaited);
      if (verdict.kind !== 'waiting') return settled(verdict);
      latest = verdict.contract;
    }
  } catch (error) {
    if (!stream.signal.aborted) throw error;
  } finally {
    options.timers.clearTimeout(timer);
    options.interrupted.removeEventListener('abort', interrupt);
    stream.abort();
  }
  const status = contractStatus(contractView(latest));
  if (stream.signal.reason === timedOut)
    throw new WaitTimeoutError(
      `timed out after ${options.timeoutMs / 1000}s waiting for contract ${contract.id} to become active (${status})`,
    );
  if (options.interrupted.aborted)
    throw new CancelledError(
      `interrupted while waiting for contract ${contract.id} to become active (${status})`,
    );
  throw new UnavailableError(`the repository ended the watch before contract ${contract.id} became active`);
}

function settled(verdict: Exclude<WaitVerdict, { kind: 'waiting' }>): TrustContract {
  if (verdict.kind === 'failed') throw verdict.error;
  return verdict.contract;
}
