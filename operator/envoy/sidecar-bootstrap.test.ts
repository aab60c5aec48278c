import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootstrapVariants } from '../../test/envoy/sidecar-variants.js';
import { InvalidArgumentError } from '../../lib/errors/accord-error.js';
import { directionPathPrefix } from '../../lib/ext-authz/http-ext-authz-contract.js';
import { renderEnvoyYaml } from '../../lib/sidecar/render-envoy-yaml.js';
import { svidSecretFile, trustBundlesSecretFile } from '../../lib/sidecar/sds-secret-files.js';
import { sidecarBootstrap, type SidecarBootstrapOptions } from './sidecar-bootstrap.js';

// Golden files: `UPDATE_GOLDEN=1 npx jest operator/envoy` rewrites them; review the diff.
const goldenDirectory = join(dirname(fileURLToPath(import.meta.url)), '__golden__');
const isUpdatingGolden = process.env.UPDATE_GOLDEN === '1';

function expectGolden(name: string, rendered: string): void {
  const path = join(goldenDirectory, `${name}.yaml`);
  if (isUpdatingGolden) {
    mkdirSync(goldenDirectory, { recursive: true });
    writeFileSync(path, rendered);
  }
  expect(rendered).toBe(readFileSync(path, 'utf8'));
}

/** A stand-in PEM: the renderer only checks that it holds a certificate; Envoy is not involved here. */
function fakePem(label: string): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(label).toString('base64')}\n-----END CERTIFICATE-----\n`;
}

describe('sidecarBootstrap', () => {
  it.each(
    bootstrapVariants('/etc/accord/envoy/secrets').map((variant) => [variant.name, variant.options] as const),
  )('renders the %s variant as in its golden file', (name, options) => {
    expectGolden(`bootstrap-${name}`, renderEnvoyYaml(sidecarBootstrap(options)));
  });

  it('renders the same bytes for the same options', () => {
    const [variant] = bootstrapVariants('/secrets');
    if (variant === undefined) throw new Error('no variant');
    expect(renderEnvoyYaml(sidecarBootstrap(variant.options))).toBe(
      renderEnvoyYaml(sidecarBootstrap(variant.options)),
    );
  });

  it('requires client certificates on the inbound listener in every variant', () => {
    for (const { options } of bootstrapVariants('/secrets')) {
      const inbound = sidecarBootstrap(options).static_resources.listeners.find(
        (listener) => listener.name === 'inbound',
      );
      const tls = inbound?.filter_chains[0].transport_socket?.typed_config;
      expect(tls !== undefined && 'require_client_certificate' in tls && tls.require_client_certificate).toBe(
        true,
      );
    }
  });

  it('fails closed whenever ext_authz is on, over either transport', () => {
    const variants = bootstrapVariants('/secrets').filter(
      (candidate) => candidate.options.extAuthz !== undefined,
    );
    expect(new Set(variants.map((variant) => variant.options.extAuthz?.transport ?? 'grpc'))).toEqual(
      new Set(['grpc', 'http']),
    );
    for (const variant of variants) {
      const yaml = renderEnvoyYaml(sidecarBootstrap(variant.options));
      expect(yaml).toContain('failure_mode_allow: false');
      expect(yaml).not.toContain('failure_mode_allow: true');
      expect(yaml).toContain('code: 503');
    }
  });

  it('tells the HTTP translator the direction by the listener, never by context_extensions', () => {
    const variant = bootstrapVariants('/secrets').find(
      (candidate) =>
        candidate.options.extAuthz?.transport === 'http' && candidate.options.outbound !== undefined,
    );
    if (variant === undefined) throw new Error('no HTTP ext_authz variant with outbound');
    const bootstrap = sidecarBootstrap(variant.options);
    const prefixes = bootstrap.static_resources.listeners.map((listener) => {
      const manager = listener.filter_chains[0].filters[0].typed_config;
      const filter = manager.http_filters.find(
        (candidate) => candidate.name === 'envoy.filters.http.ext_authz',
      );
      const config = filter?.typed_config;
      return [
        listener.name,
        config !== undefined && 'http_service' in config ? config.http_service.path_prefix : '',
      ];
    });
    expect(prefixes).toEqual([
      ['inbound', directionPathPrefix.inbound],
      ['outbound', directionPathPrefix.outbound],
    ]);
    const yaml = renderEnvoyYaml(bootstrap);
    expect(yaml).not.toContain('context_extensions');
    expect(yaml).not.toContain('grpc_service');
    expect(yaml).not.toContain('http2_protocol_options');
    // The catch-all for unknown hosts still answers without asking the translator.
    expect(yaml).toContain('disabled: true');
  });

  const valid: SidecarBootstrapOptions = {
    node: { id: 'pod', cluster: 'workload' },
    adminPort: 0,
    secretsDirectory: '/secrets',
    inbound: { address: '127.0.0.1', port: 0, appPort: 8080 },
  };
  const zone = {
    hostSuffix: 'zone-b',
    trustDomain: 'zone-b.example',
    endpoint: { host: '127.0.0.1', port: 1 },
  };
  it.each<[string, SidecarBootstrapOptions]>([
    ['an app port of 0', { ...valid, inbound: { ...valid.inbound, appPort: 0 } }],
    ['an admin port above 65535', { ...valid, adminPort: 70000 }],
    ['a relative secrets directory', { ...valid, secretsDirectory: 'secrets' }],
    ['an empty node id', { ...valid, node: { id: '', cluster: 'workload' } }],
    ['a zero maximum connection duration', { ...valid, maxConnectionDurationMs: 0 }],
    [
      'a zero ext_authz timeout',
      { ...valid, extAuthz: { translatorPort: 1, timeoutMs: 0, maxRequestBytes: 1 } },
    ],
    [
      'two zones with the same host suffix',
      { ...valid, outbound: { address: '127.0.0.1', port: 0, zones: [zone, zone] } },
    ],
    [
      'a zone with an invalid trust domain',
      {
        ...valid,
        outbound: { address: '127.0.0.1', port: 0, zones: [{ ...zone, trustDomain: 'spiffe://x' }] },
      },
    ],
    [
      'a zone whose host suffix is no DNS name',
      { ...valid, outbound: { address: '127.0.0.1', port: 0, zones: [{ ...zone, hostSuffix: '*.zone-b' }] } },
    ],
  ])('rejects %s', (_, options) => {
    expect(() => sidecarBootstrap(options)).toThrow(InvalidArgumentError);
  });
});

describe('SDS secret files', () => {
  it('renders the SVID secret as in its golden file', () => {
    const file = svidSecretFile({
      certificateChainPath: '/etc/accord/svid/cert.pem',
      privateKeyPath: '/etc/accord/svid/key.pem',
    });
    expectGolden('secret-svid', renderEnvoyYaml(file));
  });

  it('renders one trust domain as in its golden file', () => {
    const file = trustBundlesSecretFile(new Map([['zone-a.example', fakePem('zone-a root')]]));
    expectGolden('secret-trust-bundles-one-zone', renderEnvoyYaml(file));
  });

  it('renders several trust domains, sorted, each with its own bundle, as in its golden file', () => {
    const file = trustBundlesSecretFile(
      new Map([
        ['zone-c.example.org', fakePem('zone-c root')],
        ['zone-a.example', fakePem('zone-a root') + fakePem('zone-a next root')],
        ['zone-b.example', fakePem('zone-b root')],
      ]),
    );
    expectGolden('secret-trust-bundles-three-zones', renderEnvoyYaml(file));
  });

  it.each<[string, Map<string, string>]>([
    ['no trust domain at all', new Map()],
    ['a bundle without a certificate', new Map([['zone-a.example', '']])],
    ['an invalid trust domain', new Map([['Zone A', fakePem('x')]])],
  ])('rejects %s', (_, bundles) => {
    expect(() => trustBundlesSecretFile(bundles)).toThrow(InvalidArgumentError);
  });

  it('rejects an SVID whose key is in another directory than its certificate', () => {
    expect(() =>
      svidSecretFile({ certificateChainPath: '/a/cert.pem', privateKeyPath: '/b/key.pem' }),
    ).toThrow(InvalidArgumentError);
  });
});
