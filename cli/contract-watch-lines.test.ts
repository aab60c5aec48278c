import { approvedContract, proposedContract } from '../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import { ContractWatchEvents, ContractWatchTable } from './contract-watch-lines.js';

let a: TestZone;
let b: TestZone;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
});

describe('ContractWatchEvents', () => {
  it('adds the snapshot, modifies a known contract, adds a new one, deletes, and reports a malformed one apart', async () => {
    const events = new ContractWatchEvents();
    const ab = proposedContract('ab', [a, b]);
    const summary = (event: { lines: { type: string; object: { id: string } }[]; malformed: unknown[] }) => ({
      lines: event.lines.map((line) => `${line.type} ${line.object.id}`),
      malformed: event.malformed,
    });
    expect(summary(events.eventsOf({ kind: 'snapshot', contracts: [{ id: 'ab', contract: ab }] }))).toEqual({
      lines: ['ADDED ab'],
      malformed: [],
    });
    const active = await approvedContract('ab', [a, b]);
    expect(summary(events.eventsOf({ kind: 'change', contract: { id: 'ab', contract: active } }))).toEqual({
      lines: ['MODIFIED ab'],
      malformed: [],
    });
    expect(
      summary(
        events.eventsOf({ kind: 'change', contract: { id: 'cd', contract: proposedContract('cd', [a, b]) } }),
      ),
    ).toEqual({ lines: ['ADDED cd'], malformed: [] });
    expect(summary(events.eventsOf({ kind: 'deleted', id: 'ab', terms: undefined }))).toEqual({
      lines: ['DELETED ab'],
      malformed: [],
    });
    expect(summary(events.eventsOf({ kind: 'change', contract: { id: 'ab', contract: ab } }))).toEqual({
      lines: ['ADDED ab'],
      malformed: [],
    });
    expect(
      summary(events.eventsOf({ kind: 'change', contract: { id: 'bad', malformed: 'no participants' } })),
    ).toEqual({
      lines: [],
      malformed: [{ id: 'bad', reason: 'no participants' }],
    });
  });
});

describe('ContractWatchTable', () => {
  it('prints contracts list columns after an EVENT column, the header once, deletions with the id only', async () => {
    const events = new ContractWatchEvents();
    const table = new ContractWatchTable();
    const first = table.format(
      events.eventsOf({
        kind: 'snapshot',
        contracts: [{ id: 'ab', contract: await approvedContract('ab', [a, b]) }],
      }).lines,
    );
    expect(first).toBe(
      'EVENT  ID  STATE   APPROVED  PARTICIPANTS   REVISION\nADDED  ab  active  2/2       zone-a,zone-b  3\n',
    );
    expect(table.format([])).toBe('');
    expect(table.format(events.eventsOf({ kind: 'deleted', id: 'ab', terms: undefined }).lines)).toBe(
      'DELETED  ab\n',
    );
  });
});
