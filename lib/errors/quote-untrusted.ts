/**
 * Quoting of untrusted input in messages that go back to a client or into a log. A message that
 * echoes a caller's value without bound hands the caller control over its size and its bytes: a
 * 900 KB contract id came back whole in a gRPC status, whose `grpc-message` trailer then exceeded
 * the HTTP/2 header limit of Accord's own client, which stalled the whole connection until the
 * deadline. Every server therefore quotes client values with `quoteUntrusted`, and lib/grpc bounds
 * whatever still reaches the wire with `boundMessage`.
 */

/** How many characters of an untrusted value a message shows by default. */
export const defaultQuotedChars = 64;

/**
 * The longest message (in UTF-16 code units) a server sends back as an error text. Percent-encoded
 * in a `grpc-message` trailer a code unit takes at most 9 bytes, so a bounded message stays well
 * inside HTTP/2's default 16 KiB header list of any client.
 */
export const maxMessageChars = 1024;

/**
 * Characters that must not reach a message unescaped: C0 and C1 controls and DEL (terminal and
 * log injection, line splitting), the line and paragraph separators, bidirectional overrides and
 * isolates (text that reads differently than it is), the byte-order mark and lone surrogates
 * (not encodable as UTF-8).
 */
const unsafeCharacters =
  // eslint-disable-next-line no-control-regex -- finding control characters is this pattern's purpose
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

function escapeUnsafe(text: string): string {
  return text.replace(unsafeCharacters, (character) => {
    if (character === '\n') return '\\n';
    if (character === '\r') return '\\r';
    if (character === '\t') return '\\t';
    return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** The first `maxChars` code units of `text`, never cutting a surrogate pair in half. */
function headOf(text: string, maxChars: number): string {
  const head = text.slice(0, maxChars);
  const last = head.charCodeAt(head.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? head.slice(0, -1) : head;
}

/**
 * An untrusted value ready to be put in a message: in double quotes, with quotes, backslashes and
 * every unsafe character escaped, and cut after `maxChars` characters with its full length
 * stated (`"xxxx…" (921600 characters)`), so the reader sees that it was cut and by how much.
 */
export function quoteUntrusted(value: string, maxChars = defaultQuotedChars): string {
  const isCut = value.length > maxChars;
  const shown = escapeUnsafe(headOf(value, maxChars).replace(/["\\]/g, (character) => `\\${character}`));
  return isCut ? `"${shown}…" (${value.length} characters)` : `"${shown}"`;
}

/**
 * A whole message bounded for the wire: unsafe characters escaped and the text cut at
 * `maxMessageChars` with a marker. The last line of defence for messages that were composed
 * elsewhere (a library's error text, a value nobody quoted); quote values where they are
 * interpolated, so that the informative part of a message survives.
 */
export function boundMessage(message: string, maxChars = maxMessageChars): string {
  const escaped = escapeUnsafe(message.length > maxChars * 6 ? headOf(message, maxChars * 6) : message);
  if (escaped.length <= maxChars) return escaped;
  const marker = '… (message cut)';
  return `${headOf(escaped, maxChars - marker.length)}${marker}`;
}
