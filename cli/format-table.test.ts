import { formatTable } from './format-table.js';

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
