import { stringify as stringifyYaml } from 'yaml';
import { configApiVersion } from '../../lib/config/load-config.js';
import { renderEnvoyYaml } from '../../lib/sidecar/render-envoy-yaml.js';
import { type ExtAuthzTransport, type OutboundZone, sidecarBootstrap } from '../envoy/sidecar-bootstrap.js';
import {
  pkiToken,
  sdsMountPath,
  sidecarLocalPorts,
  sidecarConfigKeys,
  sidecarConfigMountPath,
  trustBundlesMountPath,
} from '../injection/inject-pod.js';
import type { MeshWorkload } from './mesh-workload.js';
import { type WorkloadSecretFile, workloadSecretFiles } from '../injection/workload-secret-files.js';

/**
 * Envoy's ext_authz deadline: an outbound Basic check pays one scrypt (~50 ms) when the credential
 * is not remembered; a second leaves room for a loaded node. The translator is on loopback.
 */
const extAuthzTimeoutMs = 1000;
/** Largest body Envoy buffers for the translator (the content digest covers the whole body). */
const extAuthzMaxRequestBytes = 1024 * 1024;
/**
 * How the injected Envoy asks its translator, rendered into both configs so they always agree:
 * Envoy's HTTP ext_authz service, because every proxied request pays two ext_authz calls and the
 * gRPC transport costs several times the decision itself in CPU per call (the header comment of
 * lib/ext-authz/http-ext-authz-contract.ts; measurements in docs/translator.md).
 */
const extAuthzTransport: ExtAuthzTransport = 'http';

/** A remote zone this zone has an Active TrustContract with, and where its inbound side answers. */
export interface PartnerZone {
  trustDomain: string;
  /** The DNS suffix the app uses for the zone's services (`http://orders.<hostSuffix>/`). */
  hostSuffix: string;
  /** The zone's ingress (or a sidecar's inbound listener) that outbound calls go to. */
  endpoint: { host: string; port: number };
}

/** What the sidecar config depends on besides the workload: the zone and the injection settings. */
export interface SidecarConfigSettings {
  zoneTrustDomain: string;
  /** The zone PKI, host:port as pods reach it; the translator gets its SVID and WIT there. */
  pkiAddress: string;
  /**
   * The zone's current roots (PEM), read at every render: the operator's own SVID reports them, so
   * a rotated root reaches the ConfigMap at the next reconcile.
   */
  zoneRootsPem: () => string;
  envoy: { inboundPort: number; outboundPort: number };
}

/** The data of ConfigMap `accord-sidecar-<workload>`, key by key. */
export type SidecarConfigData = Record<string, string>;

/**
 * Renders the sidecar ConfigMap's data of a MeshWorkload: Envoy's bootstrap (operator/envoy's
 * typed builders) and the translator's `TranslatorConfig`, whose file paths are the ones the
 * injected pod mounts (inject-pod.ts, workload-secret-files.ts). Pure and deterministic: equal input
 * gives byte-equal output, which is what lets the reconcile write only on change.
 *
 * The outbound side (Envoy's outbound listener and the translator's `outbound`) exists only when
 * the workload calls out (`spec.outbound.type` not `none`) and there is at least one partner zone
 * to call.
 */
export function renderSidecarConfig(
  workload: MeshWorkload,
  partners: readonly PartnerZone[],
  settings: SidecarConfigSettings,
): SidecarConfigData {
  const callsOut = workload.outbound.type !== 'none' && partners.length > 0;
  const zones: OutboundZone[] = [...partners]
    .sort((a, b) => (a.hostSuffix < b.hostSuffix ? -1 : a.hostSuffix > b.hostSuffix ? 1 : 0))
    .map((partner) => ({
      hostSuffix: partner.hostSuffix,
      trustDomain: partner.trustDomain,
      endpoint: partner.endpoint,
    }));
  const bootstrap = sidecarBootstrap({
    // Overridden per pod by --service-node (inject-pod.ts).
    node: { id: `${workload.name}.${workload.namespace}`, cluster: workload.name },
    adminPort: sidecarLocalPorts.envoyAdmin,
    secretsDirectory: sdsMountPath,
    inbound: { address: '0.0.0.0', port: settings.envoy.inboundPort, appPort: workload.port },
    ...(callsOut ? { outbound: { address: '127.0.0.1', port: settings.envoy.outboundPort, zones } } : {}),
    extAuthz: {
      transport: extAuthzTransport,
      translatorPort: sidecarLocalPorts.translator,
      timeoutMs: extAuthzTimeoutMs,
      maxRequestBytes: extAuthzMaxRequestBytes,
    },
  });
  return {
    [sidecarConfigKeys.envoyBootstrap]: renderEnvoyYaml(bootstrap),
    [sidecarConfigKeys.translatorConfig]: stringifyYaml(
      translatorConfig(workload, callsOut ? zones : [], settings),
      { lineWidth: 0 },
    ),
    [sidecarConfigKeys.zoneRoots]: settings.zoneRootsPem(),
  };
}

function translatorConfig(
  workload: MeshWorkload,
  zones: readonly OutboundZone[],
  settings: SidecarConfigSettings,
): Record<string, unknown> {
  const files = workloadSecretFiles(workload);
  const pathOf = (purpose: WorkloadSecretFile['purpose']): string => {
    const file = files.find((candidate) => candidate.purpose === purpose);
    if (file === undefined) throw new Error(`no ${purpose} Secret for ${workload.name}`);
    return file.path;
  };
  const { inbound, outbound } = workload;
  return {
    apiVersion: configApiVersion,
    kind: 'TranslatorConfig',
    trustDomain: settings.zoneTrustDomain,
    listen: { host: '127.0.0.1', port: sidecarLocalPorts.translator, protocol: extAuthzTransport },
    ops: { host: '0.0.0.0', port: sidecarLocalPorts.translatorOps },
    bundleDirectory: trustBundlesMountPath,
    envoySecretsDirectory: sdsMountPath,
    inbound: {
      // Partners call it by its name (`orders.<suffix>`) or name and namespace (`orders.shop.<suffix>`).
      services: [workload.name, `${workload.name}.${workload.namespace}`],
      ...(inbound.type === 'none'
        ? { identityOnly: true }
        : { credentialsFile: pathOf('inboundCredentials') }),
      ...(inbound.type === 'oidc'
        ? {
            tokenIssuer: {
              issuer: inbound.issuer,
              audience: inbound.audience,
              signingKeyFile: pathOf('signingKey'),
              keyId: inbound.keyId,
              ...(inbound.ttlSeconds === undefined ? {} : { ttl: `${String(inbound.ttlSeconds)}s` }),
            },
          }
        : {}),
    },
    ...(zones.length === 0 || outbound.type === 'none'
      ? {}
      : {
          outbound: {
            ...(outbound.type === 'basic' ? { basicUsersFile: pathOf('outboundUsers') } : {}),
            // A remote translator accepts its zone's SPIFFE ID as audience by default.
            zones: zones.map((zone) => ({
              hostSuffix: zone.hostSuffix,
              audience: `spiffe://${zone.trustDomain}`,
            })),
            ...(outbound.type === 'oidc'
              ? {
                  oidc: {
                    issuer: outbound.issuer,
                    audience: outbound.audience,
                    ...(outbound.jwksUri === undefined ? {} : { jwksUri: outbound.jwksUri }),
                    ...(outbound.userClaim === undefined ? {} : { userClaim: outbound.userClaim }),
                  },
                }
              : {}),
          },
        }),
    workloadIdentity: {
      pkiAddress: settings.pkiAddress,
      // The zone's roots, rendered into this ConfigMap: the PKI's server certificate chains to them.
      pkiCaFile: `${sidecarConfigMountPath}/${sidecarConfigKeys.zoneRoots}`,
      serviceAccountTokenFile: pkiToken.path,
      witTtl: '0s',
    },
  };
}
