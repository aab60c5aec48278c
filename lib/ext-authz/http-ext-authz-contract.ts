/**
 * The contract between the sidecar Envoy's HTTP ext_authz filter (rendered by
 * operator/envoy/sidecar-bootstrap.ts) and the translator's HTTP authorization server
 * (translator/http-authorization-server.ts). Both sides import these names, so the Envoy config and
 * the server that reads what it sends can never disagree.
 *
 * Why an HTTP variant next to gRPC `Authorization/Check`: per proxied request the path asks the
 * translator twice, and the gRPC transport (Envoy's gRPC client, grpc-js on Node's HTTP/2,
 * protobuf-es) costs several times the decision itself. The HTTP variant carries the same facts:
 * the original method, Host and body as they are, the original path behind a fixed per-direction
 * prefix, an allow-list of request headers, and the mTLS peer in a header only Envoy can set.
 */

/** Which way a request crosses the sidecar. */
export type ExtAuthzDirection = 'inbound' | 'outbound';

/**
 * Envoy's `http_service.path_prefix` per direction: the translator receives `<prefix><original
 * path>`. The prefix comes from the listener's own config, so a client cannot choose the direction;
 * it only controls what follows the prefix.
 */
export const directionPathPrefix: Readonly<Record<ExtAuthzDirection, string>> = {
  inbound: '/inbound',
  outbound: '/outbound',
};

/**
 * Set by Envoy on every authorization request (`authorization_request.headers_to_add`) to the URI
 * SAN of the verified mTLS peer, `%DOWNSTREAM_PEER_URI_SAN%`. Envoy's value replaces whatever a
 * client sent under the same name, so the header cannot be forged. Envoy writes `-` when there is
 * no verified peer (the outbound side, which serves plaintext local clients).
 */
export const peerHeader = 'x-accord-peer';

/** The `headers_to_add` value Envoy substitutes with the peer's URI SAN(s), comma-separated. */
export const peerHeaderValue = '%DOWNSTREAM_PEER_URI_SAN%';

/**
 * The request headers Envoy forwards to the translator (`allowed_headers`; Envoy always adds Host,
 * Method, Path and Content-Length): the local credential (outbound), the proof (inbound), every
 * header the WIMSE profile signs when present (translator/wimse-profile.ts), the user header, and
 * the request id for the log. Anything else a client sends never reaches the translator.
 */
export const headersToTranslator: readonly string[] = [
  'authorization',
  'workload-identity-token',
  'signature',
  'signature-input',
  'content-digest',
  'content-type',
  'txn-token',
  'accord-user',
  'x-request-id',
];

/**
 * The headers an allow answer may set on the forwarded request (`allowed_upstream_headers`; each
 * replaces the request's own value): the proof and user header outbound, the local credential and
 * the verified caller inbound.
 */
export const headersFromTranslator: readonly string[] = [
  'authorization',
  'workload-identity-token',
  'signature',
  'signature-input',
  'content-digest',
  'accord-user',
  'accord-workload',
];

/** The only header of a deny answer that reaches the client (`allowed_client_headers`). */
export const clientHeadersOnDeny: readonly string[] = ['www-authenticate'];

/**
 * Envoy's header on an allow answer listing, comma-separated, request headers to drop before
 * forwarding (the local credential outbound, the proof inbound).
 */
export const headersToRemoveHeader = 'x-envoy-auth-headers-to-remove';

/**
 * Keep-alive on the loopback connections between Envoy and the translator. The translator keeps an
 * idle connection open longer than Envoy's cluster does, so it is always Envoy that closes an idle
 * one: a server closing first races Envoy's next request on that connection, and ext_authz fails
 * closed (503).
 */
export const envoyIdleTimeoutSeconds = 60;
export const translatorKeepAliveSeconds = 120;
