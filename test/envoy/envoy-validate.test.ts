import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bootstrap } from '../../lib/sidecar/envoy-config-types.js';
import { renderEnvoyYaml } from '../../lib/sidecar/render-envoy-yaml.js';
import { sidecarBootstrap } from '../../operator/envoy/sidecar-bootstrap.js';
import { createSidecarFiles, createTestZoneCa, validateEnvoyConfig } from './envoy-harness.js';
import { bootstrapVariants } from './sidecar-variants.js';

// Every bootstrap variant the operator renders must be accepted by the real Envoy (1.40, from
// scripts/provision-envoy.sh), and a broken one must not, or the check proves nothing.
jest.setTimeout(120_000);

let directory: string;
let secretsDirectory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-envoy-validate-'));
  const zoneA = await createTestZoneCa('zone-a.example');
  const zoneB = await createTestZoneCa('zone-b.example');
  const files = await createSidecarFiles(directory, await zoneA.issue('/ns/app/sa/web'), [zoneA, zoneB]);
  secretsDirectory = files.secretsDirectory;
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function validate(name: string, yaml: string): Promise<{ isValid: boolean; output: string }> {
  const path = join(directory, `${name}.yaml`);
  await writeFile(path, yaml);
  return validateEnvoyConfig(path);
}

describe('envoy --mode validate', () => {
  it.each(bootstrapVariants('/placeholder').map((variant) => [variant.name] as const))(
    'accepts the %s bootstrap',
    async (name) => {
      const variant = bootstrapVariants(secretsDirectory, 0).find((candidate) => candidate.name === name);
      if (variant === undefined) throw new Error(`no variant ${name}`);
      const result = await validate(name, renderEnvoyYaml(sidecarBootstrap(variant.options)));
      expect(result.output).toContain('OK');
      expect(result.isValid).toBe(true);
    },
  );

  function fullVariant(): Bootstrap {
    const variant = bootstrapVariants(secretsDirectory, 0).find(
      (candidate) => candidate.options.extAuthz !== undefined,
    );
    if (variant === undefined) throw new Error('no ext_authz variant');
    return sidecarBootstrap(variant.options);
  }

  it('accepts workload and pod names that YAML 1.1 would read as booleans (no, y)', async () => {
    const variant = bootstrapVariants(secretsDirectory, 0).find(
      (candidate) => candidate.options.extAuthz !== undefined,
    );
    if (variant === undefined) throw new Error('no ext_authz variant');
    const bootstrap = sidecarBootstrap({ ...variant.options, node: { id: 'y', cluster: 'no' } });
    const result = await validate('boolean-like-names', renderEnvoyYaml(bootstrap));
    expect(result.output).toContain('OK');
    expect(result.isValid).toBe(true);
  });

  it('rejects a bootstrap with a misspelt field', async () => {
    const yaml = renderEnvoyYaml(fullVariant()).replace(
      'require_client_certificate:',
      'require_client_certificates:',
    );
    const result = await validate('broken-field', yaml);
    expect(result.isValid).toBe(false);
    expect(result.output).toContain('require_client_certificates');
  });

  it('rejects a misspelt field inside the HTTP ext_authz service, so its fields are checked too', async () => {
    const variant = bootstrapVariants(secretsDirectory, 0).find(
      (candidate) => candidate.options.extAuthz?.transport === 'http',
    );
    if (variant === undefined) throw new Error('no HTTP ext_authz variant');
    const yaml = renderEnvoyYaml(sidecarBootstrap(variant.options)).replace(
      'allowed_upstream_headers:',
      'allowed_upstream_header:',
    );
    const result = await validate('broken-http-service', yaml);
    expect(result.isValid).toBe(false);
    expect(result.output).toContain('allowed_upstream_header');
  });

  it('rejects a bootstrap whose route names a cluster that does not exist', async () => {
    const bootstrap = fullVariant();
    bootstrap.static_resources.clusters = bootstrap.static_resources.clusters.filter(
      (cluster) => cluster.name !== 'local_app',
    );
    const result = await validate('broken-cluster', renderEnvoyYaml(bootstrap));
    expect(result.isValid).toBe(false);
    expect(result.output).toContain('local_app');
  });
});
