import { parse as parseYaml } from 'yaml';
import { configFileFields, parseConfig } from '../../lib/config/load-config.js';
import { directionPathPrefix, type ExtAuthzDirection } from '../../lib/ext-authz/http-ext-authz-contract.js';
import { translatorConfigKind, translatorConfigSchema } from '../../translator/translator-config.js';
import type { Bootstrap } from '../../lib/sidecar/envoy-config-types.js';
import {
  injectPod,
  sidecarLocalPorts,
  type InjectionSettings,
  type PodJson,
} from '../../operator/injection/inject-pod.js';
import type { MeshWorkload } from '../../operator/mesh-workload/mesh-workload.js';
import { ordersApiWorkload as base } from '../support/test-mesh-workload.js';
import {
  type PartnerZone,
  renderSidecarConfig,
  type SidecarConfigSettings,
} from '../../operator/mesh-workload/sidecar-config.js';

/** Stands for the zone's roots: the renderer copies them verbatim. */
const zoneRootsPem = '-----BEGIN CERTIFICATE-----\nzone-a\n-----END CERTIFICATE-----\n';

const settings: SidecarConfigSettings = {
  zoneTrustDomain: 'zone-a.example',
  pkiAddress: 'accord-pki.accord-system.svc:8443',
  zoneRootsPem: () => zoneRootsPem,
  envoy: { inboundPort: 15006, outboundPort: 15001 },
};

const zoneB: PartnerZone = {
  trustDomain: 'zone-b.example',
  hostSuffix: 'zone-b',
  endpoint: { host: 'ingress.zone-b.example', port: 443 },
};
const zoneC: PartnerZone = {
  trustDomain: 'zone-c.example',
  hostSuffix: 'zone-c',
  endpoint: { host: 'ingress.zone-c.example', port: 443 },
};

const basic: MeshWorkload = {
  ...base,
  inbound: { type: 'basic', usersSecretName: 'orders-in' },
  outbound: { type: 'basic', usersSecretName: 'orders-out' },
};
const oidc: MeshWorkload = {
  ...base,
  inbound: {
    type: 'oidc',
    issuer: 'https://login.shop.example/realms/internal',
    audience: 'orders',
    signingKeySecretName: 'issuer-key',
    keyId: 'k1',
    ttlSeconds: 120,
    mappingsSecretName: 'orders-subjects',
  },
  outbound: {
    type: 'oidc',
    issuer: 'https://login.shop.example/realms/internal',
    audience: 'accord-outbound',
    jwksUri: 'https://login.shop.example/realms/internal/certs',
  },
};

/** The translator's own loader: apiVersion/kind check, then its schema with defaults. */
function loadTranslatorConfig(yaml: string) {
  return parseConfig(translatorConfigSchema, configFileFields(yaml, 'translator.yaml', translatorConfigKind));
}

function envoyBootstrap(yaml: string): Bootstrap {
  return parseYaml(yaml) as Bootstrap;
}

describe('renderSidecarConfig', () => {
  it('renders identity-only: no outbound side, no credential files, the workload identity from the PKI', () => {
    const data = renderSidecarConfig(base, [zoneB], settings);
    expect(Object.keys(data).sort()).toEqual(['envoy.yaml', 'translator.yaml', 'zone-roots.pem']);
    expect(data['zone-roots.pem']).toBe(zoneRootsPem);
    const config = loadTranslatorConfig(data['translator.yaml'] ?? '');
    expect(config).toMatchObject({
      trustDomain: 'zone-a.example',
      listen: { host: '127.0.0.1', port: 15081, protocol: 'http' },
      // The port of the translator's startup probe, on the pod address the kubelet reaches.
      ops: { host: '0.0.0.0', port: sidecarLocalPorts.translatorOps },
      bundleDirectory: '/var/run/accord/bundles',
      envoySecretsDirectory: '/var/run/accord/sds',
      workloadIdentity: {
        pkiAddress: 'accord-pki.accord-system.svc:8443',
        pkiCaFile: '/etc/accord/sidecar/zone-roots.pem',
        serviceAccountTokenFile: '/var/run/accord/pki-token/token',
        witTtlSeconds: 0,
      },
    });
    expect(config.outbound).toBeUndefined();
    expect(config.inbound.credentialsFile).toBeUndefined();
    expect(config.inbound.identityOnly).toBe(true);
    const bootstrap = envoyBootstrap(data['envoy.yaml'] ?? '');
    expect(bootstrap.static_resources.listeners.map((listener) => listener.name)).toEqual(['inbound']);
  });

  it('renders basic both ways with the files the injected pod mounts', () => {
    const data = renderSidecarConfig(basic, [zoneC, zoneB], settings);
    const config = loadTranslatorConfig(data['translator.yaml'] ?? '');
    expect(config.inbound.credentialsFile).toBe('/var/run/accord/inbound-credentials/credentials.yaml');
    expect(config.outbound).toMatchObject({
      basicUsersFile: '/var/run/accord/outbound-users/users.yaml',
      zones: [
        { hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' },
        { hostSuffix: 'zone-c', audience: 'spiffe://zone-c.example' },
      ],
    });
    // Every file the translator is pointed at is mounted into its container.
    const injectionSettings: InjectionSettings = {
      version: '2',
      accordNamespace: 'accord-system',
      envoy: { image: 'envoy', inboundPort: 15006, outboundPort: 15001 },
      translator: { image: 'accord' },
    };
    const pod: PodJson = {
      metadata: { labels: { app: 'orders-api' } },
      spec: { containers: [{ name: 'app' }] },
    };
    const patch = injectPod(pod, 'shop', [basic], injectionSettings).patch;
    const sidecars = patch.find((operation) => operation.path === '/spec/initContainers')?.value as {
      name: string;
      volumeMounts: { mountPath: string }[];
    }[];
    const translator = sidecars.find((container) => container.name === 'accord-translator');
    if (translator === undefined) throw new Error('no translator sidecar');
    const mounted = translator.volumeMounts.map((mount) => mount.mountPath);
    for (const file of [config.inbound.credentialsFile, config.outbound?.basicUsersFile]) {
      expect(mounted.some((path) => file?.startsWith(`${path}/`))).toBe(true);
    }

    const bootstrap = envoyBootstrap(data['envoy.yaml'] ?? '');
    expect(bootstrap.static_resources.listeners.map((listener) => listener.name)).toEqual([
      'inbound',
      'outbound',
    ]);
    const clusters = bootstrap.static_resources.clusters.map((cluster) => cluster.name);
    expect(clusters).toEqual(
      expect.arrayContaining(['local_app', 'zone_zone-b', 'zone_zone-c', 'accord_translator']),
    );
    expect(JSON.stringify(bootstrap)).toContain('"port_value":8080');
  });

  it('renders oidc: the token issuer with the signing key file, and bearer tokens only outbound', () => {
    const data = renderSidecarConfig(oidc, [zoneB], settings);
    const config = loadTranslatorConfig(data['translator.yaml'] ?? '');
    expect(config.inbound).toMatchObject({
      credentialsFile: '/var/run/accord/inbound-credentials/credentials.yaml',
      tokenIssuer: {
        issuer: 'https://login.shop.example/realms/internal',
        audience: 'orders',
        signingKeyFile: '/var/run/accord/inbound-signing-key/signing-key.pem',
        keyId: 'k1',
        ttlSeconds: 120,
      },
    });
    expect(config.outbound).toMatchObject({
      oidc: { jwksUri: 'https://login.shop.example/realms/internal/certs', userClaim: 'sub' },
    });
    expect(config.outbound?.basicUsersFile).toBeUndefined();
    expect(Object.keys(data).sort()).toEqual(['envoy.yaml', 'translator.yaml', 'zone-roots.pem']);
  });

  it('leaves jwksUri to discovery when the spec names none', () => {
    const discovered: MeshWorkload['outbound'] = {
      type: 'oidc',
      issuer: 'https://login.shop.example/realms/internal',
      audience: 'accord-outbound',
    };
    const data = renderSidecarConfig({ ...oidc, outbound: discovered }, [zoneB], settings);
    const config = loadTranslatorConfig(data['translator.yaml'] ?? '');
    expect(config.outbound?.oidc).toEqual({
      issuer: 'https://login.shop.example/realms/internal',
      audience: 'accord-outbound',
      userClaim: 'sub',
    });
  });

  it('points Envoy at the translator over the HTTP ext_authz transport the translator serves', () => {
    for (const workload of [base, basic]) {
      const data = renderSidecarConfig(workload, [zoneB], settings);
      const { listen } = loadTranslatorConfig(data['translator.yaml'] ?? '');
      expect(listen.protocol).toBe('http');
      const bootstrap = envoyBootstrap(data['envoy.yaml'] ?? '');
      for (const listener of bootstrap.static_resources.listeners) {
        const filter = listener.filter_chains[0].filters[0].typed_config.http_filters.find(
          (candidate) => candidate.name === 'envoy.filters.http.ext_authz',
        );
        const config = filter?.typed_config;
        if (config === undefined || !('http_service' in config))
          throw new Error(`no HTTP ext_authz on ${listener.name}`);
        expect(config.http_service.server_uri.uri).toBe(`http://127.0.0.1:${listen.port}`);
        expect(config.http_service.path_prefix).toBe(directionPathPrefix[listener.name as ExtAuthzDirection]);
      }
      const translator = bootstrap.static_resources.clusters.find(
        (cluster) => cluster.name === 'accord_translator',
      );
      expect(
        translator?.load_assignment.endpoints[0].lb_endpoints[0]?.endpoint.address.socket_address.port_value,
      ).toBe(listen.port);
    }
  });

  it('leaves the outbound side out while there is no partner zone to call', () => {
    const data = renderSidecarConfig(basic, [], settings);
    expect(loadTranslatorConfig(data['translator.yaml'] ?? '').outbound).toBeUndefined();
    expect(envoyBootstrap(data['envoy.yaml'] ?? '').static_resources.listeners).toHaveLength(1);
  });

  it('is deterministic whatever the order of the partner zones, and follows the port', () => {
    expect(renderSidecarConfig(basic, [zoneB, zoneC], settings)).toEqual(
      renderSidecarConfig(basic, [zoneC, zoneB], settings),
    );
    const moved = renderSidecarConfig({ ...basic, port: 9090 }, [zoneB], settings);
    expect(moved['envoy.yaml']).toContain('port_value: 9090');
    expect(moved['envoy.yaml']).not.toContain('port_value: 8080');
  });
});
