import { z } from 'zod';
import { errorMessage } from '../errors/accord-error.js';
import { parseDuration } from '../time/duration.js';

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

/** Bounds of a duration field, themselves durations (`{ min: '1s' }`); both inclusive. */
export interface DurationBounds {
  min?: string;
  max?: string;
}

const durationExample = 'a duration string such as 30s, 5m or 1h30m';

function durationIn(unitNanoseconds: bigint, unitName: string, bounds: DurationBounds) {
  const min = parseDuration(bounds.min ?? '0s');
  const max = bounds.max === undefined ? undefined : parseDuration(bounds.max);
  return z.string({ error: `must be ${durationExample}` }).transform((text, context) => {
    let nanoseconds: bigint;
    try {
      nanoseconds = parseDuration(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: errorMessage(error) });
      return z.NEVER;
    }
    const problem =
      nanoseconds < 0n
        ? 'must not be negative'
        : nanoseconds < min
          ? `must be at least ${bounds.min ?? '0s'}`
          : max !== undefined && nanoseconds > max
            ? `must be at most ${bounds.max ?? ''}`
            : nanoseconds % unitNanoseconds !== 0n
              ? `must be a whole number of ${unitName}`
              : undefined;
    if (problem !== undefined) {
      context.addIssue({ code: 'custom', message: `${problem}, got ${text}` });
      return z.NEVER;
    }
    return Number(nanoseconds / unitNanoseconds);
  });
}

/**
 * A duration field of a config file, written the way Kubernetes writes them (`metav1.Duration`,
 * Go's `time.ParseDuration` syntax: `250ms`, `30s`, `1h30m`) and parsed into whole milliseconds,
 * so files read like Kubernetes objects while the code keeps units in its names. Negative values,
 * values outside `bounds` and values finer than a millisecond are refused, naming the field.
 * Give defaults as input (`.prefault('60s')`), so they read like the files.
 */
export function durationMs(bounds: DurationBounds = {}) {
  return durationIn(1_000_000n, 'milliseconds', bounds);
}

/** Like `durationMs`, in whole seconds (`1500ms` is refused): for lifetimes the code keeps in seconds. */
export function durationSeconds(bounds: DurationBounds = {}) {
  return durationIn(1_000_000_000n, 'seconds', bounds);
}

/** `T` with the fields named in `Names` renamed; other fields and every modifier kept. */
export type WithUnitNames<T, Names extends Record<string, string>> = {
  [K in keyof T as K extends keyof Names ? Names[K] : K]: T[K];
};

/**
 * Renames a parsed config object's duration fields to their code-side names, which carry the unit
 * (`resyncInterval` in the file, `resyncIntervalMs` in the code): `.transform(withUnitNames({...}))`
 * after the object's checks, which therefore name the fields as the file does.
 */
export function withUnitNames<const Names extends Record<string, string>>(names: Names) {
  return <T extends object>(value: T): WithUnitNames<T, Names> =>
    Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [Object.hasOwn(names, key) ? names[key] : key, entry]),
    ) as WithUnitNames<T, Names>;
}

/** Retry delays (capped exponential backoff with jitter, lib/time/backoff.ts). */
export const backoffSchema = z
  .object({
    /** First retry delay (before jitter). */
    initialDelay: durationMs({ min: '1ms' }).prefault('250ms'),
    /** Upper bound of the retry delay. */
    maxDelay: durationMs({ min: '1ms' }).prefault('30s'),
  })
  .strict()
  .refine((backoff) => backoff.maxDelay >= backoff.initialDelay, {
    path: ['maxDelay'],
    message: 'must be at least initialDelay',
  })
  .transform(withUnitNames({ initialDelay: 'initialDelayMs', maxDelay: 'maxDelayMs' }))
  .prefault({});

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
