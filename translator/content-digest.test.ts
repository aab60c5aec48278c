import { checkContentDigest, contentDigest } from './content-digest.js';

const body = new TextEncoder().encode('{"hello": "world"}');

describe('checkContentDigest', () => {
  it.each([
    ['the matching sha-256 digest', contentDigest(body), 'match'],
    ['a digest of other content', contentDigest(new TextEncoder().encode('{}')), 'mismatch'],
    ['a matching and a wrong digest together', `${contentDigest(body)}, sha-512=:AAAA:`, 'mismatch'],
    ['only a deprecated algorithm', 'md5=:AAAAAAAAAAAAAAAAAAAAAA==:', 'unsupported'],
    ['a digest that is not a byte sequence', 'sha-256="abc"', 'malformed'],
    ['a value that is not a dictionary', 'sha-256=:(:', 'malformed'],
  ] as const)('reports %s as %s', (_name, fieldValue, expected) => {
    expect(checkContentDigest(fieldValue, body)).toBe(expected);
  });
});
