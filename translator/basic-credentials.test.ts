import {
  basicAuthorization,
  BasicUserStore,
  hashBasicPassword,
  InboundCredentialMap,
  parseBasicAuthorization,
} from './basic-credentials.js';

describe('BasicUserStore', () => {
  it('accepts the right password and refuses a wrong one or an unknown user', async () => {
    const store = await BasicUserStore.parse(`users: { alice: "${await hashBasicPassword('wonderland')}" }`);
    expect(await store.verify('alice', 'wonderland')).toBe(true);
    expect(await store.verify('alice', 'Wonderland')).toBe(false);
    expect(await store.verify('bob', 'wonderland')).toBe(false);
  });

  it.each([
    ['a plain-text password', 'users: { alice: wonderland }'],
    ['an excessive scrypt cost', 'users: { alice: "scrypt$2097152$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA" }'],
    ['an unknown field', 'users: {}\nextra: 1'],
  ])('refuses a user file with %s', async (_, text) => {
    await expect(BasicUserStore.parse(text)).rejects.toThrow();
  });
});

describe('parseBasicAuthorization', () => {
  it('reads user and password, keeping colons in the password', () => {
    expect(parseBasicAuthorization(basicAuthorization('alice', 'a:b'))).toEqual({
      user: 'alice',
      password: 'a:b',
    });
  });

  it.each([undefined, 'Bearer abc', 'Basic !!!', `Basic ${Buffer.from('nocolon').toString('base64')}`])(
    'returns undefined for %s',
    (header) => {
      expect(parseBasicAuthorization(header)).toBeUndefined();
    },
  );
});

describe('InboundCredentialMap', () => {
  const basic = (user: string, password: string) => ({
    scheme: 'basic',
    authorization: basicAuthorization(user, password),
  });
  const map = InboundCredentialMap.parse(`
mappings:
  - { workload: "spiffe://a/w", user: alice, username: api-alice, password: p1 }
  - { workload: "spiffe://a/w", username: api-w, password: p2 }
`);

  it('prefers the mapping that names the user over the workload catch-all', () => {
    expect(map.credentialFor('spiffe://a/w', 'alice')).toEqual(basic('api-alice', 'p1'));
    expect(map.credentialFor('spiffe://a/w', 'bob')).toEqual(basic('api-w', 'p2'));
    expect(map.credentialFor('spiffe://a/w', undefined)).toEqual(basic('api-w', 'p2'));
  });

  it('maps nothing for another workload', () => {
    expect(map.credentialFor('spiffe://a/other', 'alice')).toBeUndefined();
  });

  it('maps a caller to a local OIDC subject when the entry names one', () => {
    const tokens = InboundCredentialMap.parse('mappings: [{ workload: "spiffe://a/w", subject: svc-w }]');
    expect(tokens.credentialFor('spiffe://a/w', 'alice')).toEqual({ scheme: 'token', subject: 'svc-w' });
  });

  it('refuses two mappings for the same workload and user', () => {
    expect(() =>
      InboundCredentialMap.parse(`
mappings:
  - { workload: "spiffe://a/w", username: x, password: p }
  - { workload: "spiffe://a/w", username: y, password: p }
`),
    ).toThrow(/duplicate/);
  });
});
