// Small pure helpers for showing console data in the browser.

/** A timestamp for people: local date and time, with the full RFC 3339 value kept in a title. */
export function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A SHA-256 fingerprint in groups of four, easier to compare aloud with a partner. */
export function fingerprint(hex: string): string {
  return hex.replace(/(.{4})(?=.)/g, '$1 ');
}

/** The CSS class of a contract state's badge. */
export function stateClass(state: string): string {
  return state === 'active' || state === 'proposed' || state === 'revoked' ? `state state-${state}` : 'state';
}
