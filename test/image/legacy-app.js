// The legacy workload of the end-to-end tests (image localhost/accord-test/legacy-app, docs/image.md):
// an HTTP app that knows nothing of Accord and speaks only HTTP Basic, as the apps the mesh
// translates for. Plain JavaScript with no dependency, so it runs on the image's bare Node.
//
//   GET /healthz        200, no authentication (probes)
//   any other request   401 unless `Authorization: Basic` names a user of LEGACY_USERS; else 200
//                       with JSON { user, method, path, headers }: what the app received,
//                       including the identity headers the translator adds
//   GET /call?url=URL   (authenticated like the rest) calls URL the way a legacy app calls out: a
//                       plain-HTTP request through HTTP_PROXY when set (the injected Envoy), with
//                       the Basic credentials LEGACY_CALL_CREDENTIALS; answers 200 with JSON
//                       { status, body } of that call, or 502 { error } when it failed
//
// Environment: PORT (default 8080, 0 = any), HOST (default 0.0.0.0), LEGACY_USERS (`user:password` pairs separated by commas),
// LEGACY_CALL_CREDENTIALS (`user:password`), HTTP_PROXY / http_proxy.
import { Buffer } from 'node:buffer';
import console from 'node:console';
import { request, createServer } from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';

const port = Number(process.env.PORT ?? '8080');
const users = new Map(
  (process.env.LEGACY_USERS ?? '')
    .split(',')
    .filter((pair) => pair.includes(':'))
    .map((pair) => [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)]),
);
const callCredentials = process.env.LEGACY_CALL_CREDENTIALS ?? '';
const proxy = process.env.HTTP_PROXY ?? process.env.http_proxy ?? '';
const callTimeoutMs = 10_000;

/** The user a Basic `Authorization` header authenticates, or undefined. */
function basicUser(header) {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const user = decoded.slice(0, colon);
  return users.has(user) && users.get(user) === decoded.slice(colon + 1) ? user : undefined;
}

function reply(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** GET `url`, through the proxy when one is set (absolute-form request target, as curl does). */
function call(url) {
  const target = new URL(url);
  const via = proxy === '' ? target : new URL(proxy);
  return new Promise((resolve, reject) => {
    const outbound = request(
      {
        host: via.hostname,
        port: via.port === '' ? 80 : Number(via.port),
        method: 'GET',
        path: proxy === '' ? `${target.pathname}${target.search}` : target.href,
        headers: {
          host: target.host,
          ...(callCredentials === ''
            ? {}
            : { authorization: `Basic ${Buffer.from(callCredentials).toString('base64')}` }),
        },
        timeout: callTimeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode, body }));
      },
    );
    outbound.on('timeout', () => outbound.destroy(new Error(`no answer within ${callTimeoutMs} ms`)));
    outbound.on('error', reject);
    outbound.end();
  });
}

const server = createServer((incoming, response) => {
  const url = new URL(incoming.url ?? '/', 'http://app.invalid');
  if (url.pathname === '/healthz') return reply(response, 200, { ok: true });
  const user = basicUser(incoming.headers.authorization);
  if (user === undefined) {
    response.setHeader('www-authenticate', 'Basic realm="legacy"');
    return reply(response, 401, { error: 'Basic authentication required' });
  }
  if (url.pathname === '/call') {
    const target = url.searchParams.get('url');
    if (target === null) return reply(response, 400, { error: 'url is required' });
    call(target).then(
      (result) => reply(response, 200, result),
      (error) => reply(response, 502, { error: error instanceof Error ? error.message : String(error) }),
    );
    return;
  }
  reply(response, 200, { user, method: incoming.method, path: url.pathname, headers: incoming.headers });
});

server.listen(port, process.env.HOST ?? '0.0.0.0', () => {
  const address = server.address();
  console.log(
    JSON.stringify({ msg: 'legacy app listening', port: typeof address === 'object' ? address?.port : port }),
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
