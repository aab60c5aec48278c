import { formatTable, TableStream } from './format-table.js';

describe('formatTable', () => {
  it('aligns every column to its widest cell and upper-cases the headers', () => {
    const text = formatTable(
      ['id', 'state', 'participants'],
      [
        ['ab', 'active', 'zone-a,zone-b'],
        ['a-long-id', 'proposed', 'zone-a,zone-c'],
      ],
    );
    expect(text).toBe(
      'ID         STATE     PARTICIPANTS\n' +
        'ab         active    zone-a,zone-b\n' +
        'a-long-id  proposed  zone-a,zone-c\n',
    );
  });

  it('prints only the header line when there are no rows', () => {
    expect(formatTable(['id', 'state'], [])).toBe('ID  STATE\n');
  });
});

describe('TableStream', () => {
  it('prints the header with the first batch and keeps later rows aligned to the widest cell so far', () => {
    const table = new TableStream(['event', 'id', 'state']);
    expect(table.format([['ADDED', 'ab', 'proposed']])).toBe('EVENT  ID  STATE\nADDED  ab  proposed\n');
    expect(table.format([['MODIFIED', 'ab', 'active']])).toBe('MODIFIED  ab  active\n');
    expect(table.format([['DELETED', 'ab', '']])).toBe('DELETED   ab\n');
  });
});
