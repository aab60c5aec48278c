import { randomSerialNumber } from './random-serial-number.js';

describe('randomSerialNumber', () => {
  it('returns distinct positive 128-bit hex serials without a leading zero byte', () => {
    const serials = Array.from({ length: 200 }, () => randomSerialNumber());
    expect(new Set(serials).size).toBe(serials.length);
    for (const serial of serials) {
      expect(serial).toMatch(/^[4-7][0-9a-f]{31}$/);
    }
  });
});
