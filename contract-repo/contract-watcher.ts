import { UnavailableError } from '../lib/errors/accord-error.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import type { Caller } from './contract-authorization.js';
import type { ContractChange } from './contract-book.js';

/**
 * What a watch stream carries: a snapshot (unless resuming), in one or several parts, then
 * changes; each with its resume token.
 */
export type WatchEvent =
  | {
      readonly kind: 'snapshot';
      readonly contracts: readonly TrustContract[];
      readonly resumeToken: string;
      /** More parts of this snapshot follow. */
      readonly hasMore: boolean;
      /** This part continues a snapshot begun by earlier parts (of this stream or of a resumed one). */
      readonly isContinuation: boolean;
    }
  | { readonly kind: 'change'; readonly change: ContractChange; readonly resumeToken: string };

/**
 * One open watch: a bounded queue between the repository (which pushes after each durable change)
 * and the stream (which pulls as fast as the client reads). A watcher that falls more than
 * `capacity` events behind is ended with UNAVAILABLE, and the client resumes from its last token,
 * so a slow client can never make the repository buffer without bound.
 */
export class ContractWatcher {
  readonly caller: Caller;
  readonly #capacity: number;
  readonly #queue: WatchEvent[] = [];
  #hasOverflowed = false;
  #wake: (() => void) | undefined;

  constructor(caller: Caller, capacity: number) {
    this.caller = caller;
    this.#capacity = capacity;
  }

  push(event: WatchEvent): void {
    if (this.#hasOverflowed) return;
    if (this.#queue.length >= this.#capacity) this.#hasOverflowed = true;
    else this.#queue.push(event);
    this.#wake?.();
  }

  /** The next event, or `undefined` once `signal` is aborted. */
  async next(signal: AbortSignal): Promise<WatchEvent | undefined> {
    for (;;) {
      const event = this.#queue.shift();
      if (event !== undefined) return event;
      if (this.#hasOverflowed)
        throw new UnavailableError('the watch fell behind; resume with the last resume_token');
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#wake = undefined;
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.#wake = done;
        signal.addEventListener('abort', done);
      });
    }
  }
}
