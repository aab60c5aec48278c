import type { ContractStreamItem } from '../lib/contract/contract-stream.js';

/**
 * Where the provider's contracts come from: the repository's Watch in production (a
 * `ContractRepositoryClient`), a scripted stream in tests. The provider owns reconnects and resync; a source only opens one stream.
 */
export interface ContractSource {
  /** Opens a stream: a snapshot first unless `resumeToken` is honoured, then changes. Ends or throws when the stream breaks. */
  watch(resumeToken: string | undefined, signal: AbortSignal): AsyncIterable<ContractStreamItem>;
  /** Drops the connection, so that the next `watch` dials the repository anew. */
  close(): void;
}
