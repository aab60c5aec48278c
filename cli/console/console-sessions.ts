import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../lib/time/clock.js';

/** A browser's session: the cookie value names it, the CSRF token must come with every API request. */
export interface ConsoleSession {
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

/** Why a login was refused, in words the login page shows. */
export type LoginRefusal = 'missing' | 'unknown-or-used';

/** How long a login token waits for its one use. */
export const loginTokenTtlMs = 15 * 60 * 1000;

/** How long a session lasts; the console process ending ends it sooner. */
export const sessionTtlMs = 12 * 60 * 60 * 1000;

const secretBytes = 32;

/**
 * The console's one-time login tokens and its sessions, in memory only: a console that exits
 * leaves no credential behind. At most one login token is live at a time; it is kept as its
 * SHA-256 and compared in constant time, works once, and expires after `loginTokenTtlMs`. When a
 * browser needs to log in and no token is live, `issueLoginToken` makes a new one, which the
 * console prints to its own output (terminal or pod log) only, never to a browser.
 */
export class ConsoleSessions {
  readonly #clock: Clock;
  #loginToken: { sha256: Buffer; expiresAt: number } | undefined;
  readonly #sessions = new Map<string, ConsoleSession>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Whether an unused, unexpired login token exists (then no new one is issued). */
  hasLiveLoginToken(): boolean {
    return this.#loginToken !== undefined && this.#loginToken.expiresAt > this.#clock.now().getTime();
  }

  /** Makes the one live login token (replacing any earlier one) and returns it, to be printed. */
  issueLoginToken(): string {
    const token = randomBytes(secretBytes).toString('base64url');
    this.#loginToken = { sha256: sha256(token), expiresAt: this.#clock.now().getTime() + loginTokenTtlMs };
    return token;
  }

  /**
   * Exchanges the login token for a new session: returns the session id (the cookie value) and
   * the session, or why not. A token works once, whatever the outcome of a later attempt.
   */
  login(token: string | undefined): { id: string; session: ConsoleSession } | LoginRefusal {
    if (token === undefined || token === '') return 'missing';
    const live = this.#loginToken;
    if (live === undefined || live.expiresAt <= this.#clock.now().getTime()) return 'unknown-or-used';
    if (!timingSafeEqual(live.sha256, sha256(token))) return 'unknown-or-used';
    this.#loginToken = undefined;
    const id = randomBytes(secretBytes).toString('base64url');
    const session = {
      csrfToken: randomBytes(secretBytes).toString('base64url'),
      expiresAt: new Date(this.#clock.now().getTime() + sessionTtlMs),
    };
    this.#sessions.set(id, session);
    return { id, session };
  }

  /**
   * The session a request belongs to: its cookie names a live session and its CSRF header
   * matches that session's token (constant time). Undefined otherwise.
   */
  authenticate(id: string | undefined, csrfToken: string | undefined): ConsoleSession | undefined {
    if (id === undefined || csrfToken === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt.getTime() <= this.#clock.now().getTime()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return timingSafeEqual(sha256(session.csrfToken), sha256(csrfToken)) ? session : undefined;
  }

  /** Ends a session (sign out). */
  logout(id: string): void {
    this.#sessions.delete(id);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The session cookie's name for the port the browser reached the console on. Cookies are not
 * kept apart by port, so two consoles on one host (zone-a's and zone-b's) would overwrite each
 * other's session under one name.
 */
export function sessionCookieName(port: number): string {
  return `accord-console-${port}`;
}

/**
 * The Set-Cookie value of a session: HttpOnly (no script reads it), SameSite=Strict (no other site
 * sends it), Path=/ and no Domain (this host only: the `__Host-` discipline). Not `Secure`: the
 * console speaks plain HTTP on loopback, where Secure protects nothing (nothing leaves the host)
 * and browsers that do not count http://127.0.0.1 as a secure context would drop the cookie
 * (docs/threat-model.md, T10).
 */
export function sessionCookie(port: number, id: string, maxAgeSeconds: number): string {
  return `${sessionCookieName(port)}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}`;
}

/** Reads one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator !== -1 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}
