import { randomPair, seededRandom } from './seeded-random.js';

describe('seededRandom', () => {
  it('returns the same sequence for the same seed', () => {
    const first = seededRandom(7);
    const second = seededRandom(7);
    const draw = (random: () => number) => Array.from({ length: 5 }, () => random());
    expect(draw(first)).toEqual(draw(second));
  });

  it('returns numbers in [0, 1)', () => {
    const random = seededRandom(1);
    const draws = Array.from({ length: 1000 }, () => random());
    expect(draws.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});

describe('randomPair', () => {
  it('always returns two distinct indexes within range', () => {
    const random = seededRandom(3);
    const pairs = Array.from({ length: 1000 }, () => randomPair(random, 20));
    expect(pairs.every(([first, second]) => first !== second)).toBe(true);
    expect(pairs.flat().every((index) => index >= 0 && index < 20)).toBe(true);
  });

  it('reaches every zone over many draws', () => {
    const random = seededRandom(5);
    const seen = new Set(Array.from({ length: 500 }, () => randomPair(random, 20)).flat());
    expect(seen.size).toBe(20);
  });

  it('returns the only pair of two items', () => {
    const [first, second] = randomPair(seededRandom(9), 2);
    expect(new Set([first, second])).toEqual(new Set([0, 1]));
  });

  it('rejects fewer than two items', () => {
    expect(() => randomPair(seededRandom(1), 1)).toThrow(RangeError);
  });
});
