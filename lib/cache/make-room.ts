/**
 * Makes room for one more entry in a bounded in-memory cache (a Map or a Set, which keep insertion
 * order): when it already holds `maxEntries`, the oldest entry goes. The one eviction rule of
 * Accord's caches, which only ever save work: an entry forgotten is computed or checked again.
 */
export function makeRoomForOne<K>(cache: Map<K, unknown> | Set<K>, maxEntries: number): void {
  if (cache.size < maxEntries) return;
  const oldest = cache.keys().next();
  if (oldest.done !== true) cache.delete(oldest.value);
}
