import { z } from 'zod';
import { isValidTrustDomain, spiffeIdOf } from '../lib/spiffe/spiffe-id.js';

/** The config file kind of the zone PKI. */
export const pkiConfigKind = 'PkiConfig';

const spiffePath = z.string().refine(
  (path) => {
    try {
      spiffeIdOf('example.org', path);
      return path !== '';
    } catch {
      return false;
    }
  },
  { message: 'must be a valid, non-empty SPIFFE ID path such as /accord/contract-provider' },
);

/**
 * The zone PKI's configuration: the single source of its types, defaults and validation.
 * Bootstrap tokens appear only as SHA-256 hashes, so the file never holds a usable secret.
 */
export const pkiConfigSchema = z.object({
  trustDomain: z.string().refine(isValidTrustDomain, { message: 'must be a valid SPIFFE trust domain name' }),
  listen: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8443),
    })
    .prefault({}),
  ops: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(9090),
    })
    .prefault({}),
  storeDir: z.string().min(1),
  svidTtlSeconds: z.number().int().positive().default(86_400),
  svidMaxTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(7 * 86_400),
  witTtlSeconds: z.number().int().positive().default(300),
  witMaxTtlSeconds: z.number().int().positive().default(3600),
  rootTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(365 * 86_400),
  clockSkewSeconds: z.number().int().nonnegative().default(60),
  bundleRefreshHintSeconds: z.number().int().positive().default(300),
  /** How often the CA state is re-read so a rotation by `accord-pki rotate` takes effect. */
  storeReloadIntervalSeconds: z.number().int().positive().default(10),
  bootstrapTokens: z
    .array(
      z.object({
        tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the lower-case hex SHA-256 of the token'),
        spiffePath,
      }),
    )
    .default([]),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** Validated PKI configuration. */
export type PkiConfig = z.output<typeof pkiConfigSchema>;
