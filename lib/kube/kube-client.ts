import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { errorMessage } from '../errors/accord-error.js';
import { loadKubeConnectionSettings, type KubeConnectionSettings } from './kube-config.js';
import { KubeCoreApi } from './kube-core-api.js';
import { KubeApiError } from './kube-errors.js';

/** The deadline of every Kubernetes API call unless the client or the call names another. */
export const defaultKubeCallTimeoutMs = 10_000;

/** How long a token read from a file is used before it is read again (client-go re-reads every minute). */
const tokenFileMaxAgeMs = 60_000;
/**
 * An idle keep-alive connection is closed after this long: below the idle timeouts of the load
 * balancers and proxies that may sit in front of an API server, so the client never sends on a
 * connection the other side is closing.
 */
const idleConnectionTimeoutMs = 30_000;
/** TCP keep-alive probes on a watch's connection, so that a dead peer is noticed. */
const watchKeepAliveMs = 30_000;

/** A query parameter's value; `undefined` leaves the parameter out. */
export type KubeQueryValue = string | number | boolean | undefined;

/** One API call. */
export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the server, e.g. `/api/v1/namespaces/mesh/secrets`; segments already encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, KubeQueryValue>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Default `application/json`; a JSON patch says `application/json-patch+json`. */
  readonly contentType?: string;
}

/** Receives each event of a watch: its type (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR`) and object. */
export type WatchEventHandler = (type: string, object: unknown) => void;

/** Options of a `KubeClient` beyond its connection settings. */
export interface KubeClientOptions {
  /** The deadline of every call (watches excepted); default `defaultKubeCallTimeoutMs`. */
  readonly timeoutMs?: number;
}

/**
 * Accord's Kubernetes API client: JSON over HTTPS with one keep-alive connection pool per client,
 * so a component pays one TLS handshake per connection, not per call. It replaced
 * `@kubernetes/client-node` 1.4, which builds a new `https.Agent` (a new connection and TLS
 * handshake) for every request, about 3.3 ms of CPU per call and native memory that grew with
 * every call, and whose import alone costs about 68 MB of resident memory (all 2,500 generated
 * models load with any API group); see bench/RESULTS.md, issue 13. The typed calls Accord makes
 * are in `kube-apis.ts`; every call has a deadline, so a hung API server cannot hang a store or
 * a sync loop.
 *
 * A request that finds its reused connection reset before any answer (the server closed it
 * while idle) is sent once more on a new connection when it is safe to repeat: every method but
 * POST (a PUT carries its resourceVersion and a JSON patch its `test`, so a repeat after a
 * success fails as a conflict instead of writing twice).
 */
export class KubeClient {
  readonly #settings: KubeConnectionSettings;
  readonly #timeoutMs: number;
  /** Replaced only by `withTimeout`, in the view it makes. */
  #connections: Connections;

  constructor(settings: KubeConnectionSettings, options: KubeClientOptions = {}) {
    this.#settings = settings;
    this.#timeoutMs = options.timeoutMs ?? defaultKubeCallTimeoutMs;
    this.#connections = newConnections(settings);
  }

  /**
   * The same client (connections, token) with another call deadline, e.g. for a call that must
   * leave time within an admission webhook's own timeout.
   */
  withTimeout(timeoutMs: number): KubeClient {
    const view = new KubeClient(this.#settings, { timeoutMs });
    view.#connections = this.#connections;
    return view;
  }

  /** Sends `call` and returns the answer's JSON; an error status is a `KubeApiError`. */
  async request<T>(call: KubeRequest): Promise<T> {
    const text = await this.#send(call, true);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * Watches `path` (`?watch=true` plus `query`): `onEvent` gets every event line, `onDone` is
   * called once, with `null` when the server ended the watch (its `timeoutSeconds`) and with the
   * error otherwise (a `KubeApiError` for an error status; 410 Gone means relist). Resolves, once
   * the server has answered, with the controller that ends the watch; no deadline applies.
   */
  async watch(
    path: string,
    query: Readonly<Record<string, KubeQueryValue>>,
    onEvent: WatchEventHandler,
    onDone: (error: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    let isDone = false;
    const done = (error: unknown) => {
      if (isDone) return;
      isDone = true;
      controller.abort();
      onDone(error);
    };
    // The server must answer the watch within the call deadline; after that only `stop` ends it.
    const headDeadline = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      const response = await this.#open(
        { method: 'GET', path, query: { ...query, watch: true } },
        controller.signal,
        this.#connections.watchAgent,
      ).finally(() => clearTimeout(headDeadline));
      if (response.statusCode !== 200) {
        const body = await readBody(response);
        throw new KubeApiError(response.statusCode ?? 0, body, `watch ${path}`);
      }
      response.socket.setKeepAlive(true, watchKeepAliveMs);
      response.on('error', done);
      response.on('close', () => done(response.complete ? null : new Error(`watch ${path} was cut off`)));
      const lines = createInterface({ input: response, crlfDelay: Infinity });
      // readline re-emits the response's errors (a cut connection is `aborted`): unhandled, they would crash.
      lines.on('error', done);
      lines.on('line', (line) => {
        if (isDone || line === '') return;
        let event: unknown;
        try {
          event = JSON.parse(line);
        } catch {
          done(new Error(`watch ${path} sent a line that is not JSON`));
          return;
        }
        const { type, object } = event as { type?: unknown; object?: unknown };
        if (typeof type === 'string') onEvent(type, object);
      });
    } catch (error) {
      done(error);
    }
    return controller;
  }

  /** Closes every pooled connection and every watch; later calls open new ones. */
  close(): void {
    this.#connections.agent.destroy();
    this.#connections.watchAgent.destroy();
  }

  async #send(call: KubeRequest, mayRepeat: boolean): Promise<string> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: IncomingMessage;
    try {
      response = await this.#open(call, signal, this.#connections.agent);
    } catch (error) {
      if (mayRepeat && call.method !== 'POST' && isResetOfReusedConnection(error))
        return this.#send(call, false);
      throw error;
    }
    const body = await readBody(response, signal);
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) throw new KubeApiError(status, body, `${call.method} ${call.path}`);
    return body;
  }

  /** Sends the request and resolves with the response head; the body is the caller's to read. */
  async #open(call: KubeRequest, signal: AbortSignal, agent: Agent): Promise<IncomingMessage> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = await this.#bearerToken();
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    if (body !== undefined) {
      headers['content-type'] = call.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const url = new URL(`${this.#settings.server}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const what = `${call.method} ${call.path}`;
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortedError(what, signal));
        return;
      }
      const request = httpsRequest(url, { method: call.method, headers, agent, signal }, resolve);
      request.on('error', (error) => {
        reject(signal.aborted ? abortedError(what, signal) : tagReused(error, request.reusedSocket));
      });
      request.end(body);
    });
  }

  async #bearerToken(): Promise<string | undefined> {
    const source = this.#settings.bearerToken;
    if (source === undefined) return undefined;
    if (source.kind === 'static') return source.token;
    const now = Date.now();
    const cached = this.#connections.token;
    if (cached !== undefined && now - cached.readAtMs < tokenFileMaxAgeMs) return cached.value;
    let value: string;
    try {
      value = (await readFile(source.path, 'utf8')).trim();
    } catch (error) {
      throw new Error(`cannot read the Kubernetes token file ${source.path}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    this.#connections.token = { value, readAtMs: now };
    return value;
  }
}

/** What every `KubeClient` view of one connection shares: the pools and the token read from a file. */
interface Connections {
  readonly agent: Agent;
  /** Watches get their own pool: they hold a connection for minutes and must not wait behind calls. */
  readonly watchAgent: Agent;
  token: { readonly value: string; readonly readAtMs: number } | undefined;
}

function newConnections(settings: KubeConnectionSettings): Connections {
  const tls = {
    ...(settings.caPem === undefined ? {} : { ca: settings.caPem }),
    ...(settings.clientCertificatePem === undefined ? {} : { cert: settings.clientCertificatePem }),
    ...(settings.clientKeyPem === undefined ? {} : { key: settings.clientKeyPem }),
    ...(settings.tlsServerName === undefined ? {} : { servername: settings.tlsServerName }),
    rejectUnauthorized: !settings.isServerCertificateUnchecked,
  };
  return {
    agent: new Agent({ ...tls, keepAlive: true, scheduling: 'lifo', timeout: idleConnectionTimeoutMs }),
    watchAgent: new Agent({ ...tls, keepAlive: true, keepAliveMsecs: watchKeepAliveMs }),
    token: undefined,
  };
}

/**
 * A client for the kubeconfig at `kubeconfigPath` (the pod's ServiceAccount when absent; see
 * `loadKubeConnectionSettings`). A component makes one and hands it to every API it uses, so they
 * share its connections.
 */
export function connectKube(kubeconfigPath?: string, options: KubeClientOptions = {}): KubeClient {
  return new KubeClient(loadKubeConnectionSettings(kubeconfigPath), options);
}

async function readBody(response: IncomingMessage, signal?: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response) chunks.push(chunk as Buffer);
  } catch (error) {
    if (signal?.aborted === true) throw abortedError('reading the answer', signal);
    throw error;
  }
  return Buffer.concat(chunks).toString('utf8');
}

const reusedConnectionReset = Symbol('reusedConnectionReset');

function tagReused(error: Error, isReused: boolean): Error {
  if (isReused && (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
    Object.defineProperty(error, reusedConnectionReset, { value: true });
  }
  return error;
}

function isResetOfReusedConnection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && reusedConnectionReset in error;
}

function abortedError(what: string, signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const isTimeout = reason instanceof DOMException && reason.name === 'TimeoutError';
  return new Error(`Kubernetes API call ${what} aborted${isTimeout ? ' at its deadline' : ''}`, {
    cause: reason,
  });
}

/** A `KubeCoreApi` (Secrets, ConfigMaps, …) on a new client for `kubeconfigPath`: for a component that needs no other API. */
export function coreApiClient(kubeconfigPath?: string): KubeCoreApi {
  return new KubeCoreApi(connectKube(kubeconfigPath));
}
