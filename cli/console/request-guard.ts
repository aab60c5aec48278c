/**
 * The console's request checks as one pure decision (docs/console.md, "Security"; threat model
 * T10): data in (the request's method, path and headers), a verdict out, so every rule is
 * table-tested and the server applies them in one place before any handler runs.
 */

/** What the guard reads of a request. */
export interface GuardedRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  /** `Sec-Fetch-Site`, which browsers send on every request (absent from other clients). */
  readonly fetchSite: string | undefined;
}

/** Where the console listens, and whether clients may reach it through another port (port-forward). */
export interface GuardPolicy {
  readonly port: number;
  /**
   * In a pod the console is reached through `kubectl port-forward`, whose local port the console
   * cannot know: any port is accepted, but still only on a loopback host name.
   */
  readonly acceptsAnyPort: boolean;
}

/** The verdict: the origin the request belongs to, or an HTTP status and the reason in words. */
export type GuardVerdict =
  | { readonly isAllowed: true; readonly origin: string; readonly port: number }
  | { readonly isAllowed: false; readonly status: 400 | 403 | 421; readonly reason: string };

const loopbackHost = /^(127\.0\.0\.1|localhost|\[::1\]):([0-9]{1,5})$/;
const safeMethods = new Set(['GET', 'HEAD']);

/**
 * Decides whether a request may reach the console at all:
 * - the Host header must name a loopback address with the console's port (any port with
 *   `acceptsAnyPort`): a page of another site whose name an attacker rebinds to 127.0.0.1 sends
 *   its own name as Host and is refused (DNS rebinding);
 * - a state-changing request (anything but GET and HEAD) must carry an Origin equal to
 *   `http://<Host>`: browsers always send it on such requests, and another site — another port of
 *   127.0.0.1 included, which is "same-site" for cookies — cannot forge it;
 * - an Origin or a `Sec-Fetch-Site` that says "cross-site" or "same-site" is refused on every API
 *   request, reads included.
 */
export function guardRequest(request: GuardedRequest, policy: GuardPolicy): GuardVerdict {
  const match = loopbackHost.exec(request.host ?? '');
  if (match === null) {
    return {
      isAllowed: false,
      status: 421,
      reason: `the console answers only to http://127.0.0.1:${policy.port} (Host ${JSON.stringify(request.host ?? '')} refused)`,
    };
  }
  const port = Number(match[2]);
  if (!policy.acceptsAnyPort && port !== policy.port) {
    return {
      isAllowed: false,
      status: 421,
      reason: `the console answers only to http://127.0.0.1:${policy.port} (Host ${JSON.stringify(request.host)} refused)`,
    };
  }
  const origin = `http://${request.host ?? ''}`;
  const isApi = request.path.startsWith('/api/');
  if (
    request.origin !== undefined &&
    request.origin !== origin &&
    (isApi || !safeMethods.has(request.method))
  ) {
    return {
      isAllowed: false,
      status: 403,
      reason: `cross-origin request refused: Origin ${JSON.stringify(request.origin)} is not ${origin}`,
    };
  }
  if (!safeMethods.has(request.method) && request.origin === undefined) {
    return {
      isAllowed: false,
      status: 403,
      reason: 'request refused: a state-changing request must carry the Origin header',
    };
  }
  if (isApi && request.fetchSite !== undefined && request.fetchSite !== 'same-origin') {
    return {
      isAllowed: false,
      status: 403,
      reason: `cross-origin request refused: Sec-Fetch-Site is ${JSON.stringify(request.fetchSite)}`,
    };
  }
  return { isAllowed: true, origin, port };
}

/**
 * The headers of every response: a Content-Security-Policy that allows only the console's own
 * script and style files (no inline code, no other origin, no frames, Trusted Types for the only
 * sink Lit uses), no MIME sniffing, no Referer (the login URL must never leak), no caching of
 * answers that hold contract data.
 */
export const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    'trusted-types lit-html',
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};
