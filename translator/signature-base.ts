import {
  serializeInnerList,
  serializeItem,
  type BareItem,
  type InnerList,
  type Item,
} from 'structured-headers';
import { isRequest, type HttpMessage, type HttpRequestMessage } from './http-message.js';
import { reject } from './translator-rejection.js';

/**
 * The RFC 9421 signature base, written here on top of `structured-headers` (RFC 8941/9651) rather
 * than taken from the npm `http-message-signatures` package (1.0.6, dhensby), which was evaluated
 * and not adopted for a security decision path:
 * - it derives `@authority`, `@path`, `@query` and `@request-target` by re-parsing a WHATWG
 *   `URL`, which normalises dot segments and percent-encoding, so the value signed is not the
 *   request target received (its own source calls this "really sketchy");
 * - its `verifyMessage` folds over all signatures with a `reduce` that lets a later signature's
 *   result replace an earlier failure, returns `null` (not an error) for an unsigned message, and
 *   reports a bad signature as `false` rather than throwing: easy to mis-handle as "allowed";
 * - it reads the clock itself (`Date.now()` for `expires`), so tests cannot inject time;
 * - it cannot express the WIMSE profile (required parameters with fixed values, forbidden
 *   `keyid`/`alg`, the key coming from the WIT's `cnf`), which would be a second layer anyway.
 * What remains to write is small: the derived components of §2.2 that the WIMSE profile and the
 * RFC's vectors use, the field rules of §2.1 and the line format of §2.5, while serialising
 * identifiers and parameters (the part easy to get subtly wrong) is `structured-headers`'.
 * Conformance is proven byte for byte by the RFC's Appendix B vectors
 * (`rfc9421-conformance.test.ts`).
 */

/** A component identifier: a lower-case field name, or a derived component starting with `@`. */
export type ComponentIdentifier = string;

/** Signature parameters in the order they are serialised (RFC 9421 §2.3). */
export type SignatureParameters = ReadonlyMap<string, BareItem>;

/**
 * Serialises covered components and parameters as the `@signature-params` value, which is also
 * the member value of `Signature-Input`: an inner list of component identifiers (strings) with
 * the parameters attached (RFC 9421 §2.3).
 */
export function serializeSignatureParams(
  components: readonly ComponentIdentifier[],
  parameters: SignatureParameters,
): string {
  const items = components.map((name): Item => [name, new Map<string, BareItem>()]);
  const innerList: InnerList = [items, new Map(parameters)];
  return serializeInnerList(innerList);
}

/**
 * Builds the signature base (RFC 9421 §2.5): one line `"<identifier>": <value>` per covered
 * component, in the covered order, then `"@signature-params": <signatureParams>`, joined with LF
 * and without a trailing newline. Throws `signature_component_missing` when the message lacks a
 * covered field, `signature_malformed` for an unsupported or repeated identifier or a value that
 * would break the line format.
 */
export function buildSignatureBase(
  message: HttpMessage,
  components: readonly ComponentIdentifier[],
  signatureParams: string,
): string {
  const seen = new Set<string>();
  const lines = components.map((name) => {
    if (seen.has(name)) reject('signature_malformed', `component ${name} is covered twice`);
    seen.add(name);
    const value = componentValue(message, name);
    if (/[\r\n]/.test(value)) reject('signature_malformed', `component ${name} has a line break`);
    return `${serializeItem([name, new Map<string, BareItem>()])}: ${value}`;
  });
  lines.push(`"@signature-params": ${signatureParams}`);
  return lines.join('\n');
}

/** The canonical value of one component of `message` (RFC 9421 §2.1 and §2.2). */
export function componentValue(message: HttpMessage, name: ComponentIdentifier): string {
  if (!name.startsWith('@')) return fieldValue(message, name);
  if (name === '@status') {
    if (isRequest(message)) return reject('signature_malformed', '@status is not a request component');
    return String(message.status).padStart(3, '0');
  }
  if (!isRequest(message)) return reject('signature_malformed', `${name} is not a response component`);
  return derivedRequestComponent(message, name);
}

function derivedRequestComponent(request: HttpRequestMessage, name: string): string {
  const queryStart = request.target.indexOf('?');
  const path = queryStart === -1 ? request.target : request.target.slice(0, queryStart);
  switch (name) {
    case '@method':
      // §2.2.1: case-sensitive, never transformed.
      return request.method;
    case '@target-uri':
      return `${request.scheme}://${request.authority}${request.target}`;
    case '@authority':
      return normalizedAuthority(request);
    case '@scheme':
      return request.scheme;
    case '@request-target':
      // §2.2.5: the request target exactly as in the request line (origin form here).
      return request.target;
    case '@path':
      // §2.2.6: an empty path is `/`.
      return path === '' ? '/' : path;
    case '@query':
      // §2.2.7: the query with its leading `?`; `?` alone when there is none.
      return queryStart === -1 ? '?' : request.target.slice(queryStart);
    default:
      return reject('signature_malformed', `unsupported derived component ${name}`);
  }
}

/** §2.2.3: lower-case host, default port removed (RFC 9110 §4.2.3). */
function normalizedAuthority(request: HttpRequestMessage): string {
  const authority = request.authority.toLowerCase();
  const defaultPort = request.scheme === 'https' ? ':443' : ':80';
  return authority.endsWith(defaultPort) ? authority.slice(0, -defaultPort.length) : authority;
}

/**
 * §2.1: the field's value with leading and trailing whitespace removed and obsolete line folding
 * replaced by a single space (repeated fields are already combined with `, ` in the model). A fold
 * is `OWS CRLF RWS` (RFC 9112 §5.2): the whitespace before the line break belongs to it too, so
 * `Obsolete \r\n  line folding.` is `Obsolete line folding.`, as other RFC 9421 implementations
 * compute it.
 */
function fieldValue(message: HttpMessage, name: string): string {
  if (name !== name.toLowerCase()) reject('signature_malformed', `component ${name} is not lower-case`);
  const raw = message.headers[name];
  if (raw === undefined) return reject('signature_component_missing', `header ${name} is not in the message`);
  return raw.replace(/[ \t]*\r?\n[ \t]+/g, ' ').trim();
}
