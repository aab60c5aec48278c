import { InvalidArgumentError } from '../errors/accord-error.js';
import { isValidTrustDomain, parseSpiffeId, spiffeIdOf } from './spiffe-id.js';

describe('parseSpiffeId', () => {
  it.each([
    ['spiffe://example.org', 'example.org', ''],
    ['spiffe://example.org/workload', 'example.org', '/workload'],
    ['spiffe://zone-a.example/ns/default/sa/web', 'zone-a.example', '/ns/default/sa/web'],
    ['spiffe://a_b-c.9/A.b-C_9/x', 'a_b-c.9', '/A.b-C_9/x'],
    ['spiffe://td/.../a..b', 'td', '/.../a..b'],
  ])('accepts %s as trust domain %s and path %s', (value, trustDomain, path) => {
    expect(parseSpiffeId(value)).toEqual({ trustDomain, path, uri: value });
  });

  it.each([
    ['', 'it is empty'],
    ['example.org/workload', 'the scheme is missing'],
    ['http://example.org/workload', 'the scheme is missing'],
    ['SPIFFE://example.org/workload', 'the scheme must be lower-case'],
    ['spiffe:example.org', 'the scheme is missing'],
    ['spiffe://', 'the trust domain is missing'],
    ['spiffe:///path', 'the trust domain is missing'],
    ['spiffe://Example.org/workload', 'trust domain characters are limited'],
    ['spiffe://exa%6dple.org/workload', 'trust domain characters are limited'],
    ['spiffe://example.org:8080/workload', 'a port is not allowed'],
    ['spiffe://user@example.org/workload', 'userinfo is not allowed'],
    ['spiffe://user:password@example.org/workload', 'userinfo is not allowed'],
    ['spiffe://example.org/workload?x=1', 'a query is not allowed'],
    ['spiffe://example.org/workload#frag', 'a fragment is not allowed'],
    ['spiffe://example.org/', 'trailing slash'],
    ['spiffe://example.org/workload/', 'trailing slash'],
    ['spiffe://example.org//workload', 'path segments cannot be empty'],
    ['spiffe://example.org/./workload', 'cannot be "." or ".."'],
    ['spiffe://example.org/workload/..', 'cannot be "." or ".."'],
    ['spiffe://example.org/work%20load', 'path segment characters are limited'],
    ['spiffe://example.org/wörk', 'path segment characters are limited'],
    [`spiffe://${'a'.repeat(256)}/x`, 'longer than 255'],
    [`spiffe://example.org/${'a'.repeat(2048)}`, 'longer than 2048 bytes'],
  ])('rejects %j because %s', (value, reason) => {
    expect(() => parseSpiffeId(value)).toThrow(InvalidArgumentError);
    expect(() => parseSpiffeId(value)).toThrow(reason);
  });

  it('accepts an ID of exactly 2048 bytes and a trust domain of exactly 255 characters', () => {
    const trustDomain = 'a'.repeat(255);
    const prefix = `spiffe://${trustDomain}/`;
    const value = prefix + 'b'.repeat(2048 - prefix.length);
    expect(parseSpiffeId(value).trustDomain).toBe(trustDomain);
  });
});

describe('isValidTrustDomain', () => {
  it.each([
    ['zone-a.example', true],
    ['a_b.c-9', true],
    ['', false],
    ['Zone.example', false],
    ['zone.example:443', false],
    ['zone/example', false],
    ['a'.repeat(256), false],
  ])('says %j is valid: %s', (trustDomain, expected) => {
    expect(isValidTrustDomain(trustDomain)).toBe(expected);
  });
});

describe('spiffeIdOf', () => {
  it('composes a trust domain and a path into a parsed ID', () => {
    expect(spiffeIdOf('zone-a.example', '/accord/pki')).toEqual({
      trustDomain: 'zone-a.example',
      path: '/accord/pki',
      uri: 'spiffe://zone-a.example/accord/pki',
    });
  });

  it.each([
    ['zone-a.example', 'accord/pki', 'must be empty or start with "/"'],
    ['zone-a.example/x', '/y', 'trust domain characters are limited'],
    ['user@zone', '/y', 'userinfo is not allowed'],
    ['zone-a.example', '/a//b', 'path segments cannot be empty'],
  ])('rejects trust domain %j with path %j because %s', (trustDomain, path, reason) => {
    expect(() => spiffeIdOf(trustDomain, path)).toThrow(reason);
  });
});
