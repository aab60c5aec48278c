import { makeRoomForOne } from './make-room.js';

describe('makeRoomForOne', () => {
  it('drops the oldest entry of a full Map, and nothing from one with room', () => {
    const cache = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    makeRoomForOne(cache, 3);
    expect([...cache.keys()]).toEqual(['a', 'b']);
    makeRoomForOne(cache, 2);
    expect([...cache.keys()]).toEqual(['b']);
  });

  it('drops the oldest value of a full Set', () => {
    const cache = new Set(['a', 'b', 'c']);
    makeRoomForOne(cache, 3);
    expect([...cache]).toEqual(['b', 'c']);
  });
});
