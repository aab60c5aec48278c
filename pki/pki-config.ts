import { z } from 'zod';
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
 * Bootstrap tokens appear only as SHA-256 hashes, so the file never holds a usable secret.
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
    /** Also accept ServiceAccount tokens (cluster mode); off unless set. */
    kubernetesTokenReview: kubernetesTokenReviewSchema.optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict()
  .transform((config, context) => {
    if (hasCaStoreLocation(config)) return config;
    context.addIssue({ code: 'custom', path: ['storeDir'], message: 'is required unless caSecret is set' });
    return z.NEVER;
  });

/** Validated PKI configuration. */
export type PkiConfig = z.output<typeof pkiConfigSchema>;
