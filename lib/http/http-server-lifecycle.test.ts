import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { closeHttpServer, listenHttpServer, readBodyUpTo } from './http-server-lifecycle.js';

/** What `readBodyUpTo` made of each request the server received. */
type Outcome = { body: string } | { tooLarge: true } | { error: string };

describe('readBodyUpTo', () => {
  const limit = 16;
  let server: Server;
  let port: number;
  let outcomes: Promise<Outcome>[];

  beforeEach(async () => {
    outcomes = [];
    server = createServer((request: IncomingMessage, response) => {
      const outcome = readBodyUpTo(request, limit).then(
        (body): Outcome => (body === undefined ? { tooLarge: true } : { body: body.toString('utf8') }),
        (error: unknown): Outcome => ({ error: error instanceof Error ? error.message : String(error) }),
      );
      outcomes.push(outcome);
      void outcome.then((result) => {
        if ('body' in result) response.writeHead(200).end(result.body);
        else if ('tooLarge' in result) response.writeHead(413, { connection: 'close' }).end();
        else response.destroy();
      });
    });
    port = await listenHttpServer(server, '127.0.0.1', 0);
  });
  afterEach(() => closeHttpServer(server));

  /** Sends `chunks` one write each (chunked: no content-length unless given) and reads the answer. */
  function send(chunks: string[], headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', headers }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      for (const chunk of chunks) request.write(chunk);
      request.end();
    });
  }

  it('returns the whole body, however it was split', async () => {
    expect(await send(['{"qty"', ':1}'])).toBe(200);
    expect(await outcomes[0]).toEqual({ body: '{"qty":1}' });
  });

  it('returns an empty body for a request without one', async () => {
    expect(await send([])).toBe(200);
    expect(await outcomes[0]).toEqual({ body: '' });
  });

  it('gives up on a body declared larger than the limit, before reading it', async () => {
    const body = 'x'.repeat(limit + 1);
    expect(await send([body], { 'content-length': String(body.length) })).toBe(413);
    expect(await outcomes[0]).toEqual({ tooLarge: true });
  });

  it('gives up on a streamed body once it passes the limit; the answer still reaches the client', async () => {
    expect(await send(['x'.repeat(limit), 'y'.repeat(limit)])).toBe(413);
    expect(await outcomes[0]).toEqual({ tooLarge: true });
  });

  it('accepts a body of exactly the limit', async () => {
    expect(await send(['x'.repeat(limit)])).toBe(200);
    expect(await outcomes[0]).toEqual({ body: 'x'.repeat(limit) });
  });

  it('rejects when the client goes away in the middle of the body', async () => {
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      headers: { 'content-length': '10' },
    });
    request.on('error', () => undefined);
    request.write('abc');
    await waitFor(() => outcomes.length === 1);
    request.destroy();
    expect(await outcomes[0]).toEqual({ error: expect.any(String) as string });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
