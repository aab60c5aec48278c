import { parseConfig } from '../lib/config/load-config.js';
import { providerConfigSchema } from './provider-config.js';

const required = {
  repositoryAddress: '127.0.0.1:8443',
  repositoryCaFile: 'hub-ca.pem',
  pkiAddress: '127.0.0.1:8444',
  pkiCaFile: 'zone-a-ca.pem',
  bootstrapTokenFile: 'token',
  outputDirectory: 'bundles',
};

describe('providerConfigSchema', () => {
  it('fills every default when only the required fields are given', () => {
    const config = parseConfig(providerConfigSchema, required);
    expect(config.resyncIntervalMs).toBe(300_000);
    expect(config.backoff).toEqual({ initialDelayMs: 250, maxDelayMs: 30_000 });
    expect(config.ops).toEqual({ host: '127.0.0.1', port: 9092 });
  });

  it.each([
    ['an address without a port', { repositoryAddress: 'localhost' }, 'repositoryAddress'],
    [
      'a backoff cap below the initial delay',
      { backoff: { initialDelayMs: 500, maxDelayMs: 100 } },
      'backoff',
    ],
    ['an unknown field', { outputDir: 'x' }, 'outputDir'],
    ['a resync interval under a second', { resyncIntervalMs: 10 }, 'resyncIntervalMs'],
  ])('rejects %s, naming the field', (_, override, field) => {
    expect(() => parseConfig(providerConfigSchema, { ...required, ...override })).toThrow(field);
  });
});
