import { sha256Hex } from './fingerprint.js';

describe('sha256Hex', () => {
  it.each([
    [new Uint8Array([]), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    [new TextEncoder().encode('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ])('hashes %j to the lower-case hex digest %s', (der, expected) => {
    expect(sha256Hex(der)).toBe(expected);
  });
});
