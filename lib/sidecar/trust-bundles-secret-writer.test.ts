import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { SecretFile } from './envoy-config-types.js';
import { secretFileName, trustBundlesSecretName } from './sidecar-secret-names.js';
import { writeTrustBundlesSecret } from './trust-bundles-secret-writer.js';

function pem(label: string): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(label).toString('base64')}\n-----END CERTIFICATE-----\n`;
}

describe('writeTrustBundlesSecret', () => {
  let directory: string;
  let bundles: string;
  let secrets: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'accord-trust-secret-'));
    bundles = join(directory, 'bundles');
    secrets = join(directory, 'secrets');
    await Promise.all([mkdir(bundles), mkdir(secrets)]);
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function trustDomainsInSecret(): Promise<string[]> {
    const file = parseYaml(
      await readFile(join(secrets, secretFileName(trustBundlesSecretName)), 'utf8'),
    ) as SecretFile;
    const [secret] = file.resources;
    if (!('validation_context' in secret)) throw new Error('not a validation context');
    return (secret.validation_context.custom_validator_config?.typed_config.trust_domains ?? []).map(
      (trustDomain) => trustDomain.name,
    );
  }

  it('writes one trust domain per PEM file of the provider, ignoring its other files', async () => {
    await writeFile(join(bundles, 'zone-b.example.pem'), pem('b'));
    await writeFile(join(bundles, 'zone-a.example.pem'), pem('a'));
    await writeFile(join(bundles, 'zone-a.example.spiffe.json'), '{}');
    await writeFile(join(bundles, 'bundle-map.json'), '{}');
    await writeFile(join(bundles, '.zone-c.example.pem.123.tmp'), pem('c'));
    expect(await writeTrustBundlesSecret(bundles, secrets)).toBe(true);
    expect(await trustDomainsInSecret()).toEqual(['zone-a.example', 'zone-b.example']);
  });

  it('leaves the file alone while the bundles are unchanged, so Envoy does not reload', async () => {
    await writeFile(join(bundles, 'zone-a.example.pem'), pem('a'));
    expect(await writeTrustBundlesSecret(bundles, secrets)).toBe(true);
    expect(await writeTrustBundlesSecret(bundles, secrets)).toBe(false);
    await writeFile(join(bundles, 'zone-a.example.pem'), pem('a rotated'));
    expect(await writeTrustBundlesSecret(bundles, secrets)).toBe(true);
  });

  it('drops a zone whose bundle file the provider removed', async () => {
    await writeFile(join(bundles, 'zone-a.example.pem'), pem('a'));
    await writeFile(join(bundles, 'zone-b.example.pem'), pem('b'));
    await writeTrustBundlesSecret(bundles, secrets);
    await rm(join(bundles, 'zone-b.example.pem'));
    expect(await writeTrustBundlesSecret(bundles, secrets)).toBe(true);
    expect(await trustDomainsInSecret()).toEqual(['zone-a.example']);
  });
});
