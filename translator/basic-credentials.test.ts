import { scrypt as nodeScrypt } from 'node:crypto';
import { ManualClock } from '../test/support/manual-clock.js';
import {
  basicAuthorization,
  BasicUserStore,
  hashBasicPassword,
  InboundCredentialMap,
  parseBasicAuthorization,
} from './basic-credentials.js';

// scrypt stays real; wrapping it lets the cache tests count how often it runs.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, scrypt: jest.fn(actual.scrypt) };
});

describe('BasicUserStore', () => {
  it('accepts the right password and refuses a wrong one or an unknown user', async () => {
    const store = await BasicUserStore.parse(`users: { alice: "${await hashBasicPassword('wonderland')}" }`);
    expect(await store.verify('alice', 'wonderland')).toBe(true);
    expect(await store.verify('alice', 'Wonderland')).toBe(false);
    expect(await store.verify('bob', 'wonderland')).toBe(false);
  });

  describe('remembering verified credentials', () => {
    let clock: ManualClock;
    let store: BasicUserStore;
    const scrypt = jest.mocked(nodeScrypt);

    beforeEach(async () => {
      clock = new ManualClock();
      const text = `users: { alice: "${await hashBasicPassword('wonderland')}" }`;
      store = await BasicUserStore.parse(text, { clock, ttlMs: 60_000, maxEntries: 2 });
      scrypt.mockClear();
    });

    it('skips scrypt for a credential it verified within the TTL, and pays it again after', async () => {
      expect(await store.verify('alice', 'wonderland')).toBe(true);
      expect(await store.verify('alice', 'wonderland')).toBe(true);
      expect(scrypt).toHaveBeenCalledTimes(1);
      clock.advance(60_001);
      expect(await store.verify('alice', 'wonderland')).toBe(true);
      expect(scrypt).toHaveBeenCalledTimes(2);
    });

    it('never remembers a failure: every wrong guess pays scrypt and stays refused', async () => {
      expect(await store.verify('alice', 'wonderland')).toBe(true);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect(await store.verify('alice', 'Wonderland')).toBe(false);
        expect(await store.verify('mallory', 'wonderland')).toBe(false);
      }
      expect(scrypt).toHaveBeenCalledTimes(7);
    });

    it('forgets everything when the user file is read again (a changed password applies at once)', async () => {
      expect(await store.verify('alice', 'wonderland')).toBe(true);
      const changed = await BasicUserStore.parse(
        `users: { alice: "${await hashBasicPassword('looking-glass')}" }`,
      );
      expect(await changed.verify('alice', 'wonderland')).toBe(false);
      expect(await changed.verify('alice', 'looking-glass')).toBe(true);
    });
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
