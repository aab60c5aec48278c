import type { ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';

/** The DER TLS received per HTTP/2 session (connection); gone with the session. */
const derBySession = new WeakMap<object, Buffer>();

/**
 * The DER of the client certificate TLS received on this call's connection, or `undefined` when
 * there is none (or the TLS layer did not authorize it). grpc-js's `getAuthContext()` decodes the
 * whole certificate into an object (subject, issuer, extensions, fingerprints) on every call,
 * about a sixth of a GetCertificates call's CPU time, while callers only need its DER. The
 * certificate cannot change within a connection: Node's `Http2Session` disables TLS
 * renegotiation on its socket. So the DER is read once per session and remembered for its later
 * calls; verifying it (trust, validity at this moment) still happens on every call. grpc-js does
 * not expose the session: it is reached through the call's internals (grpc-js 1.14), and when that
 * path is absent every call asks `getAuthContext()` as before.
 */
export function peerCertificateDer(
  call: ServerUnaryCall<Buffer, unknown> | ServerWritableStream<Buffer, unknown>,
): Buffer | undefined {
  const session = sessionOf(call);
  const remembered = session === undefined ? undefined : derBySession.get(session);
  if (remembered !== undefined) return remembered;
  const der = call.getAuthContext().sslPeerCertificate?.raw;
  if (der !== undefined && session !== undefined) derBySession.set(session, der);
  return der;
}

/** The call's `Http2Session` through grpc-js internals, or `undefined` where they differ. */
function sessionOf(call: object): object | undefined {
  const inner = (call as { call?: { nextCall?: unknown; stream?: unknown } }).call;
  const base = (inner?.nextCall ?? inner) as { stream?: { session?: unknown } } | undefined;
  const session = base?.stream?.session;
  return typeof session === 'object' && session !== null ? session : undefined;
}
