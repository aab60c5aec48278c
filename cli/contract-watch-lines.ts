import type { ContractEvent } from '../lib/contract/contract-stream.js';
import { contractListHeaders, contractListRow, contractView, type ContractView } from './contract-view.js';
import { TableStream } from './format-table.js';

/** Kubernetes' watch event types, so `-o json` lines read like `kubectl get -w --output-watch-events`. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One line of `contracts watch`: a contract that appeared, changed or went away. */
export type ContractWatchEvent =
  | { readonly type: 'ADDED' | 'MODIFIED'; readonly object: ContractView }
  | { readonly type: 'DELETED'; readonly object: { readonly id: string } };

/** A contract in the stream that does not decode: reported on stderr, never shown as trusted. */
export interface MalformedContract {
  readonly id: string;
  readonly reason: string;
}

/**
 * Turns the repository's Watch events into watch lines: every contract of the snapshot is ADDED,
 * a change to a contract seen before is MODIFIED (else ADDED), a deletion DELETED. Approvals are
 * verified here, as in `contracts list`.
 */
export class ContractWatchEvents {
  readonly #known = new Set<string>();

  eventsOf(event: ContractEvent): { lines: ContractWatchEvent[]; malformed: MalformedContract[] } {
    const lines: ContractWatchEvent[] = [];
    const malformed: MalformedContract[] = [];
    const received =
      event.kind === 'snapshot' ? event.contracts : event.kind === 'change' ? [event.contract] : [];
    for (const contract of received) {
      if ('malformed' in contract) {
        malformed.push({ id: contract.id, reason: contract.malformed });
        continue;
      }
      lines.push({
        type: this.#known.has(contract.id) ? 'MODIFIED' : 'ADDED',
        object: contractView(contract.contract),
      });
      this.#known.add(contract.id);
    }
    if (event.kind === 'deleted') {
      lines.push({ type: 'DELETED', object: { id: event.id } });
      this.#known.delete(event.id);
    }
    return { lines, malformed };
  }
}

/** `contracts watch` for people: `contracts list`'s columns after an EVENT column. */
export class ContractWatchTable {
  readonly #table = new TableStream(['event', ...contractListHeaders]);

  format(lines: readonly ContractWatchEvent[]): string {
    if (lines.length === 0) return '';
    return this.#table.format(
      lines.map((line) =>
        line.type === 'DELETED' ? [line.type, line.object.id] : [line.type, ...contractListRow(line.object)],
      ),
    );
  }
}
