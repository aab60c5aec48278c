import { z } from 'zod';

/**
 * Config fields several components share, so that one spelling, one default and one error message
 * serve every config file (docs/*.md describe them per component).
 */

/** `host:port` of a gRPC server. */
export const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8443');

/** A Kubernetes namespace name. */
export const namespaceName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name (DNS-1123 label)');

/**
 * How a zone component reaches the hub's contract repository and its own zone PKI, and how it
 * gets the SVID it authenticates with (a bootstrap token the PKI maps to its SPIFFE ID). Spread
 * into a component's schema; `startZoneIdentity` consumes it.
 */
export const zoneClientFields = {
  /** The contract repository, host:port. */
  repositoryAddress: hostPort,
  /** PEM roots the repository's server certificate chains to. */
  repositoryCaFile: z.string().min(1),
  /** SPIFFE ID (or just `spiffe://<trust domain>`) the repository must present; unchecked when empty. */
  repositoryServerId: z.string().default(''),
  /** This zone's PKI, host:port: the source of the component's SVID. */
  pkiAddress: hostPort,
  /** PEM roots the PKI's server certificate chains to (this zone's root, distributed out of band). */
  pkiCaFile: z.string().min(1),
  /** File holding the bootstrap token the PKI maps to the component's SPIFFE ID. */
  bootstrapTokenFile: z.string().min(1),
};

/** Retry delays (capped exponential backoff with jitter, lib/time/backoff.ts). */
export const backoffSchema = z
  .object({
    /** First retry delay (before jitter). */
    initialDelayMs: z.number().int().min(1).default(250),
    /** Upper bound of the retry delay. */
    maxDelayMs: z.number().int().min(1).default(30_000),
  })
  .strict()
  .prefault({})
  .refine((backoff) => backoff.maxDelayMs >= backoff.initialDelayMs, {
    message: 'maxDelayMs must be at least initialDelayMs',
  });

/** The ops server (`/healthz`, `/readyz`, `/metrics`) on `defaultPort`; port 0 picks a free one. */
export function opsSchema(defaultPort: number) {
  return z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(defaultPort),
    })
    .strict()
    .prefault({});
}

/** Log level and format of a daemon. */
export const logSchema = z
  .object({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    format: z.enum(['json', 'text']).default('json'),
  })
  .strict()
  .prefault({});

/** The validated `zoneClientFields` of a component's config. */
export type ZoneClientConfig = z.output<z.ZodObject<typeof zoneClientFields>>;
