import { guardRequest, type GuardedRequest } from './request-guard.js';

const local = { port: 8080, acceptsAnyPort: false };
const request = (overrides: Partial<GuardedRequest>): GuardedRequest => ({
  method: 'GET',
  path: '/api/events',
  host: '127.0.0.1:8080',
  origin: undefined,
  fetchSite: 'same-origin',
  ...overrides,
});

describe('guardRequest', () => {
  it.each<[string, Partial<GuardedRequest>, number, string]>([
    ['a rebound DNS name', { host: 'attacker.example:8080' }, 421, 'Host "attacker.example:8080" refused'],
    ['another port', { host: '127.0.0.1:9090' }, 421, 'Host "127.0.0.1:9090" refused'],
    ['no Host', { host: undefined }, 421, 'Host "" refused'],
    ['a Host with a path trick', { host: '127.0.0.1:8080@attacker.example' }, 421, 'refused'],
    [
      'a POST from another origin',
      { method: 'POST', path: '/api/contracts', origin: 'http://127.0.0.1:9090' },
      403,
      'cross-origin request refused: Origin "http://127.0.0.1:9090" is not http://127.0.0.1:8080',
    ],
    [
      'a POST without Origin',
      { method: 'POST', path: '/api/contracts' },
      403,
      'a state-changing request must carry the Origin header',
    ],
    [
      'a DELETE without Origin',
      { method: 'DELETE', path: '/api/contracts/ab' },
      403,
      'must carry the Origin header',
    ],
    [
      'an API read from another origin',
      { origin: 'http://evil.example' },
      403,
      'cross-origin request refused',
    ],
    [
      'an API read a browser marks cross-site',
      { fetchSite: 'cross-site' },
      403,
      'Sec-Fetch-Site is "cross-site"',
    ],
    [
      'an API read a browser marks same-site',
      { fetchSite: 'same-site' },
      403,
      'Sec-Fetch-Site is "same-site"',
    ],
  ])('refuses %s', (_name, overrides, status, reason) => {
    const verdict = guardRequest(request(overrides), local);
    expect(verdict.isAllowed).toBe(false);
    if (!verdict.isAllowed) {
      expect(verdict.status).toBe(status);
      expect(verdict.reason).toContain(reason);
    }
  });

  it.each<[string, Partial<GuardedRequest>]>([
    ['the page, typed into the address bar', { path: '/', fetchSite: 'none' }],
    ['the page, followed from another site (it holds nothing)', { path: '/', fetchSite: 'cross-site' }],
    ['an API read from the page', {}],
    ['an API read of a client that sends no Sec-Fetch-Site', { fetchSite: undefined }],
    ['a POST from the page', { method: 'POST', path: '/api/contracts', origin: 'http://127.0.0.1:8080' }],
    ['localhost', { host: 'localhost:8080', origin: 'http://localhost:8080', method: 'POST' }],
    ['IPv6 loopback', { host: '[::1]:8080' }],
  ])('allows %s', (_name, overrides) => {
    expect(guardRequest(request(overrides), local).isAllowed).toBe(true);
  });

  it('accepts any local port through port-forward, still only on loopback and same-origin', () => {
    const pod = { port: 8080, acceptsAnyPort: true };
    expect(guardRequest(request({ host: '127.0.0.1:43210' }), pod)).toEqual({
      isAllowed: true,
      origin: 'http://127.0.0.1:43210',
      port: 43210,
    });
    expect(guardRequest(request({ host: 'attacker.example:43210' }), pod).isAllowed).toBe(false);
    expect(
      guardRequest(request({ host: '127.0.0.1:43210', method: 'POST', origin: 'http://127.0.0.1:8080' }), pod)
        .isAllowed,
    ).toBe(false);
  });
});
