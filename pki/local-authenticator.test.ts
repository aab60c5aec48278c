import { createHash, X509Certificate } from 'node:crypto';
import { UnauthenticatedError } from '../lib/errors/accord-error.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import type { VerifiedSvid } from '../lib/spiffe/x509-svid.js';
import { LocalAuthenticator } from './local-authenticator.js';

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
// Built in each test, not at module load: mutation testing's per-test coverage attributes the
// constructor's code only to the tests that run it.
const newAuthenticator = () =>
  new LocalAuthenticator('zone-a.example', [
    { tokenSha256: sha256('provider-token'), spiffePath: '/accord/contract-provider' },
    { tokenSha256: sha256('demo-token'), spiffePath: '/demo/web' },
  ]);
const peer = (uri: string): VerifiedSvid => ({
  spiffeId: parseSpiffeId(uri),
  certificate: undefined as unknown as X509Certificate,
  validFromMs: 0,
  validUntilMs: 0,
});

describe('LocalAuthenticator', () => {
  it.each([
    [
      'a known bootstrap token',
      { peer: undefined, bearerToken: 'provider-token' },
      'spiffe://zone-a.example/accord/contract-provider',
    ],
    [
      'another known token',
      { peer: undefined, bearerToken: 'demo-token' },
      'spiffe://zone-a.example/demo/web',
    ],
    [
      'an SVID of the zone (renewal)',
      { peer: peer('spiffe://zone-a.example/x'), bearerToken: undefined },
      'spiffe://zone-a.example/x',
    ],
    [
      'an SVID and a token (the SVID wins)',
      { peer: peer('spiffe://zone-a.example/x'), bearerToken: 'demo-token' },
      'spiffe://zone-a.example/x',
    ],
  ])('grants %s its ID', async (_name, credentials, expected) => {
    expect((await newAuthenticator().authenticate(credentials)).uri).toBe(expected);
  });

  it.each([
    ['an unknown token', { peer: undefined, bearerToken: 'guess' }, 'unknown bootstrap token'],
    [
      'the configured hash used as a token',
      { peer: undefined, bearerToken: sha256('demo-token') },
      'unknown bootstrap token',
    ],
    ['nothing', { peer: undefined, bearerToken: undefined }, 'present a client SVID or a bootstrap token'],
    ['an empty token', { peer: undefined, bearerToken: '' }, 'present a client SVID or a bootstrap token'],
    [
      'an SVID of another zone',
      { peer: peer('spiffe://zone-b.example/x'), bearerToken: undefined },
      'zone-b.example',
    ],
  ])('refuses %s', async (_name, credentials, reason) => {
    const attempt = newAuthenticator().authenticate(credentials);
    await expect(attempt).rejects.toThrow(UnauthenticatedError);
    await expect(attempt).rejects.toThrow(reason);
  });

  it('refuses a configured grant with an invalid SPIFFE path at construction', () => {
    expect(
      () => new LocalAuthenticator('zone-a.example', [{ tokenSha256: sha256('x'), spiffePath: '/a//b' }]),
    ).toThrow('path segments cannot be empty');
  });
});
