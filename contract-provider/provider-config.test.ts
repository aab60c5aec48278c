import { parseConfig } from '../lib/config/load-config.js';
import { providerConfigSchema } from './provider-config.js';

const withoutOutput = {
  repositoryAddress: '127.0.0.1:8443',
  repositoryCaFile: 'hub-ca.pem',
  pkiAddress: '127.0.0.1:8444',
  pkiCaFile: 'zone-a-ca.pem',
  bootstrapTokenFile: 'token',
};
const required = { ...withoutOutput, outputDirectory: 'bundles' };
const inCluster = {
  ...withoutOutput,
  kubernetesSecrets: { namespaces: ['shop', 'payments'] },
  memory: { configMap: { namespace: 'accord-system', name: 'accord-contract-provider-memory' } },
};

describe('providerConfigSchema', () => {
  it('fills every default when only the required fields are given', () => {
    const config = parseConfig(providerConfigSchema, required);
    expect(config.resyncIntervalMs).toBe(300_000);
    expect(config.backoff).toEqual({ initialDelayMs: 250, maxDelayMs: 30_000 });
    expect(config.ops).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(config.memory).toEqual({});
  });

  it('reads the resync interval and the backoff as durations, in milliseconds for the code', () => {
    const config = parseConfig(providerConfigSchema, {
      ...required,
      resyncInterval: '10m',
      backoff: { initialDelay: '1s', maxDelay: '2m' },
    });
    expect(config.resyncIntervalMs).toBe(600_000);
    expect(config.backoff).toEqual({ initialDelayMs: 1000, maxDelayMs: 120_000 });
  });

  it.each([
    ['an address without a port', { repositoryAddress: 'localhost' }, 'repositoryAddress'],
    [
      'a backoff cap below the initial delay',
      { backoff: { initialDelay: '500ms', maxDelay: '100ms' } },
      'backoff.maxDelay: must be at least initialDelay',
    ],
    ['an unknown field', { outputDir: 'x' }, 'outputDir'],
    ['a resync interval under a second', { resyncInterval: '999ms' }, 'resyncInterval: must be at least 1s'],
    [
      'a resync interval without a unit',
      { resyncInterval: '300' },
      'resyncInterval: "300" is not a duration',
    ],
  ])('rejects %s, naming the field', (_, override, field) => {
    expect(() => parseConfig(providerConfigSchema, { ...required, ...override })).toThrow(field);
  });

  it('accepts Kubernetes Secrets as the output instead of a directory', () => {
    const config = parseConfig(providerConfigSchema, inCluster);
    expect(config.kubernetesSecrets).toEqual({ namespaces: ['shop', 'payments'] });
    expect(config.outputDirectory).toBeUndefined();
    expect(config.memory.configMap).toEqual({
      namespace: 'accord-system',
      name: 'accord-contract-provider-memory',
    });
  });

  it.each([
    ['no output at all', withoutOutput, 'outputDirectory: set one output'],
    [
      'cluster mode without a memory',
      { ...withoutOutput, kubernetesSecrets: { namespaces: ['shop'] } },
      'memory.configMap: cluster mode needs memory.configMap ({namespace, name}): where the provider remembers revoked and deleted contracts',
    ],
    [
      'cluster mode remembering in a file',
      { ...inCluster, memory: { ...inCluster.memory, file: 'memory.json' } },
      'memory.file: cluster mode remembers in memory.configMap, not in a file',
    ],
    [
      'local mode remembering in a ConfigMap',
      { ...required, memory: inCluster.memory },
      'memory.configMap: local mode remembers in a file: set memory.file or nothing',
    ],
    [
      'both outputs',
      { ...inCluster, outputDirectory: 'bundles' },
      'kubernetesSecrets: outputDirectory and kubernetesSecrets exclude each other',
    ],
    [
      'no namespace',
      { ...withoutOutput, kubernetesSecrets: { namespaces: [] } },
      'kubernetesSecrets.namespaces',
    ],
    [
      'a namespace that is not a DNS-1123 label',
      { ...withoutOutput, kubernetesSecrets: { namespaces: ['Shop'] } },
      'kubernetesSecrets.namespaces.0: must be a namespace name',
    ],
    [
      'a repeated namespace',
      { ...withoutOutput, kubernetesSecrets: { namespaces: ['shop', 'shop'] } },
      'kubernetesSecrets.namespaces: must not repeat a namespace',
    ],
    [
      'an unknown Secret output field',
      { ...withoutOutput, kubernetesSecrets: { namespaces: ['shop'], namespace: 'shop' } },
      'kubernetesSecrets',
    ],
    [
      'an owner without a uid',
      {
        ...withoutOutput,
        kubernetesSecrets: {
          namespaces: ['shop'],
          owner: { apiVersion: 'v1', kind: 'Namespace', name: 'shop' },
        },
      },
      'kubernetesSecrets.owner.uid',
    ],
  ])('rejects %s with a message naming the field', (_, config, message) => {
    expect(() => parseConfig(providerConfigSchema, config)).toThrow(message);
  });
});
