import { isIP } from 'node:net';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../lib/errors/accord-error.js';
import {
  clientHeadersOnDeny,
  directionPathPrefix,
  envoyIdleTimeoutSeconds,
  type ExtAuthzDirection,
  headersFromTranslator,
  headersToTranslator,
  peerHeader,
  peerHeaderValue,
} from '../../lib/ext-authz/http-ext-authz-contract.js';
import { isValidTrustDomain } from '../../lib/spiffe/spiffe-id.js';
import type {
  Bootstrap,
  CertificateValidationContext,
  Cluster,
  CommonTlsContext,
  Duration,
  ExtAuthz,
  ExtAuthzPerRoute,
  HttpConnectionManager,
  HttpFilter,
  Listener,
  ListStringMatcher,
  PathConfigSource,
  SdsSecretConfig,
  SocketAddress,
  VirtualHost,
} from '../../lib/sidecar/envoy-config-types.js';
import {
  directionContextKey,
  secretFileName,
  svidSecretName,
  trustBundlesSecretName,
} from '../../lib/sidecar/sidecar-secret-names.js';

/**
 * How Envoy asks the translator: gRPC `envoy.service.auth.v3.Authorization/Check`, or Envoy's HTTP
 * authorization service, which costs far less per call on both ends (lib/ext-authz/
 * http-ext-authz-contract.ts has the why and the names both sides share).
 */
export type ExtAuthzTransport = 'grpc' | 'http';

/** A remote zone the local app may call through the outbound listener. */
export interface OutboundZone {
  /**
   * The DNS suffix the app uses for this zone's services: `zone-b` routes
   * `http://service.zone-b:8080` here. Must be unique among the zones.
   */
  hostSuffix: string;
  /** The zone's SPIFFE trust domain: the remote peer's SVID must belong to it. */
  trustDomain: string;
  /** Where the zone's inbound side listens (its ingress gateway, or its sidecar on loopback). */
  endpoint: { host: string; port: number };
}

/** What to render; every path is as the Envoy container sees it. */
export interface SidecarBootstrapOptions {
  /** Envoy's node id and cluster (file-based SDS requires both): the pod and the workload. */
  node: { id: string; cluster: string };
  /** Admin interface port on 127.0.0.1; 0 lets the kernel pick (read it with --admin-address-path). */
  adminPort: number;
  /**
   * The directory Envoy watches for SDS resource files: `accord-svid.yaml` and
   * `accord-trust-bundles.yaml` (see sds-secret-files.ts). Replacing either file by a rename
   * makes Envoy reload it without a restart.
   */
  secretsDirectory: string;
  /** The mTLS listener remote zones connect to; requests go to the app on 127.0.0.1:appPort. */
  inbound: { address: string; port: number; appPort: number };
  /** The plain-HTTP listener the app reaches through HTTP_PROXY; absent when the app calls no zone. */
  outbound?: { address: string; port: number; zones: readonly OutboundZone[] };
  /**
   * The longest an mTLS connection between zones lives (inbound and outbound). Envoy applies a new
   * trust bundle to new handshakes only, so this bounds how long a connection established before a
   * revocation keeps working. Defaults to 60 s.
   */
  maxConnectionDurationMs?: number;
  /** The local translator (Envoy's ext_authz server) asked about every request, or absent for none. */
  extAuthz?: ExtAuthzOptions;
}

/** Where and how Envoy asks the translator. */
export interface ExtAuthzOptions {
  /** Defaults to `grpc`; must match the translator's `listen.protocol`. */
  transport?: ExtAuthzTransport;
  translatorPort: number;
  timeoutMs: number;
  maxRequestBytes: number;
}

const translatorClusterName = 'accord_translator';
const localAppClusterName = 'local_app';
const connectTimeout: Duration = '1s';
const defaultMaxConnectionDurationMs = 60_000;
/** Request timeout towards the app and remote zones (Envoy's default is 15 s). */
const routeTimeout: Duration = '30s';

/**
 * Renders the Envoy bootstrap of an Accord sidecar as typed data (serialise it with
 * `renderEnvoyYaml`). Everything that changes at run time, the SVID and the set of trusted zones
 * with their bundles, comes from SDS files in `secretsDirectory`, so the bootstrap itself only
 * changes when ports or the list of outbound zones change.
 */
export function sidecarBootstrap(options: SidecarBootstrapOptions): Bootstrap {
  checkOptions(options);
  const listeners: Listener[] = [inboundListener(options)];
  const clusters: Cluster[] = [staticCluster(localAppClusterName, '127.0.0.1', options.inbound.appPort)];
  if (options.outbound !== undefined) {
    listeners.push(outboundListener(options, options.outbound.zones));
    clusters.push(...options.outbound.zones.map((zone) => zoneCluster(options, zone)));
  }
  if (options.extAuthz !== undefined) clusters.push(translatorCluster(options.extAuthz));
  return {
    node: { id: options.node.id, cluster: options.node.cluster },
    admin: { address: socketAddress('127.0.0.1', options.adminPort) },
    static_resources: { listeners, clusters },
  };
}

/**
 * The loopback cluster to the translator: HTTP/2 for gRPC; HTTP/1.1 for the HTTP service, whose
 * idle connections Envoy closes before the translator's keep-alive would (see
 * `envoyIdleTimeoutSeconds`), so no request races a server-side close.
 */
function translatorCluster(extAuthz: ExtAuthzOptions): Cluster {
  const optionsType = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
  return {
    ...staticCluster(translatorClusterName, '127.0.0.1', extAuthz.translatorPort),
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions':
        transportOf(extAuthz) === 'grpc'
          ? { '@type': optionsType, explicit_http_config: { http2_protocol_options: {} } }
          : {
              '@type': optionsType,
              common_http_protocol_options: { idle_timeout: `${envoyIdleTimeoutSeconds}s` },
              explicit_http_config: { http_protocol_options: {} },
            },
    },
  };
}

/** The name of the cluster that carries calls to a remote zone. */
export function zoneClusterName(zone: OutboundZone): string {
  return `zone_${zone.hostSuffix}`;
}

function inboundListener(options: SidecarBootstrapOptions): Listener {
  const virtualHost: VirtualHost = {
    name: 'inbound',
    domains: ['*'],
    routes: [{ match: { prefix: '/' }, route: { cluster: localAppClusterName, timeout: routeTimeout } }],
    ...directionConfig(options, 'inbound'),
  };
  return {
    name: 'inbound',
    address: socketAddress(options.inbound.address, options.inbound.port),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              ...connectionManager('inbound', options, [virtualHost]),
              common_http_protocol_options: { max_connection_duration: maxConnectionDuration(options) },
              // The app may log the caller's SPIFFE ID; a client-supplied header is never trusted.
              forward_client_cert_details: 'SANITIZE_SET',
              set_current_client_cert_details: { uri: true },
            },
          },
        ],
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
            require_client_certificate: true,
            common_tls_context: {
              ...svidTlsContext(options),
              // The SPIFFE validator inside the secret picks the bundle by the peer's trust domain.
              validation_context_sds_secret_config: sdsSecret(options, trustBundlesSecretName),
            },
          },
        },
      },
    ],
  };
}

function outboundListener(options: SidecarBootstrapOptions, zones: readonly OutboundZone[]): Listener {
  const outbound = options.outbound;
  if (outbound === undefined) throw new InvalidArgumentError('outbound listener without options');
  const virtualHosts: VirtualHost[] = zones.map((zone) => ({
    name: zoneClusterName(zone),
    domains: [`*.${zone.hostSuffix}`],
    routes: [{ match: { prefix: '/' }, route: { cluster: zoneClusterName(zone), timeout: routeTimeout } }],
    ...directionConfig(options, 'outbound'),
  }));
  // Any other host is not a zone Accord knows: refused here rather than sent in clear text, and
  // without asking the translator, which has nothing to translate for it.
  virtualHosts.push({
    name: 'unknown_zone',
    domains: ['*'],
    routes: [{ match: { prefix: '/' }, direct_response: { status: 403 } }],
    ...(options.extAuthz === undefined
      ? {}
      : {
          typed_per_filter_config: {
            'envoy.filters.http.ext_authz': {
              '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute',
              disabled: true,
            },
          },
        }),
  });
  return {
    name: 'outbound',
    address: socketAddress(outbound.address, outbound.port),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: connectionManager('outbound', options, virtualHosts),
          },
        ],
      },
    ],
  };
}

function connectionManager(
  direction: ExtAuthzDirection,
  options: SidecarBootstrapOptions,
  virtualHosts: VirtualHost[],
): HttpConnectionManager {
  const httpFilters: HttpFilter[] = [];
  if (options.extAuthz !== undefined) {
    httpFilters.push({
      name: 'envoy.filters.http.ext_authz',
      typed_config: extAuthzFilter(direction, options.extAuthz),
    });
  }
  httpFilters.push({
    name: 'envoy.filters.http.router',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
  });
  return {
    '@type':
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: direction,
    codec_type: 'AUTO',
    route_config: {
      name: direction,
      // `http://service.zone-b:8080` carries a port in its Host; zones are matched by name only.
      ...(direction === 'outbound' ? { ignore_port_in_host_matching: true } : {}),
      virtual_hosts: virtualHosts,
    },
    http_filters: httpFilters,
  };
}

/** The ext_authz filter of one listener: the same facts and the same fail-closed rules on either transport. */
function extAuthzFilter(direction: ExtAuthzDirection, extAuthz: ExtAuthzOptions): ExtAuthz {
  const header = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
    transport_api_version: 'V3',
  } as const;
  const failClosed = {
    // Fail closed: no translator answer means no request, in both directions.
    failure_mode_allow: false,
    status_on_error: { code: 503 },
    // The translator signs (outbound) and verifies (inbound) a content digest of the body.
    with_request_body: {
      max_request_bytes: extAuthz.maxRequestBytes,
      allow_partial_message: false,
      // The digest is over the exact bytes: as a UTF-8 string, a binary body would arrive altered.
      pack_as_bytes: true,
    },
  };
  const timeout = durationOfMs(extAuthz.timeoutMs);
  if (transportOf(extAuthz) === 'grpc') {
    return {
      ...header,
      grpc_service: { envoy_grpc: { cluster_name: translatorClusterName }, timeout },
      ...failClosed,
      // Inbound, the translator checks the mTLS peer against the WIT's zone by `source.principal`
      // (the peer's URI SAN), which Envoy always sends; the PEM itself (`include_peer_certificate`)
      // would only add a URL-encoded certificate to every CheckRequest.
      include_peer_certificate: false,
    };
  }
  return {
    ...header,
    http_service: {
      server_uri: {
        uri: `http://127.0.0.1:${extAuthz.translatorPort}`,
        cluster: translatorClusterName,
        timeout,
      },
      // The direction is this listener's, fixed here: a client only controls what follows it.
      path_prefix: directionPathPrefix[direction],
      // The verified mTLS peer, substituted by Envoy; it replaces any client-sent header of that name.
      authorization_request: { headers_to_add: [{ key: peerHeader, value: peerHeaderValue }] },
      authorization_response: {
        allowed_upstream_headers: exactHeaders(headersFromTranslator),
        allowed_client_headers: exactHeaders(clientHeadersOnDeny),
      },
    },
    allowed_headers: exactHeaders(headersToTranslator),
    ...failClosed,
  };
}

function exactHeaders(names: readonly string[]): ListStringMatcher {
  return { patterns: names.map((name) => ({ exact: name })) };
}

function transportOf(extAuthz: ExtAuthzOptions): ExtAuthzTransport {
  return extAuthz.transport ?? 'grpc';
}

/**
 * The per-virtual-host ext_authz settings that tell the gRPC translator the direction. The HTTP
 * transport carries it in the path prefix instead, so it needs none.
 */
function directionConfig(
  options: SidecarBootstrapOptions,
  direction: ExtAuthzDirection,
): { typed_per_filter_config?: { 'envoy.filters.http.ext_authz': ExtAuthzPerRoute } } {
  if (options.extAuthz === undefined || transportOf(options.extAuthz) === 'http') return {};
  return {
    typed_per_filter_config: {
      'envoy.filters.http.ext_authz': {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute',
        check_settings: { context_extensions: { [directionContextKey]: direction } },
      },
    },
  };
}

function zoneCluster(options: SidecarBootstrapOptions, zone: OutboundZone): Cluster {
  const cluster = staticCluster(zoneClusterName(zone), zone.endpoint.host, zone.endpoint.port);
  const pinnedToZone: CertificateValidationContext = {
    // Only an SVID of this zone's trust domain is accepted, and the SPIFFE validator in the
    // shared secret checks it against this zone's bundle only (never a merged pool).
    match_typed_subject_alt_names: [
      { san_type: 'URI', matcher: { prefix: `spiffe://${zone.trustDomain}/` } },
    ],
  };
  return {
    ...cluster,
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        common_http_protocol_options: { max_connection_duration: maxConnectionDuration(options) },
        explicit_http_config: { http_protocol_options: {} },
      },
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        sni: zone.trustDomain,
        common_tls_context: {
          ...svidTlsContext(options),
          combined_validation_context: {
            default_validation_context: pinnedToZone,
            validation_context_sds_secret_config: sdsSecret(options, trustBundlesSecretName),
          },
        },
      },
    },
  };
}

function svidTlsContext(
  options: SidecarBootstrapOptions,
): Pick<CommonTlsContext, 'tls_params' | 'tls_certificate_sds_secret_configs'> {
  return {
    // TLS 1.3 only, set explicitly on both ends: Envoy's client default maximum is still 1.2.
    tls_params: { tls_minimum_protocol_version: 'TLSv1_3', tls_maximum_protocol_version: 'TLSv1_3' },
    tls_certificate_sds_secret_configs: [sdsSecret(options, svidSecretName)],
  };
}

function sdsSecret(options: SidecarBootstrapOptions, name: string): SdsSecretConfig {
  const source: PathConfigSource = {
    resource_api_version: 'V3',
    path_config_source: {
      path: join(options.secretsDirectory, secretFileName(name)),
      watched_directory: { path: options.secretsDirectory },
    },
  };
  return { name, sds_config: source };
}

function staticCluster(name: string, host: string, port: number): Cluster {
  return {
    name,
    type: isIP(host) === 0 ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: connectTimeout,
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }],
    },
  };
}

function socketAddress(address: string, port: number): SocketAddress {
  return { socket_address: { address, port_value: port } };
}

function maxConnectionDuration(options: SidecarBootstrapOptions): Duration {
  return durationOfMs(options.maxConnectionDurationMs ?? defaultMaxConnectionDurationMs);
}

function durationOfMs(milliseconds: number): Duration {
  return `${milliseconds / 1000}s`;
}

const hostSuffixPattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function checkOptions(options: SidecarBootstrapOptions): void {
  checkPort('adminPort', options.adminPort, true);
  checkPort('inbound.port', options.inbound.port, true);
  checkPort('inbound.appPort', options.inbound.appPort, false);
  if (options.node.id === '' || options.node.cluster === '') {
    throw new InvalidArgumentError('node.id and node.cluster must not be empty');
  }
  if (!options.secretsDirectory.startsWith('/')) {
    throw new InvalidArgumentError(`secretsDirectory must be absolute: ${options.secretsDirectory}`);
  }
  const duration = options.maxConnectionDurationMs;
  if (duration !== undefined && (!Number.isInteger(duration) || duration <= 0)) {
    throw new InvalidArgumentError(`maxConnectionDurationMs must be a positive integer: ${duration}`);
  }
  if (options.extAuthz !== undefined) {
    checkPort('extAuthz.translatorPort', options.extAuthz.translatorPort, false);
    if (!Number.isInteger(options.extAuthz.timeoutMs) || options.extAuthz.timeoutMs <= 0) {
      throw new InvalidArgumentError(
        `extAuthz.timeoutMs must be a positive integer: ${options.extAuthz.timeoutMs}`,
      );
    }
    if (!Number.isInteger(options.extAuthz.maxRequestBytes) || options.extAuthz.maxRequestBytes <= 0) {
      throw new InvalidArgumentError(
        `extAuthz.maxRequestBytes must be a positive integer: ${options.extAuthz.maxRequestBytes}`,
      );
    }
  }
  if (options.outbound === undefined) return;
  checkPort('outbound.port', options.outbound.port, true);
  const suffixes = new Set<string>();
  for (const zone of options.outbound.zones) {
    if (!hostSuffixPattern.test(zone.hostSuffix)) {
      throw new InvalidArgumentError(`outbound zone hostSuffix is not a DNS name: ${zone.hostSuffix}`);
    }
    if (suffixes.has(zone.hostSuffix)) {
      throw new InvalidArgumentError(`outbound zone hostSuffix appears twice: ${zone.hostSuffix}`);
    }
    suffixes.add(zone.hostSuffix);
    if (!isValidTrustDomain(zone.trustDomain)) {
      throw new InvalidArgumentError(
        `outbound zone ${zone.hostSuffix} has an invalid trust domain: ${zone.trustDomain}`,
      );
    }
    checkPort(`outbound zone ${zone.hostSuffix} endpoint port`, zone.endpoint.port, false);
  }
}

function checkPort(field: string, port: number, isZeroAllowed: boolean): void {
  const minimum = isZeroAllowed ? 0 : 1;
  if (!Number.isInteger(port) || port < minimum || port > 65535) {
    throw new InvalidArgumentError(`${field} must be a port number (${minimum}-65535): ${port}`);
  }
}
