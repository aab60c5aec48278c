import { isDnsLabel } from './dns-label.js';

// The grammar of contract ids and participant names (RFC 1123 labels), at its edges: one
// character, 63 and 64, a hyphen at either end, upper case.

describe('isDnsLabel', () => {
  it.each(['a', '7', 'ab', 'a-b', 'zone-b', 'a--9', `a${'-'.repeat(61)}z`])('accepts %j', (value) => {
    expect(isDnsLabel(value)).toBe(true);
  });

  it.each(['', '-', '-a', 'a-', 'A', 'zone_b', 'zone.b', 'a\n', `a${'-'.repeat(62)}z`, 'a'.repeat(64)])(
    'refuses %j',
    (value) => {
      expect(isDnsLabel(value)).toBe(false);
    },
  );
});
