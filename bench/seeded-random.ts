/**
 * A deterministic pseudo-random generator (mulberry32) returning numbers in [0, 1). Benchmarks draw
 * their zone pairs from it so that two runs of the same size do the same work and their figures
 * can be compared.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Two distinct indexes in [0, count), in the order drawn: the proposer's pair for one change. */
export function randomPair(random: () => number, count: number): [number, number] {
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`need at least 2 items, got ${count}`);
  const first = Math.floor(random() * count);
  const offset = 1 + Math.floor(random() * (count - 1));
  return [first, (first + offset) % count];
}
