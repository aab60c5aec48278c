import { request as httpRequest } from 'node:http';
import { silentLogger } from '../lib/log/logger.js';
import { headersToRemoveHeader, peerHeader } from '../lib/ext-authz/http-ext-authz-contract.js';
import type { AuthorizationQuestion, Decision } from './check-handler.js';
import { startHttpAuthorizationServer, type HttpAuthorizationServer } from './http-authorization-server.js';

// The HTTP ext_authz transport alone: what reaches the decider from the request Envoy sends, and
// how the decision goes back. Decisions themselves: check-handler.test.ts; through real Envoys:
// test/translator/translator-two-zones.test.ts.

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends raw header lines (repeats allowed; Host added unless given) as Envoy would, and collects the answer. */
function send(
  port: number,
  method: string,
  path: string,
  headers: [string, string][],
  body = '',
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: [
          ...(headers.some(([name]) => name === 'host') ? [] : ['host', 'api.zone-b']),
          ...headers.flat(),
          'content-length',
          String(Buffer.byteLength(body)),
        ],
        timeout: 5_000,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(body);
  });
}

const allow: Decision = {
  outcome: 'allow',
  setHeaders: { 'accord-user': 'alice', signature: 'wimse=:AAAA:' },
  removeHeaders: ['authorization'],
  caller: 'alice',
};

let server: HttpAuthorizationServer;
let questions: AuthorizationQuestion[];
let decide: (question: AuthorizationQuestion) => Promise<Decision>;

beforeAll(async () => {
  server = await startHttpAuthorizationServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    maxBodyBytes: 64,
    decide: (question) => {
      questions.push(question);
      return decide(question);
    },
  });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  questions = [];
  decide = () => Promise.resolve(allow);
});

describe('what the decider is asked', () => {
  it('reads the direction from the prefix, the original target after it, and the verified peer', async () => {
    await send(
      server.port,
      'POST',
      '/inbound/orders?id=1',
      [
        ['host', 'orders.zone-b:8080'],
        [peerHeader, 'spiffe://zone-a.example/ns/shop/sa/frontend'],
        ['signature', 'wimse=:AAAA:'],
        ['x-request-id', 'r-1'],
      ],
      '{"qty":1}',
    );
    expect(questions).toHaveLength(1);
    const [question] = questions;
    expect(question).toMatchObject({
      direction: 'inbound',
      peerPrincipal: 'spiffe://zone-a.example/ns/shop/sa/frontend',
      requestId: 'r-1',
      request: {
        method: 'POST',
        scheme: 'https',
        authority: 'orders.zone-b:8080',
        target: '/orders?id=1',
        headers: { signature: 'wimse=:AAAA:' },
      },
    });
    expect(Buffer.from(question?.request?.body ?? []).toString()).toBe('{"qty":1}');
  });

  it('passes only the contract headers: Envoy-internal and other client headers never reach a decision', async () => {
    await send(server.port, 'GET', '/outbound/x', [
      ['host', 'a.zone-b'],
      ['authorization', 'Basic YWxpY2U6d29uZGVybGFuZA=='],
      ['x-envoy-internal', 'true'],
      ['cookie', 'session=1'],
    ]);
    expect(questions[0]?.request?.headers).toEqual({ authorization: 'Basic YWxpY2U6d29uZGVybGFuZA==' });
    expect(questions[0]?.request?.scheme).toBe('http');
    expect(questions[0]?.request?.body).toBeUndefined();
  });

  it('joins a repeated header, so a second copy cannot hide behind a first one that verifies', async () => {
    await send(server.port, 'POST', '/inbound/x', [
      ['content-type', 'application/json'],
      ['content-type', 'text/plain'],
      ['accord-user', 'alice'],
      ['accord-user', 'mallory'],
    ]);
    expect(questions[0]?.request?.headers).toEqual({
      'content-type': 'application/json, text/plain',
      'accord-user': 'alice, mallory',
    });
  });

  it('reads header names in any case as one header: a copy spelled otherwise is joined, a peer counted', async () => {
    await send(server.port, 'POST', '/inbound/x', [
      ['Host', 'orders.zone-b'],
      ['host', 'other.zone-b'],
      ['Accord-User', 'alice'],
      ['accord-user', 'mallory'],
      [peerHeader, 'spiffe://zone-a.example/a'],
      ['X-Accord-Peer', 'spiffe://zone-a.example/b'],
    ]);
    expect(questions[0]?.request?.headers).toEqual({ 'accord-user': 'alice, mallory' });
    expect(questions[0]?.request?.authority).toBe('orders.zone-b');
    expect(questions[0]?.peerPrincipal).toBe('');
  });

  it.each([
    ['no peer (Envoy writes -)', [[peerHeader, '-']]],
    ['no peer header at all', []],
    [
      'two peer headers',
      [
        [peerHeader, 'spiffe://zone-a.example/a'],
        [peerHeader, 'spiffe://zone-a.example/b'],
      ],
    ],
  ] as [string, [string, string][]][])('reports no peer for %s', async (_, headers) => {
    await send(server.port, 'GET', '/inbound/x', headers);
    expect(questions[0]?.peerPrincipal).toBe('');
  });

  it.each([
    ['an unknown prefix', '/sideways/x'],
    ['a prefix not followed by a path', '/inboundx'],
    ['no prefix', '/orders'],
  ])('asks about no request (request_malformed) for %s', async (_, path) => {
    await send(server.port, 'GET', path, []);
    expect(questions[0]).toMatchObject({ direction: 'unknown', request: undefined });
  });
});

describe('how the decision goes back to Envoy', () => {
  it('allows with 200, the headers to set, and the headers to remove, with an empty body', async () => {
    const answer = await send(server.port, 'GET', '/outbound/x', []);
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({
      'accord-user': 'alice',
      signature: 'wimse=:AAAA:',
      [headersToRemoveHeader]: 'authorization',
    });
    expect(answer.body).toBe('');
  });

  it('denies with the status and the challenge only: the reason and detail stay in the log', async () => {
    decide = () =>
      Promise.resolve({
        outcome: 'deny',
        status: 401,
        reason: 'basic_invalid',
        detail: 'wrong password for alice',
        responseHeaders: { 'www-authenticate': 'Basic realm="accord"' },
      });
    const answer = await send(server.port, 'GET', '/outbound/x', []);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Basic realm="accord"');
    expect(answer.body).toBe('');
    expect(JSON.stringify(answer.headers)).not.toContain('basic_invalid');
  });

  it('answers 503 (Envoy fails closed) when deciding fails, without the error', async () => {
    decide = () => Promise.reject(new Error('key material unreadable'));
    const answer = await send(server.port, 'GET', '/inbound/x', []);
    expect(answer.status).toBe(503);
    expect(answer.body).toBe('');
  });

  it('refuses a body above the limit with 413 and asks nothing; the next request is served', async () => {
    const answer = await send(server.port, 'POST', '/inbound/x', [], 'x'.repeat(65));
    expect(answer.status).toBe(413);
    expect(questions).toHaveLength(0);
    expect((await send(server.port, 'POST', '/inbound/x', [], 'x'.repeat(64))).status).toBe(200);
    expect(questions).toHaveLength(1);
  });
});
