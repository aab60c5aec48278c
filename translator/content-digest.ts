import { createHash, timingSafeEqual } from 'node:crypto';
import { parseDictionary, serializeDictionary } from 'structured-headers';

/** The digest algorithms of RFC 9530 §5 that are not deprecated; `sha-256` is what Accord sends. */
const digestAlgorithms: Readonly<Record<string, string>> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };

/**
 * The `Content-Digest` field value for `body` (RFC 9530 §2): a structured dictionary with one
 * `sha-256` byte sequence. Covering this field in the message signature is what makes the body
 * part of the signature (RFC 9421 §7.2.8).
 */
export function contentDigest(body: Uint8Array): string {
  return serializeDictionary(new Map([['sha-256', [createHash('sha256').update(body).digest(), new Map()]]]));
}

/** The outcome of checking a received `Content-Digest` against the received body. */
export type ContentDigestCheck = 'match' | 'mismatch' | 'unsupported' | 'malformed';

/**
 * Checks `fieldValue` against `body`: every supported algorithm present must match, and at least
 * one must be present (`unsupported` when only deprecated ones such as `md5` are offered, which
 * the verifier treats as missing). Comparison is constant-time.
 */
export function checkContentDigest(fieldValue: string, body: Uint8Array): ContentDigestCheck {
  let dictionary;
  try {
    dictionary = parseDictionary(fieldValue);
  } catch {
    return 'malformed';
  }
  let checked = 0;
  for (const [name, member] of dictionary) {
    const nodeAlgorithm = digestAlgorithms[name];
    if (nodeAlgorithm === undefined) continue;
    const [value] = member;
    if (!(value instanceof ArrayBuffer)) return 'malformed';
    const expected = createHash(nodeAlgorithm).update(body).digest();
    const received = Buffer.from(value);
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) return 'mismatch';
    checked += 1;
  }
  return checked === 0 ? 'unsupported' : 'match';
}
