import type { SidecarBootstrapOptions } from '../../operator/envoy/sidecar-bootstrap.js';

/** A rendered variant of the sidecar bootstrap, named after its golden file. */
export interface BootstrapVariant {
  name: string;
  options: SidecarBootstrapOptions;
}

const extAuthz = { translatorPort: 15010, timeoutMs: 500, maxRequestBytes: 65536 };
const httpExtAuthz = { ...extAuthz, transport: 'http' } as const;
const zoneB = {
  hostSuffix: 'zone-b',
  trustDomain: 'zone-b.example',
  endpoint: { host: '127.0.0.1', port: 16443 },
};
const zoneC = {
  hostSuffix: 'zone-c.svc',
  trustDomain: 'zone-c.example.org',
  endpoint: { host: 'ingress.zone-c.example.org', port: 443 },
};

/**
 * Every bootstrap shape the operator can render: inbound only or inbound plus outbound, with and
 * without ext_authz (over gRPC or HTTP), one or several remote zones (one reached by DNS name). The golden tests and
 * `envoy --mode validate` run over the same list, so a new variant is covered by both.
 *
 * @param secretsDirectory where the SDS files are (a fixed path for goldens, a temporary one for Envoy)
 * @param adminPort fixed for goldens, 0 for a live Envoy
 */
export function bootstrapVariants(secretsDirectory: string, adminPort = 15000): BootstrapVariant[] {
  const base = {
    node: { id: 'web-7d4b9-abcde', cluster: 'web' },
    adminPort,
    secretsDirectory,
    inbound: { address: '127.0.0.1', port: 15006, appPort: 8080 },
  };
  return [
    { name: 'inbound-only', options: base },
    { name: 'inbound-ext-authz', options: { ...base, extAuthz } },
    {
      name: 'inbound-outbound',
      options: { ...base, outbound: { address: '127.0.0.1', port: 15001, zones: [zoneB] } },
    },
    {
      name: 'inbound-outbound-ext-authz-two-zones',
      options: {
        ...base,
        extAuthz,
        outbound: { address: '127.0.0.1', port: 15001, zones: [zoneB, zoneC] },
      },
    },
    { name: 'inbound-http-ext-authz', options: { ...base, extAuthz: httpExtAuthz } },
    {
      name: 'inbound-outbound-http-ext-authz-two-zones',
      options: {
        ...base,
        extAuthz: httpExtAuthz,
        outbound: { address: '127.0.0.1', port: 15001, zones: [zoneB, zoneC] },
      },
    },
  ];
}
