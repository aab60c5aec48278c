/**
 * A request as the translator sees it: Envoy's ext_authz `CheckRequest` carries exactly these
 * attributes (method, scheme, `:authority`, `:path` with its query, lower-cased headers, the
 * buffered body), so signing and verification work on plain data and need no HTTP stack.
 */
export interface HttpRequestMessage {
  readonly method: string;
  readonly scheme: 'http' | 'https';
  /** `host[:port]` as received (`:authority` / `Host`). */
  readonly authority: string;
  /** The origin-form request target as received: absolute path, then `?query` when there is one. */
  readonly target: string;
  /** Header fields by lower-case name; repeated fields already combined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** A response, only needed for RFC 9421 `@status` (the WIMSE response profile and B.2.4). */
export interface HttpResponseMessage {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** Either message: RFC 9421 signs both, with `@status` only on responses. */
export type HttpMessage = HttpRequestMessage | HttpResponseMessage;

/** Whether `message` is a request (responses have a status instead of a method). */
export function isRequest(message: HttpMessage): message is HttpRequestMessage {
  return 'method' in message;
}

/** Whether the message has content: an absent and an empty body both mean none. */
export function hasBody(message: HttpMessage): boolean {
  return message.body !== undefined && message.body.byteLength > 0;
}
