import { canonicalJson } from './canonical-json.js';

// One byte string per value, which the audit chain hashes.

describe('canonicalJson', () => {
  it('sorts object keys at every depth and adds no whitespace', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 'x' }, null, true], a: -0 })).toBe(
      '{"a":0,"b":[{"c":"x","d":1},null,true]}',
    );
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %d', (value) => {
    expect(() => canonicalJson({ value })).toThrow(
      new TypeError('canonical JSON allows only finite numbers'),
    );
  });
});
