/** A JSON value; the audit log's records are built only from these. */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Serializes `value` deterministically: object keys sorted by UTF-16 code units, no whitespace,
 * `JSON.stringify` escaping. Hash chains need one byte string per value; only finite numbers are
 * allowed, so no encoder-specific rendering (NaN, -0 vs 0 aside) can creep in.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON allows only finite numbers');
    return JSON.stringify(Object.is(value, -0) ? 0 : value);
  }
  if (isJsonArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] ?? null)}`).join(',')}}`;
}

function isJsonArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}
