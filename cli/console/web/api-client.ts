// The browser's side of the typed API (../console-api.ts): every call sends the session's CSRF
// token, every refusal becomes an `ApiFailure` with the console's words, and the event stream is
// read with fetch (so it carries the CSRF header too, which EventSource cannot send).
import {
  csrfHeaderName,
  type ApiError,
  type ApproveRequest,
  type ConsoleEvent,
  type InspectRootRequest,
  type LoginRequest,
  type LoginResponse,
  type ProposeRequest,
  type RevokeRequest,
} from '../console-api.js';

/** Every request body the console API takes (console-requests.ts validates each). */
export type ConsoleRequestBody =
  LoginRequest | InspectRootRequest | ProposeRequest | ApproveRequest | RevokeRequest;

const csrfStorageKey = 'accord-console-csrf';

/** A refused or failed API call, with the console's code and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The CSRF token of this tab's session. Kept in sessionStorage, which only this origin (scheme,
 * host and port) can read: a page on another port of 127.0.0.1 may receive the session cookie,
 * never this token.
 */
export function csrfToken(): string | null {
  return sessionStorage.getItem(csrfStorageKey);
}

/** Exchanges the one-time login token for a session. */
export async function login(token: string): Promise<void> {
  const answer = await call<LoginResponse>('POST', '/api/session', { token });
  sessionStorage.setItem(csrfStorageKey, answer.csrfToken);
}

/** Ends the session. */
export async function logout(): Promise<void> {
  try {
    await call('DELETE', '/api/session');
  } finally {
    sessionStorage.removeItem(csrfStorageKey);
  }
}

/** One API call: JSON in, JSON out; anything but 2xx throws `ApiFailure`. */
export async function call<T>(method: string, path: string, body?: ConsoleRequestBody): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        [csrfHeaderName]: csrfToken() ?? '',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiFailure(0, 'UNAVAILABLE', `the console process cannot be reached: ${String(error)}`);
  }
  const text = await response.text();
  if (!response.ok) {
    let failure: ApiError = { code: String(response.status), message: text };
    try {
      failure = JSON.parse(text) as ApiError;
    } catch {
      // not JSON: keep the text
    }
    throw new ApiFailure(response.status, failure.code, failure.message);
  }
  return JSON.parse(text) as T;
}

/**
 * Follows `GET /api/events` (server-sent events) and calls `onEvent` for each, until `signal`
 * aborts; resolves when the stream ends, throws `ApiFailure` when it is refused.
 */
export async function followEvents(
  onEvent: (event: ConsoleEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch('/api/events', {
    headers: { [csrfHeaderName]: csrfToken() ?? '', accept: 'text/event-stream' },
    credentials: 'same-origin',
    cache: 'no-store',
    signal,
  });
  if (!response.ok || response.body === null) {
    const failure = (await response
      .json()
      .catch(() => ({ code: String(response.status), message: '' }))) as ApiError;
    throw new ApiFailure(response.status, failure.code, failure.message);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice('data: '.length))
        .join('\n');
      if (data !== '') onEvent(JSON.parse(data) as ConsoleEvent);
      end = buffer.indexOf('\n\n');
    }
  }
}
