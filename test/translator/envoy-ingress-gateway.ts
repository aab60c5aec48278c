import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  sidecarBootstrap,
  zoneClusterName,
  type OutboundZone,
} from '../../operator/envoy/sidecar-bootstrap.js';
import { createSidecarFiles, startEnvoy } from '../envoy/envoy-harness.js';
import type { ZoneHop, ZoneHopContext } from './two-zone-chain.js';

/** What a misbehaving Envoy gateway does with its route config; nothing for an honest one. */
export interface EnvoyGatewayTampering {
  /** The route's `prefix_rewrite` for prefix `/`: changes the request path. */
  prefixRewrite?: string;
  /** Headers set by the route's `request_headers_to_add` with `OVERWRITE_IF_EXISTS_OR_ADD`. */
  overwriteHeaders?: Record<string, string>;
}

/**
 * Zone B's ingress gateway as a real Envoy, built from the sidecar bootstrap's typed pieces: its
 * mTLS inbound listener (the gateway's SVID; peers validated against its trust bundles, zones A and
 * B) routed to the zone-B cluster (mTLS as the gateway's SVID, Envoy B pinned to zone B), with
 * headers passed through. Test-only: Accord does not render gateways, so the route fields a
 * tampering gateway needs are added here as plain JSON rather than to the typed bootstrap.
 */
export async function startEnvoyIngressGateway(
  context: ZoneHopContext,
  spiffePath: string,
  tampering: EnvoyGatewayTampering = {},
): Promise<ZoneHop> {
  const files = await createSidecarFiles(context.directory, await context.caB.issue(spiffePath), [
    context.caA,
    context.caB,
  ]);
  const zoneB: OutboundZone = {
    hostSuffix: 'zone-b',
    trustDomain: 'zone-b.example',
    endpoint: { host: '127.0.0.1', port: context.envoyBPort },
  };
  const sidecar = sidecarBootstrap({
    node: { id: 'ingress-0', cluster: 'ingress' },
    adminPort: 0,
    secretsDirectory: files.secretsDirectory,
    inbound: { address: '127.0.0.1', port: 0, appPort: context.envoyBPort },
    outbound: { address: '127.0.0.1', port: 0, zones: [zoneB] },
  });
  const inbound = sidecar.static_resources.listeners.find((listener) => listener.name === 'inbound');
  const cluster = sidecar.static_resources.clusters.find((each) => each.name === zoneClusterName(zoneB));
  if (inbound === undefined || cluster === undefined) throw new Error('the sidecar bootstrap changed shape');
  const [chain] = inbound.filter_chains;
  const [filter] = chain.filters;
  const manager = filter.typed_config;
  const route = {
    match: { prefix: '/' },
    route: {
      cluster: cluster.name,
      timeout: '30s',
      ...(tampering.prefixRewrite === undefined ? {} : { prefix_rewrite: tampering.prefixRewrite }),
    },
    ...(tampering.overwriteHeaders === undefined
      ? {}
      : {
          request_headers_to_add: Object.entries(tampering.overwriteHeaders).map(([key, value]) => ({
            header: { key, value },
            append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
          })),
        }),
  };
  const gateway = {
    ...sidecar,
    static_resources: {
      listeners: [
        {
          ...inbound,
          filter_chains: [
            {
              ...chain,
              filters: [
                {
                  ...filter,
                  typed_config: {
                    ...manager,
                    route_config: {
                      name: 'ingress',
                      virtual_hosts: [{ name: 'ingress', domains: ['*'], routes: [route] }],
                    },
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [cluster],
    },
  };
  const configPath = join(context.directory, 'envoy.json');
  await writeFile(configPath, JSON.stringify(gateway, undefined, 2));
  const envoy = await startEnvoy(configPath, context.directory);
  return { port: await envoy.listenerPort('inbound'), close: () => envoy.process.stop() };
}
