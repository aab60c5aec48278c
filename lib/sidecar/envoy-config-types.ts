// The subset of the Envoy v3 API that Accord's sidecar bootstrap uses, written by hand as plain
// JSON shapes (proto3 JSON mapping: snake_case field names, durations as "1.5s" strings, `@type`
// on every Any). Deliberately not generated from Envoy's protos: the bootstrap touches a few dozen
// fields, and `envoy --mode validate` on every rendered variant (test/envoy) is the check that
// these shapes still match the real API. Add fields here only when a builder needs them.

/** `google.protobuf.Duration` in its JSON form, e.g. `"0.5s"`. */
export type Duration = `${number}s`;

/** `envoy.config.core.v3.DataSource`: where Envoy reads bytes from. */
export type DataSource = { filename: string } | { inline_string: string };

/** `envoy.config.core.v3.WatchedDirectory`: a move event in it makes Envoy re-read. */
export interface WatchedDirectory {
  path: string;
}

/** `envoy.config.core.v3.SocketAddress` (TCP only). */
export interface SocketAddress {
  socket_address: { address: string; port_value: number };
}

/** `envoy.config.core.v3.ConfigSource` for a resource read from a local file. */
export interface PathConfigSource {
  resource_api_version: 'V3';
  path_config_source: { path: string; watched_directory: WatchedDirectory };
}

/** `envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig`. */
export interface SdsSecretConfig {
  name: string;
  sds_config: PathConfigSource;
}

/** `envoy.type.matcher.v3.StringMatcher` (the variants Accord uses). */
export type StringMatcher = { exact: string } | { prefix: string };

/** `envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher`. */
export interface SubjectAltNameMatcher {
  san_type: 'URI';
  matcher: StringMatcher;
}

/** `envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig` inside its Any. */
export interface SpiffeCertValidatorConfig {
  '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig';
  trust_domains: { name: string; trust_bundle: DataSource }[];
}

/** `envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext`. */
export interface CertificateValidationContext {
  match_typed_subject_alt_names?: SubjectAltNameMatcher[];
  custom_validator_config?: {
    name: 'envoy.tls.cert_validator.spiffe';
    typed_config: SpiffeCertValidatorConfig;
  };
}

/** `envoy.extensions.transport_sockets.tls.v3.TlsCertificate`. */
export interface TlsCertificate {
  certificate_chain: DataSource;
  private_key: DataSource;
  watched_directory?: WatchedDirectory;
}

/** `envoy.extensions.transport_sockets.tls.v3.Secret`: one SDS resource. */
export type Secret = {
  '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';
  name: string;
} & ({ tls_certificate: TlsCertificate } | { validation_context: CertificateValidationContext });

/** The content of a file read through `path_config_source`: a discovery response. */
export interface SecretFile {
  resources: [Secret];
}

/** `envoy.extensions.transport_sockets.tls.v3.CommonTlsContext` (SDS variants only). */
export interface CommonTlsContext {
  tls_params: {
    tls_minimum_protocol_version: 'TLSv1_2' | 'TLSv1_3';
    tls_maximum_protocol_version: 'TLSv1_2' | 'TLSv1_3';
  };
  tls_certificate_sds_secret_configs: [SdsSecretConfig];
  validation_context_sds_secret_config?: SdsSecretConfig;
  combined_validation_context?: {
    default_validation_context: CertificateValidationContext;
    validation_context_sds_secret_config: SdsSecretConfig;
  };
}

/** `envoy.config.core.v3.TransportSocket` for TLS. */
export type TlsTransportSocket =
  | {
      name: 'envoy.transport_sockets.tls';
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
        require_client_certificate: true;
        common_tls_context: CommonTlsContext;
      };
    }
  | {
      name: 'envoy.transport_sockets.tls';
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
        sni?: string;
        common_tls_context: CommonTlsContext;
      };
    };

/** `envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute` inside its Any. */
export type ExtAuthzPerRoute = {
  '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';
} & ({ check_settings: { context_extensions: Record<string, string> } } | { disabled: true });

/** `envoy.config.route.v3.Route`. */
export interface Route {
  match: { prefix: string };
  route?: { cluster: string; timeout: Duration };
  direct_response?: { status: number; body?: { inline_string: string } };
}

/** `envoy.config.route.v3.VirtualHost`. */
export interface VirtualHost {
  name: string;
  domains: string[];
  routes: Route[];
  typed_per_filter_config?: { 'envoy.filters.http.ext_authz': ExtAuthzPerRoute };
}

/** `envoy.type.matcher.v3.ListStringMatcher`: a header allow-list. */
export interface ListStringMatcher {
  patterns: StringMatcher[];
}

/** `envoy.config.core.v3.HeaderValue`; `value` may hold Envoy substitutions such as `%DOWNSTREAM_PEER_URI_SAN%`. */
export interface HeaderValue {
  key: string;
  value: string;
}

/** `envoy.extensions.filters.http.ext_authz.v3.HttpService`: the plain-HTTP authorization server. */
export interface ExtAuthzHttpService {
  server_uri: { uri: string; cluster: string; timeout: Duration };
  /** Prepended to the original path of the request sent to the authorization server. */
  path_prefix: string;
  authorization_request: { headers_to_add: HeaderValue[] };
  authorization_response: {
    /** Headers of an allow answer that replace the forwarded request's own. */
    allowed_upstream_headers: ListStringMatcher;
    /** Headers of a deny answer that reach the client. */
    allowed_client_headers: ListStringMatcher;
  };
}

/** The fields of `envoy.extensions.filters.http.ext_authz.v3.ExtAuthz` both transports share. */
interface ExtAuthzCommon {
  '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
  transport_api_version: 'V3';
  failure_mode_allow: boolean;
  status_on_error: { code: number };
  /** `pack_as_bytes` puts the body in `raw_body` unaltered; without it, non-UTF-8 bytes are replaced. */
  with_request_body: { max_request_bytes: number; allow_partial_message: boolean; pack_as_bytes: boolean };
}

/** `envoy.extensions.filters.http.ext_authz.v3.ExtAuthz` inside its Any, gRPC variant. */
export interface ExtAuthzGrpc extends ExtAuthzCommon {
  grpc_service: { envoy_grpc: { cluster_name: string }; timeout: Duration };
  include_peer_certificate: boolean;
}

/** `envoy.extensions.filters.http.ext_authz.v3.ExtAuthz` inside its Any, HTTP variant. */
export interface ExtAuthzHttp extends ExtAuthzCommon {
  http_service: ExtAuthzHttpService;
  /** The request headers sent to the authorization server (besides the ones Envoy always sends). */
  allowed_headers: ListStringMatcher;
}

/** `envoy.extensions.filters.http.ext_authz.v3.ExtAuthz` inside its Any. */
export type ExtAuthz = ExtAuthzGrpc | ExtAuthzHttp;

/** `envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter`. */
export type HttpFilter =
  | { name: 'envoy.filters.http.ext_authz'; typed_config: ExtAuthz }
  | {
      name: 'envoy.filters.http.router';
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' };
    };

/** `envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager` inside its Any. */
export interface HttpConnectionManager {
  '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
  stat_prefix: string;
  codec_type: 'AUTO';
  common_http_protocol_options?: CommonHttpProtocolOptions;
  forward_client_cert_details?: 'SANITIZE_SET';
  set_current_client_cert_details?: { uri: boolean };
  route_config: {
    name: string;
    ignore_port_in_host_matching?: boolean;
    virtual_hosts: VirtualHost[];
  };
  http_filters: HttpFilter[];
}

/** `envoy.config.listener.v3.Listener` with one HTTP filter chain. */
export interface Listener {
  name: string;
  address: SocketAddress;
  filter_chains: [
    {
      filters: [
        { name: 'envoy.filters.network.http_connection_manager'; typed_config: HttpConnectionManager },
      ];
      transport_socket?: TlsTransportSocket;
    },
  ];
}

/** `envoy.config.core.v3.HttpProtocolOptions` (the connection lifetime part). */
export interface CommonHttpProtocolOptions {
  max_connection_duration?: Duration;
  /** How long an upstream connection may sit idle in the pool before Envoy closes it. */
  idle_timeout?: Duration;
}

/** `envoy.extensions.upstreams.http.v3.HttpProtocolOptions` keyed as a cluster's extension option. */
export interface UpstreamHttpProtocolOptions {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
    '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    common_http_protocol_options?: CommonHttpProtocolOptions;
    explicit_http_config:
      { http2_protocol_options: Record<string, never> } | { http_protocol_options: Record<string, never> };
  };
}

/** `envoy.config.cluster.v3.Cluster` with static or DNS-resolved endpoints. */
export interface Cluster {
  name: string;
  type: 'STATIC' | 'STRICT_DNS';
  connect_timeout: Duration;
  load_assignment: {
    cluster_name: string;
    endpoints: [{ lb_endpoints: { endpoint: { address: SocketAddress } }[] }];
  };
  typed_extension_protocol_options?: UpstreamHttpProtocolOptions;
  transport_socket?: TlsTransportSocket;
}

/** `envoy.config.bootstrap.v3.Bootstrap`: the sidecar's whole static configuration. */
export interface Bootstrap {
  node: { id: string; cluster: string };
  admin: { address: SocketAddress };
  static_resources: { listeners: Listener[]; clusters: Cluster[] };
}
