import { createHash, type X509Certificate } from 'node:crypto';
import { UnauthenticatedError, UnavailableError } from '../lib/errors/accord-error.js';
import type { TokenReviewResult } from '../lib/kube/token-review.js';
import { isZoneApprover } from '../lib/contract/zone-approvers.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import { defaultPkiTokenAudience, KubeTokenAuthenticator } from './kube-token-authenticator.js';
import { LocalAuthenticator } from './local-authenticator.js';

// The mapping from what TokenReview answered to a SPIFFE ID; the API server side (signatures,
// audiences, deleted ServiceAccounts, an unreachable API server) is tested against a real one in
// test/pki-kube/kube-token-authentication.test.ts.

const local = new LocalAuthenticator('zone-a.example', [
  { tokenSha256: createHash('sha256').update('bootstrap').digest('hex'), spiffePath: '/accord/operator' },
]);

function authenticatorAnswering(answer: TokenReviewResult | Error) {
  const reviewed: string[] = [];
  const audiencesAsked: (readonly string[])[] = [];
  const authenticator = new KubeTokenAuthenticator({
    trustDomain: 'zone-a.example',
    audience: 'accord-pki',
    local,
    review: (token, audiences) => {
      reviewed.push(token);
      audiencesAsked.push(audiences);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  });
  return { authenticator, reviewed, audiencesAsked };
}

const authenticated = (username: string, audiences = ['accord-pki']): TokenReviewResult => ({
  kind: 'authenticated',
  username,
  audiences,
});

describe('KubeTokenAuthenticator', () => {
  it('maps system:serviceaccount:<ns>:<sa> to /ns/<ns>/sa/<sa>', async () => {
    const { authenticator, reviewed, audiencesAsked } = authenticatorAnswering(
      authenticated('system:serviceaccount:shop:front.end'),
    );
    const id = await authenticator.authenticate({ peer: undefined, bearerToken: 'sa-token' });
    expect(id.uri).toBe('spiffe://zone-a.example/ns/shop/sa/front.end');
    // The API server is asked whether the token is valid for the PKI's audience, not for any.
    expect(reviewed).toEqual(['sa-token']);
    expect(audiencesAsked).toEqual([['accord-pki']]);
  });

  it('renews an SVID of the zone locally, even beside a token, without asking the API server', async () => {
    const { authenticator, reviewed } = authenticatorAnswering(new Error('must not be called'));
    const peer = {
      spiffeId: parseSpiffeId('spiffe://zone-a.example/ns/shop/sa/web'),
      certificate: undefined as unknown as X509Certificate,
      validFromMs: 0,
      validUntilMs: 0,
    };
    for (const bearerToken of [undefined, 'sa-token']) {
      expect((await authenticator.authenticate({ peer, bearerToken })).uri).toBe(
        'spiffe://zone-a.example/ns/shop/sa/web',
      );
    }
    expect(reviewed).toEqual([]);
  });

  it.each([
    ['no token', undefined],
    ['an empty token', ''],
  ])(
    'refuses a call with neither SVID nor token (%s) without asking the API server',
    async (_name, token) => {
      const { authenticator, reviewed } = authenticatorAnswering(
        authenticated('system:serviceaccount:shop:web'),
      );
      const attempt = authenticator.authenticate({ peer: undefined, bearerToken: token });
      await expect(attempt).rejects.toBeInstanceOf(UnauthenticatedError);
      await expect(attempt).rejects.toThrow(
        'present a client SVID, a bootstrap token or a ServiceAccount token',
      );
      expect(reviewed).toEqual([]);
    },
  );

  it.each([
    ['a ServiceAccount named like an approver', 'system:serviceaccount:accord:admin', '/ns/accord/sa/admin'],
    [
      "the operator's own ServiceAccount",
      'system:serviceaccount:accord-system:accord-operator',
      '/ns/accord-system/sa/accord-operator',
    ],
  ])('never maps %s to a designated approver', async (_name, username, path) => {
    const { authenticator } = authenticatorAnswering(authenticated(username));
    const id = await authenticator.authenticate({ peer: undefined, bearerToken: 'sa-token' });
    expect(id.uri).toBe(`spiffe://zone-a.example${path}`);
    expect(isZoneApprover(id.uri, 'zone-a.example')).toBe(false);
  });

  it.each([
    ['one-character names', 'system:serviceaccount:a:b', '/ns/a/sa/b'],
    [
      'a name of several labels',
      'system:serviceaccount:shop:web.backend-v2.x',
      '/ns/shop/sa/web.backend-v2.x',
    ],
    [
      'a name of 253 characters',
      `system:serviceaccount:shop:${'a'.repeat(253)}`,
      `/ns/shop/sa/${'a'.repeat(253)}`,
    ],
  ])('accepts %s, as Kubernetes does', async (_name, username, path) => {
    const { authenticator } = authenticatorAnswering(authenticated(username));
    const id = await authenticator.authenticate({ peer: undefined, bearerToken: 'sa-token' });
    expect(id.uri).toBe(`spiffe://zone-a.example${path}`);
  });

  it('asks for the accord-pki audience unless configured otherwise', () => {
    expect(defaultPkiTokenAudience).toBe('accord-pki');
  });

  it.each([
    ['a name longer than 253 characters', `system:serviceaccount:shop:${'a'.repeat(254)}`],
    ['a namespace holding a path', 'system:serviceaccount:x/../../accord:admin'],
    ['a namespace that is a path into the reserved namespace', 'system:serviceaccount:accord/admin/ns:x'],
    ['a name holding a slash', 'system:serviceaccount:shop:web/x'],
    ['an upper-case name', 'system:serviceaccount:shop:Web'],
    ['an empty namespace', 'system:serviceaccount::web'],
    ['an empty name', 'system:serviceaccount:shop:'],
  ])('refuses %s as not a Kubernetes name', async (_name, username) => {
    const { authenticator } = authenticatorAnswering(authenticated(username));
    const attempt = authenticator.authenticate({ peer: undefined, bearerToken: 'sa-token' });
    await expect(attempt).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(attempt).rejects.toThrow(
      `the token authenticates ${username}, whose namespace or name is not a Kubernetes name`,
    );
  });

  it('grants bootstrap tokens locally without asking the API server', async () => {
    const { authenticator, reviewed } = authenticatorAnswering(new Error('must not be called'));
    const id = await authenticator.authenticate({ peer: undefined, bearerToken: 'bootstrap' });
    expect(id.uri).toBe('spiffe://zone-a.example/accord/operator');
    expect(reviewed).toEqual([]);
  });

  it.each([
    [
      'a user that is not a ServiceAccount',
      authenticated('alice'),
      'authenticates alice, not a ServiceAccount',
    ],
    [
      'a username with extra colons',
      authenticated('system:serviceaccount:shop:web:x'),
      'not a ServiceAccount',
    ],
    [
      'audiences without the PKI',
      authenticated('system:serviceaccount:shop:web', ['https://kubernetes.default.svc']),
      'not valid for audience accord-pki',
    ],
    [
      'a refusal',
      { kind: 'refused', reason: 'token has expired' } as const,
      'refused by the API server: token has expired',
    ],
  ])('refuses %s as unauthenticated', async (_name, answer, message) => {
    const { authenticator } = authenticatorAnswering(answer);
    const attempt = authenticator.authenticate({ peer: undefined, bearerToken: 'sa-token' });
    await expect(attempt).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('reports a failed TokenReview call as unavailable', async () => {
    const { authenticator } = authenticatorAnswering(new Error('connect ECONNREFUSED'));
    const attempt = authenticator.authenticate({ peer: undefined, bearerToken: 'sa-token' });
    await expect(attempt).rejects.toBeInstanceOf(UnavailableError);
    await expect(attempt).rejects.toThrow('ECONNREFUSED');
  });
});
