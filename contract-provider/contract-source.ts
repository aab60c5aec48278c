import type { TrustContract } from '../lib/contract/trust-contract.js';

/**
 * A contract as received: decoded, or the reason it could not be. A malformed contract is kept as
 * such (not dropped silently) so the provider can report it and never trust it.
 */
export type ReceivedContract =
  | { readonly id: string; readonly contract: TrustContract }
  | { readonly id: string; readonly malformed: string };

/** One event of the repository's Watch stream, decoded into domain types. */
export type ContractEvent =
  | { readonly kind: 'snapshot'; readonly contracts: readonly ReceivedContract[] }
  | { readonly kind: 'change'; readonly contract: ReceivedContract }
  | { readonly kind: 'deleted'; readonly id: string };

export interface ContractStreamItem {
  readonly event: ContractEvent;
  /** Pass back to `watch` to resume after this event. */
  readonly resumeToken: string;
}

/**
 * Where the provider's contracts come from: the repository's Watch in production, a scripted
 * stream in tests. The provider owns reconnects and resync; a source only opens one stream.
 */
export interface ContractSource {
  /** Opens a stream: a snapshot first unless `resumeToken` is honoured, then changes. Ends or throws when the stream breaks. */
  watch(resumeToken: string | undefined, signal: AbortSignal): AsyncIterable<ContractStreamItem>;
}
