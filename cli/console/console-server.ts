import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { z } from 'zod';
import type { ContractRepositoryClient } from '../../lib/contract/contract-repository-client.js';
import { AccordError, InvalidArgumentError, errorMessage } from '../../lib/errors/accord-error.js';
import { closeHttpServer, listenHttpServer, readBodyUpTo } from '../../lib/http/http-server-lifecycle.js';
import type { Clock } from '../../lib/time/clock.js';
import { UsageError } from '../../lib/cli/command-line.js';
import { InvalidConfigError } from '../../lib/config/load-config.js';
import { AuditChainError } from '../../lib/contract/audit-chain.js';
import {
  approveRequestSchema,
  inspectRootRequestSchema,
  loginRequestSchema,
  proposeRequestSchema,
  revokeRequestSchema,
} from './console-requests.js';
import {
  csrfHeaderName,
  maxRequestBytes,
  type ApiError,
  type ConsoleEvent,
  type ConsoleIdentity,
  type InstalledBundles,
} from './console-api.js';
import { ConsoleActions, inspectRoots } from './console-actions.js';
import {
  ConsoleSessions,
  cookieValue,
  sessionCookie,
  sessionCookieName,
  sessionTtlMs,
} from './console-sessions.js';
import { contractDetail } from './contract-detail.js';
import type { ContractFeed } from './contract-feed.js';
import { errorCode } from './error-text.js';
import type { BundleSource } from './installed-bundles.js';
import { guardRequest, securityHeaders, type GuardPolicy } from './request-guard.js';
import { auditTimeline, saveAuditCheckpoint } from './audit-timeline.js';
import type { CliEnvironment } from '../cli-environment.js';

/** The static files of the console, built by `npm run build` (scripts/build-console.js). */
const assets: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/assets/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** Everything the console server works with, built by the `console` command. */
export interface ConsoleServerOptions {
  readonly env: CliEnvironment;
  readonly identity: ConsoleIdentity;
  readonly feed: ContractFeed;
  readonly actions: ConsoleActions;
  readonly bundles: BundleSource;
  readonly openRepository: () => Promise<ContractRepositoryClient>;
  /** Where the built browser files are (`dist/cli/console/web`). */
  readonly assetDirectory: string;
  readonly clock: Clock;
  /** 127.0.0.1 and a port (0: a free one). */
  readonly port: number;
  /** In a pod, reached through `kubectl port-forward` on any local port (request-guard.ts). */
  readonly acceptsAnyPort: boolean;
  /** Prints a login URL where the console runs (its terminal or pod log), never to a browser. */
  readonly printLoginUrl: (url: string) => void;
}

/** A running console. */
export interface RunningConsole {
  readonly port: number;
  /** The first login URL (also printed). */
  readonly loginUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the console's HTTP server on 127.0.0.1: the browser files, and the typed JSON API
 * (console-api.ts) over one session per browser. Every request passes `guardRequest` (Host and
 * Origin) first; every API request but the login needs the session cookie and its CSRF header;
 * every response carries `securityHeaders`. The contract stream reaches browsers as server-sent
 * events from the console's one Watch (`ContractFeed`).
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<RunningConsole> {
  const files = await loadAssets(options.assetDirectory);
  const sessions = new ConsoleSessions(options.clock);
  const streams = new Set<ServerResponse>();
  let bundles: InstalledBundles = await options.bundles.read();
  let policy: GuardPolicy = { port: options.port, acceptsAnyPort: options.acceptsAnyPort };

  const broadcast = (events: readonly ConsoleEvent[]) => {
    const text = events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('');
    for (const stream of streams) stream.write(text);
  };
  let refreshing: Promise<void> | undefined;
  const refreshBundles = () => {
    refreshing ??= new Promise<void>((resolve) => setTimeout(resolve, 100))
      .then(() => options.bundles.read())
      .then((next) => {
        refreshing = undefined;
        if (JSON.stringify(next) === JSON.stringify(bundles)) return;
        bundles = next;
        broadcast([{ type: 'bundles', bundles }]);
      });
  };
  const stopWatchingBundles = options.bundles.watch(refreshBundles);
  const unsubscribe = options.feed.subscribe((events) => {
    broadcast(events);
    refreshBundles();
  });

  const loginUrl = (port: number) => `http://127.0.0.1:${port}/#login=${sessions.issueLoginToken()}`;

  const api = async (request: IncomingMessage, response: ServerResponse, path: string, port: number) => {
    const cookie = cookieValue(request.headers.cookie, sessionCookieName(port));
    if (request.method === 'POST' && path === '/api/session') {
      const { token } = await body(request, loginRequestSchema);
      const outcome = sessions.login(token);
      if (typeof outcome === 'string') {
        fail(response, 401, {
          code: 'UNAUTHENTICATED',
          message:
            outcome === 'missing'
              ? 'no login token: open the login URL the console printed'
              : 'login token unknown, expired or already used: ask the console for a new login URL',
        });
        return;
      }
      response.setHeader('set-cookie', sessionCookie(port, outcome.id, Math.floor(sessionTtlMs / 1000)));
      json(response, 200, { csrfToken: outcome.session.csrfToken });
      return;
    }
    if (request.method === 'POST' && path === '/api/login-url') {
      const isNew = !sessions.hasLiveLoginToken();
      if (isNew) options.printLoginUrl(loginUrl(policy.port));
      json(response, 200, {
        message: isNew
          ? 'A new login URL was printed where the console runs (its terminal, or the pod log).'
          : 'The login URL printed earlier is still valid: use it (it works once).',
      });
      return;
    }
    const csrf = request.headers[csrfHeaderName];
    const session = sessions.authenticate(cookie, typeof csrf === 'string' ? csrf : undefined);
    if (session === undefined) {
      fail(response, 401, {
        code: 'UNAUTHENTICATED',
        message: 'no console session: log in with the login URL the console printed',
      });
      return;
    }
    const route = `${request.method ?? ''} ${path}`;
    const contractMatch = /^\/api\/contracts\/([^/]+)(\/approve|\/revoke)?$/.exec(path);
    const id = contractMatch?.[1] === undefined ? '' : decodeURIComponent(contractMatch[1]);
    if (route === 'DELETE /api/session') {
      if (cookie !== undefined) sessions.logout(cookie);
      response.setHeader('set-cookie', sessionCookie(port, '', 0));
      json(response, 200, { message: 'signed out' });
      return;
    }
    if (route === 'GET /api/events') {
      openEventStream(response);
      return;
    }
    if (route === 'GET /api/audit') {
      json(
        response,
        200,
        await withRepository((repository) =>
          auditTimeline(options.env, options.identity.repository, repository),
        ),
      );
      return;
    }
    if (route === 'POST /api/audit/checkpoint') {
      const view = await withRepository((repository) =>
        auditTimeline(options.env, options.identity.repository, repository),
      );
      const path = await saveAuditCheckpoint(options.env, options.identity.repository, view);
      json(response, 200, { message: `checkpoint saved at entry ${view.head.sequence}: ${path}` });
      return;
    }
    if (route === 'POST /api/roots/inspect') {
      json(response, 200, inspectRoots(await body(request, inspectRootRequestSchema)));
      return;
    }
    if (route === 'POST /api/contracts') {
      json(response, 200, await options.actions.propose(await body(request, proposeRequestSchema)));
      return;
    }
    if (contractMatch !== null) {
      const action = contractMatch[2];
      if (request.method === 'GET' && action === undefined) {
        const contract =
          options.feed.contract(id) ?? (await withRepository((repository) => repository.get(id)));
        json(response, 200, contractDetail(contract, options.identity.trustDomain, options.clock.now()));
        return;
      }
      if (request.method === 'POST' && action === '/approve') {
        json(response, 200, await options.actions.approve(id, await body(request, approveRequestSchema)));
        return;
      }
      if (request.method === 'POST' && action === '/revoke') {
        const { reason } = await body(request, revokeRequestSchema);
        json(response, 200, await options.actions.revoke(id, reason));
        return;
      }
      if (request.method === 'DELETE' && action === undefined) {
        json(response, 200, await options.actions.delete(id));
        return;
      }
    }
    fail(response, 404, { code: 'NOT_FOUND', message: `no such API: ${route}` });
  };

  const openEventStream = (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    const first: ConsoleEvent[] = [
      { type: 'identity', identity: options.identity },
      ...options.feed.currentEvents(),
      { type: 'bundles', bundles },
    ];
    response.write(first.map((event) => `data: ${JSON.stringify(event)}\n\n`).join(''));
    streams.add(response);
    response.once('close', () => streams.delete(response));
  };

  const withRepository = async <T>(
    body: (repository: ContractRepositoryClient) => Promise<T>,
  ): Promise<T> => {
    const repository = await options.openRepository();
    try {
      return await body(repository);
    } finally {
      repository.close();
    }
  };

  const server: Server = createServer((request, response) => {
    for (const [name, value] of Object.entries(securityHeaders)) response.setHeader(name, value);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const verdict = guardRequest(
      {
        method: request.method ?? 'GET',
        path,
        host: request.headers.host,
        origin: request.headers.origin,
        fetchSite: header(request, 'sec-fetch-site'),
      },
      policy,
    );
    if (!verdict.isAllowed) {
      request.resume();
      fail(response, verdict.status, {
        code: verdict.status === 421 ? 'MISDIRECTED' : 'PERMISSION_DENIED',
        message: verdict.reason,
      });
      return;
    }
    if (path.startsWith('/api/')) {
      api(request, response, path, verdict.port).catch((error: unknown) => {
        if (response.headersSent) {
          response.end();
          return;
        }
        fail(response, httpStatusOf(error), { code: errorCode(error), message: errorMessage(error) });
      });
      return;
    }
    const asset = assets[path];
    const content = asset === undefined ? undefined : files.get(asset.file);
    if (
      asset === undefined ||
      content === undefined ||
      (request.method !== 'GET' && request.method !== 'HEAD')
    ) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found\n');
      return;
    }
    response.writeHead(200, { 'content-type': asset.type, 'content-length': content.byteLength });
    response.end(request.method === 'HEAD' ? undefined : content);
  });
  const port = await listenHttpServer(server, '127.0.0.1', options.port);
  policy = { ...policy, port };
  options.feed.start();
  const first = loginUrl(port);
  options.printLoginUrl(first);
  return {
    port,
    loginUrl: first,
    close: async () => {
      unsubscribe();
      stopWatchingBundles();
      for (const stream of streams) stream.end();
      await options.feed.stop();
      await closeHttpServer(server);
    },
  };
}

async function loadAssets(directory: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const { file } of Object.values(assets)) {
    try {
      files.set(file, await readFile(join(directory, file)));
    } catch (error) {
      throw new Error(
        `the console's browser files are missing (${errorMessage(error)}): run 'npm run build'`,
      );
    }
  }
  return files;
}

async function body<T>(request: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const bytes = await readBodyUpTo(request, maxRequestBytes);
  if (bytes === undefined)
    throw new InvalidArgumentError(`request body larger than ${maxRequestBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidArgumentError('request body is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError(
      `${issue?.path.join('.') ?? 'body'}: ${issue?.message ?? 'invalid request'}`,
    );
  }
  return parsed.data;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function json(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(text);
}

function fail(response: ServerResponse, status: number, error: ApiError): void {
  json(response, status, error);
}

/** The HTTP status of an error: its gRPC meaning, one mapping. */
function httpStatusOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof InvalidConfigError) return 400;
  if (error instanceof AuditChainError) return 409;
  if (!(error instanceof AccordError)) return 500;
  switch (error.kind) {
    case 'InvalidArgument':
      return 400;
    case 'NotFound':
      return 404;
    case 'AlreadyExists':
    case 'FailedPrecondition':
      return 409;
    case 'PermissionDenied':
      return 403;
    case 'Unauthenticated':
      return 401;
    case 'ResourceExhausted':
      return 429;
    case 'Unavailable':
      return 503;
    case 'Cancelled':
    case 'Internal':
      return 500;
  }
}
