import { z } from 'zod';
import { durationSeconds, withUnitNames } from '../lib/config/config-fields.js';
import { isDnsLabel } from '../lib/contract/dns-label.js';
import { isValidTrustDomain, spiffeIdOf } from '../lib/spiffe/spiffe-id.js';
import { defaultPkiTokenAudience } from './kube-token-authenticator.js';

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

/** Kubernetes object names are DNS subdomains: lower-case labels joined by dots, at most 253 characters. */
const dnsSubdomain = z
  .string()
  .max(253)
  .refine((name) => name.split('.').every(isDnsLabel), {
    message: 'must be a DNS subdomain name (lower-case letters, digits, "-" and ".")',
  });

/** Where the CA state lives in Kubernetes mode (see `KubeSecretCaStore`). */
const caSecretSchema = z
  .object({
    namespace: z
      .string()
      .refine(isDnsLabel, { message: 'must be a DNS label (a Kubernetes namespace name)' }),
    name: dnsSubdomain,
    /** Kubeconfig file for out-of-cluster runs and tests; in a pod the ServiceAccount is used. */
    kubeconfig: z.string().min(1).optional(),
  })
  .strict();

/**
 * Cluster mode: bearer tokens that match no bootstrap grant are Kubernetes ServiceAccount tokens,
 * checked by TokenReview (RBAC: `create tokenreviews`) and mapped to `/ns/<ns>/sa/<sa>`.
 */
const kubernetesTokenReviewSchema = z
  .object({
    /** The audience the tokens must be minted for (the projected volume's `audience`). */
    audience: z.string().min(1).default(defaultPkiTokenAudience),
    /** Kubeconfig file for out-of-cluster runs and tests; in a pod the ServiceAccount is used. */
    kubeconfig: z.string().min(1).optional(),
  })
  .strict();

/** The Kubernetes Secret holding the CA state, and how to reach its API server. */
export type CaSecretConfig = z.output<typeof caSecretSchema>;

/**
 * Where the CA state lives, as the type system should see it: in `storeDir` (file mode), or in
 * `caSecret`, where `storeDir` is optional and only receives `roots.pem`.
 */
export type CaStoreLocation =
  { storeDir: string; caSecret?: undefined } | { storeDir?: string; caSecret: CaSecretConfig };

/** The rule "storeDir unless caSecret" as a type guard, so `PkiConfig` carries it in its type. */
function hasCaStoreLocation<
  T extends { storeDir?: string | undefined; caSecret?: CaSecretConfig | undefined },
>(config: T): config is T & CaStoreLocation {
  return config.storeDir !== undefined || config.caSecret !== undefined;
}

/**
 * The zone PKI's configuration: the single source of its types, defaults and validation.
 * Bootstrap tokens appear only as paths of the files holding them (STYLE.md: paths to secrets,
 * never secrets).
 * Unknown fields are rejected: a misspelt `caSecret` must not silently fall back to files.
 */
export const pkiConfigSchema = z
  .object({
    trustDomain: z
      .string()
      .refine(isValidTrustDomain, { message: 'must be a valid SPIFFE trust domain name' }),
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
    /**
     * File mode: the directory of the CA state (private keys!) and of `roots.pem`. With `caSecret`
     * it is optional and only receives `roots.pem`, for clients on the same machine.
     */
    storeDir: z.string().min(1).optional(),
    /** Kubernetes mode: keep the CA state in this Secret instead of `storeDir`. */
    caSecret: caSecretSchema.optional(),
    /** Default X509-SVID lifetime. */
    svidTtl: durationSeconds({ min: '1s' }).prefault('24h'),
    /** Longest X509-SVID lifetime a caller may ask for. */
    svidMaxTtl: durationSeconds({ min: '1s' }).prefault('168h'),
    /** Default WIT lifetime. */
    witTtl: durationSeconds({ min: '1s' }).prefault('5m'),
    /** Longest WIT lifetime a caller may ask for. */
    witMaxTtl: durationSeconds({ min: '1s' }).prefault('1h'),
    /** Lifetime of a new root CA. */
    rootTtl: durationSeconds({ min: '1s' }).prefault('8760h'),
    /** Tolerated clock skew: certificates are backdated by it. Less than a third of `svidTtl`. */
    clockSkew: durationSeconds().prefault('1m'),
    /** Refresh hint of the zone's SPIFFE bundle. */
    bundleRefreshHint: durationSeconds({ min: '1s' }).prefault('5m'),
    /** How often the CA state is re-read so a rotation by `accord-pki rotate` takes effect. */
    storeReloadInterval: durationSeconds({ min: '1s' }).prefault('10s'),
    /**
     * Bootstrap tokens, each read from a file at start (a mounted Secret) and kept only as its
     * SHA-256, and the SPIFFE ID path it grants. Two grants may not share a token.
     */
    bootstrapTokens: z.array(z.object({ spiffePath, tokenFile: z.string().min(1) }).strict()).default([]),
    /** Also accept ServiceAccount tokens (cluster mode); off unless set. */
    kubernetesTokenReview: kubernetesTokenReviewSchema.optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict()
  .superRefine((config, context) => {
    // Peers up to clockSkew ahead see an SVID expire clockSkew early; holders renew it after 2/3
    // of its lifetime (lib/identity/renewal-schedule.ts), so it must stay valid to them until then.
    if (config.clockSkew * 3 >= config.svidTtl) {
      context.addIssue({
        code: 'custom',
        path: ['clockSkew'],
        message:
          `must be less than a third of svidTtl (clockSkew ${config.clockSkew}s, svidTtl ${config.svidTtl}s): ` +
          'SVIDs are renewed after 2/3 of svidTtl, and a peer whose clock runs clockSkew ahead rejects ' +
          'them clockSkew before they expire',
      });
    }
  })
  .transform(
    withUnitNames({
      svidTtl: 'svidTtlSeconds',
      svidMaxTtl: 'svidMaxTtlSeconds',
      witTtl: 'witTtlSeconds',
      witMaxTtl: 'witMaxTtlSeconds',
      rootTtl: 'rootTtlSeconds',
      clockSkew: 'clockSkewSeconds',
      bundleRefreshHint: 'bundleRefreshHintSeconds',
      storeReloadInterval: 'storeReloadIntervalSeconds',
    }),
  )
  .transform((config, context) => {
    if (hasCaStoreLocation(config)) return config;
    context.addIssue({ code: 'custom', path: ['storeDir'], message: 'is required unless caSecret is set' });
    return z.NEVER;
  });

/** Validated PKI configuration. */
export type PkiConfig = z.output<typeof pkiConfigSchema>;
