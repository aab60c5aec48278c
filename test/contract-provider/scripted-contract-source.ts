import type { ContractSource } from '../../contract-provider/contract-source.js';
import type { ContractEvent, ContractStreamItem } from '../../lib/contract/contract-stream.js';

/** One Watch stream opened by the provider, driven by the test. */
export class ScriptedStream {
  readonly #items: (ContractStreamItem | Error)[] = [];
  #wake: (() => void) | undefined;
  #sequence = 0;

  constructor(readonly resumeToken: string | undefined) {}

  send(event: ContractEvent): void {
    this.#sequence += 1;
    this.#push({ event, resumeToken: `${this.resumeToken ?? 'fresh'}-${this.#sequence}` });
  }

  fail(error: Error): void {
    this.#push(error);
  }

  #push(item: ContractStreamItem | Error): void {
    this.#items.push(item);
    this.#wake?.();
  }

  async *read(signal: AbortSignal): AsyncIterable<ContractStreamItem> {
    const onAbort = () => this.#wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        const item = this.#items.shift();
        if (item instanceof Error) throw item;
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (signal.aborted) throw new Error('aborted');
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** A `ContractSource` whose streams the test scripts; `streams` lists every Watch the provider opened. */
export class ScriptedContractSource implements ContractSource {
  readonly streams: ScriptedStream[] = [];
  /** How often the provider dropped the connection. */
  closes = 0;

  watch(resumeToken: string | undefined, signal: AbortSignal): AsyncIterable<ContractStreamItem> {
    const stream = new ScriptedStream(resumeToken);
    this.streams.push(stream);
    return stream.read(signal);
  }

  close(): void {
    this.closes += 1;
  }

  /** The newest stream. */
  get current(): ScriptedStream {
    const stream = this.streams.at(-1);
    if (stream === undefined) throw new Error('no Watch stream opened yet');
    return stream;
  }
}
