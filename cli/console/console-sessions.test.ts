import { ManualClock } from '../../test/support/manual-clock.js';
import {
  ConsoleSessions,
  cookieValue,
  loginTokenTtlMs,
  sessionCookie,
  sessionTtlMs,
} from './console-sessions.js';

describe('ConsoleSessions', () => {
  const start = () => {
    const clock = new ManualClock(new Date('2026-12-05T10:00:00.000Z'));
    const sessions = new ConsoleSessions(clock);
    return { clock, sessions, token: sessions.issueLoginToken() };
  };

  it('exchanges the login token once for a session whose CSRF token must come with every request', () => {
    const { sessions, token } = start();
    const login = sessions.login(token);
    if (typeof login === 'string') throw new Error(login);
    expect(sessions.authenticate(login.id, login.session.csrfToken)).toBe(login.session);
    expect(sessions.authenticate(login.id, undefined)).toBeUndefined();
    expect(sessions.authenticate(login.id, 'x'.repeat(43))).toBeUndefined();
    expect(sessions.authenticate('forged', login.session.csrfToken)).toBeUndefined();
    expect(sessions.login(token)).toBe('unknown-or-used');
    expect(sessions.hasLiveLoginToken()).toBe(false);
  });

  it('refuses a missing, a wrong and an expired login token, and a wrong guess spends nothing', () => {
    const { clock, sessions, token } = start();
    expect(sessions.login(undefined)).toBe('missing');
    expect(sessions.login('')).toBe('missing');
    expect(sessions.login('wrong')).toBe('unknown-or-used');
    clock.advance(loginTokenTtlMs);
    expect(sessions.login(token)).toBe('unknown-or-used');
    expect(sessions.hasLiveLoginToken()).toBe(false);
  });

  it('keeps one live login token: a new one replaces the old', () => {
    const { sessions, token } = start();
    const next = sessions.issueLoginToken();
    expect(sessions.login(token)).toBe('unknown-or-used');
    expect(typeof sessions.login(next)).toBe('object');
  });

  it('ends a session at sign-out and after its lifetime', () => {
    const { clock, sessions, token } = start();
    const login = sessions.login(token);
    if (typeof login === 'string') throw new Error(login);
    clock.advance(sessionTtlMs);
    expect(sessions.authenticate(login.id, login.session.csrfToken)).toBeUndefined();
    const second = sessions.login(sessions.issueLoginToken());
    if (typeof second === 'string') throw new Error(second);
    sessions.logout(second.id);
    expect(sessions.authenticate(second.id, second.session.csrfToken)).toBeUndefined();
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, host-only, Path=/ and named by port', () => {
    expect(sessionCookie(8080, 'abc', 60)).toBe(
      'accord-console-8080=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60',
    );
  });

  it('is read by exact name from a Cookie header', () => {
    expect(cookieValue('accord-console-80801=x; accord-console-8080=y', 'accord-console-8080')).toBe('y');
    expect(cookieValue(undefined, 'accord-console-8080')).toBeUndefined();
  });
});
