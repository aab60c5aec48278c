import { boundMessage, maxMessageChars, quoteUntrusted } from './quote-untrusted.js';

describe('quoteUntrusted', () => {
  it.each([
    { name: 'a plain value', value: 'zone-a', quoted: '"zone-a"' },
    { name: 'quotes and backslashes', value: 'a"b\\c', quoted: '"a\\"b\\\\c"' },
    { name: 'line breaks and tabs', value: 'a\r\nb\tc', quoted: '"a\\r\\nb\\tc"' },
    {
      name: 'other controls, DEL and C1',
      value: '\u0000\u001b[31m\u007f\u0085',
      quoted: '"\\u0000\\u001b[31m\\u007f\\u0085"',
    },
    {
      name: 'bidirectional overrides and separators',
      value: 'a\u202eb\u2066c\u2028d\ufeff',
      quoted: '"a\\u202eb\\u2066c\\u2028d\\ufeff"',
    },
    { name: 'a lone surrogate', value: 'a\ud800b', quoted: '"a\\ud800b"' },
    { name: 'a surrogate pair', value: 'a😀b', quoted: '"a😀b"' },
    { name: 'non-ASCII letters', value: 'zürich', quoted: '"zürich"' },
  ])('escapes $name', ({ value, quoted }) => {
    expect(quoteUntrusted(value)).toBe(quoted);
  });

  it('cuts a long value and states its full length', () => {
    expect(quoteUntrusted('x'.repeat(900 * 1024))).toBe(`"${'x'.repeat(64)}…" (921600 characters)`);
    expect(quoteUntrusted('abcdef', 3)).toBe('"abc…" (6 characters)');
    expect(quoteUntrusted('abc', 3)).toBe('"abc"');
  });

  it('never cuts a surrogate pair in half', () => {
    expect(quoteUntrusted('ab😀', 3)).toBe('"ab…" (4 characters)');
  });
});

describe('boundMessage', () => {
  it('keeps a short safe message as it is', () => {
    expect(boundMessage('contract ab-1 not found')).toBe('contract ab-1 not found');
  });

  it('escapes unsafe characters in a message composed elsewhere', () => {
    expect(boundMessage('bad\nline\u202e')).toBe('bad\\nline\\u202e');
  });

  it.each([
    { name: 'a long message', message: 'y'.repeat(900 * 1024) },
    { name: 'a long message of escapes', message: '\u0000'.repeat(900 * 1024) },
    { name: 'a long message of surrogate pairs', message: '😀'.repeat(900 * 1024) },
  ])('cuts $name at the bound with a marker', ({ message }) => {
    const bounded = boundMessage(message);
    expect(bounded.length).toBeLessThanOrEqual(maxMessageChars);
    expect(bounded.endsWith('… (message cut)')).toBe(true);
    expect(bounded).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/u);
  });
});
