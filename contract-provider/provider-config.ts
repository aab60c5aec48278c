import { z } from 'zod';

const address = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8443');

/**
 * The provider's configuration: the single source of types, defaults and validation
 * (defaults < `kind: ContractProviderConfig` file < flags). Paths point at secrets; the secrets
 * themselves never appear in config.
 */
export const providerConfigSchema = z
  .object({
    /** The contract repository, host:port. */
    repositoryAddress: address,
    /** PEM roots the repository's server certificate chains to. */
    repositoryCaFile: z.string().min(1),
    /** SPIFFE ID (or just `spiffe://<trust domain>`) the repository must present; unchecked when empty. */
    repositoryServerId: z.string().default(''),
    /** This zone's PKI, host:port: the source of the provider's SVID and of the zone's own roots. */
    pkiAddress: address,
    /** PEM roots the PKI's server certificate chains to (this zone's root, distributed out of band). */
    pkiCaFile: z.string().min(1),
    /** File holding the bootstrap token the PKI maps to the provider's SPIFFE ID (local mode). */
    bootstrapTokenFile: z.string().min(1),
    /** Directory the bundles are written to (one PEM and one SPIFFE bundle per trusted zone + bundle-map.json). */
    outputDirectory: z.string().min(1),
    /** How often to reopen Watch from a snapshot and re-check the files. */
    resyncIntervalMs: z.number().int().min(1000).default(300_000),
    backoff: z
      .object({
        /** First reconnect delay (before jitter). */
        initialDelayMs: z.number().int().min(1).default(250),
        /** Upper bound of the reconnect delay. */
        maxDelayMs: z.number().int().min(1).default(30_000),
      })
      .prefault({})
      .refine((backoff) => backoff.maxDelayMs >= backoff.initialDelayMs, {
        message: 'maxDelayMs must be at least initialDelayMs',
      }),
    ops: z
      .object({
        host: z.string().default('127.0.0.1'),
        /** /healthz, /readyz and /metrics; 0 picks a free port. */
        port: z.number().int().min(0).max(65535).default(9092),
      })
      .prefault({}),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
        format: z.enum(['json', 'text']).default('json'),
      })
      .prefault({}),
  })
  .strict();

/** The validated provider configuration. */
export type ProviderConfig = z.output<typeof providerConfigSchema>;

/** The `kind` of the provider's config file. */
export const providerConfigKind = 'ContractProviderConfig';
