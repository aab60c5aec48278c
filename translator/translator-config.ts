import { z } from 'zod';
import {
  durationMs,
  durationSeconds,
  hostPort,
  logSchema,
  opsSchema,
  withUnitNames,
} from '../lib/config/config-fields.js';
import { isValidTrustDomain } from '../lib/spiffe/spiffe-id.js';

/** Hosts the ext_authz server may bind: it speaks plaintext gRPC, so only Envoy in the same pod may reach it. */
const loopbackHosts = ['127.0.0.1', '::1', 'localhost'];

/** A service name as partners call it: one or more DNS labels (`orders`, `orders.shop`). */
const serviceNamePattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

const spiffeIdText = z.string().regex(/^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'must be a SPIFFE ID');

/** How the translator reaches its zone PKI, whichever credential gets its first SVID. */
const pkiFields = {
  pkiAddress: hostPort,
  pkiCaFile: z.string().min(1),
  /** Requested WIT lifetime; `0s` takes the PKI's default. */
  witTtl: durationSeconds().prefault('0s'),
};

/** The code-side name of `pkiFields`' duration. */
const pkiFieldUnits = withUnitNames({ witTtl: 'witTtlSeconds' });

/**
 * The translator's configuration (defaults < `kind: TranslatorConfig` file < flags): the single
 * source of types, defaults and validation. Paths point at secrets (the user file, the credential
 * mapping, the WIT key); the secrets themselves never appear in config.
 */
export const translatorConfigSchema = z
  .object({
    /** The zone's SPIFFE trust domain. */
    trustDomain: z.string().refine(isValidTrustDomain, 'must be a SPIFFE trust domain'),
    /** The ext_authz listener; loopback only (Envoy's `accord_translator` cluster). */
    listen: z
      .object({
        host: z
          .string()
          .default('127.0.0.1')
          .refine((host) => loopbackHosts.includes(host), 'must be a loopback address'),
        port: z.number().int().min(0).max(65_535).default(9191),
        /**
         * How Envoy asks: `grpc`, Envoy's `envoy.service.auth.v3.Authorization/Check`, or `http`,
         * Envoy's HTTP ext_authz service (lib/ext-authz/http-ext-authz-contract.ts), which costs a
         * fraction of the gRPC transport per request and is what the operator's sidecars use.
         */
        protocol: z.enum(['grpc', 'http']).default('grpc'),
      })
      .strict()
      .prefault({}),
    ops: opsSchema(9093),
    log: logSchema,
    /**
     * The provider's bundle directory: per trusted trust domain `<td>.pem` (roots) and
     * `<td>.spiffe.json` (SPIFFE bundle whose `wit-svid` keys verify WITs). Reloaded on change.
     */
    bundleDirectory: z.string().min(1),
    /** Envoy's SDS directory: when set, its trust-bundles secret is rewritten whenever the bundles change. */
    envoySecretsDirectory: z.string().min(1).optional(),
    /** Periodic re-read of every file, besides reacting to changes in the bundle directory. */
    reloadInterval: durationMs({ min: '100ms' }).prefault('10s'),
    inbound: z
      .object({
        /**
         * The names partner zones call this service by (`orders` in `http://orders.zone-b/`): it
         * accepts the audience `spiffe://<trustDomain>/<name>` of each (`serviceAudience`), so a
         * request signed for another service of the zone is refused (`audience_mismatch`).
         */
        services: z.array(z.string().regex(serviceNamePattern, 'must be a DNS name')).default([]),
        /** `wimse-aud` values naming this service, replacing those `services` implies. */
        audiences: z.array(z.string().min(1)).default([]),
        /** SPIFFE IDs of proxies (the zone's ingress gateway) allowed to relay another zone's calls. */
        trustedIntermediaries: z.array(spiffeIdText).default([]),
        /** YAML/JSON file `mappings: [{workload, user?, username, password}]`: the local API's Basic credentials. */
        credentialsFile: z.string().min(1).optional(),
        /**
         * Verified calls reach the application without a local credential, only with the verified
         * caller (`accord-workload`) and user (`accord-user`) headers: for APIs that take the
         * identity from the mesh (MeshWorkload `inbound.type: none`). Excludes `credentialsFile`.
         */
        identityOnly: z.boolean().default(false),
        /**
         * Longest signature lifetime accepted (`expires - created`). Short because the nonce
         * cache is per process: a request captured on the way can be replayed to another replica
         * of this service until `expires + clockSkew` (docs/threat-model.md, T5).
         */
        maxSignatureLifetime: durationSeconds({ min: '1s', max: '1h' }).prefault('30s'),
        /** Tolerated clock difference for signatures, WITs and local bearer tokens. */
        clockSkew: durationSeconds({ max: '5m' }).prefault('5s'),
        /** Bound of the replay cache; when full of live nonces, requests are refused. */
        nonceCacheEntries: z.number().int().min(1).default(100_000),
        /** The local OIDC issuer's identity, for mappings that name a `subject` instead of Basic credentials. */
        tokenIssuer: z
          .object({
            issuer: z.url(),
            audience: z.string().min(1),
            /** PKCS#8 PEM (EC P-256/P-384, Ed25519 or RSA) whose public key the local API trusts. */
            signingKeyFile: z.string().min(1),
            keyId: z.string().min(1),
            ttl: durationSeconds({ min: '1s', max: '1h' }).prefault('5m'),
          })
          .strict()
          .transform(withUnitNames({ ttl: 'ttlSeconds' }))
          .optional(),
      })
      .strict()
      .transform(
        withUnitNames({
          maxSignatureLifetime: 'maxSignatureLifetimeSeconds',
          clockSkew: 'clockSkewSeconds',
        }),
      )
      .prefault({}),
    /** The outbound side; absent when the workload calls no other zone. */
    outbound: z
      .object({
        /**
         * YAML/JSON file `users: {name: scrypt$N$r$p$salt$hash}` of the local clients; absent when
         * they authenticate with bearer tokens only (`oidc`).
         */
        basicUsersFile: z.string().min(1).optional(),
        /** Remote zones by the host suffix the app uses (as in the Envoy bootstrap) and their audience. */
        zones: z
          .array(z.object({ hostSuffix: z.string().min(1), audience: z.string().min(1) }).strict())
          .min(1),
        /** `expires - created` of outbound signatures: the replay window a captured request opens (T5). */
        signatureLifetime: durationSeconds({ min: '1s', max: '1h' }).prefault('10s'),
        /**
         * Also accept bearer tokens of the local OIDC issuer, validated against its `jwks_uri`:
         * configured, or discovered from `<issuer>/.well-known/openid-configuration`.
         */
        oidc: z
          .object({
            issuer: z.url(),
            audience: z.string().min(1),
            jwksUri: z.url().optional(),
            /** PEM CA of an issuer with a private CA (e.g. the cluster's API server); default: system roots. */
            caFile: z.string().min(1).optional(),
            /** The claim naming the user that goes into Accord's user header. */
            userClaim: z.string().min(1).default('sub'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .transform(withUnitNames({ signatureLifetime: 'signatureLifetimeSeconds' }))
      .optional(),
    /**
     * The workload's WIT: either from the zone PKI (a first SVID authenticated by a bootstrap token
     * or by the pod's projected ServiceAccount token, then `IssueWIT` with it; both renewed) or as
     * files (the WIT and its PKCS#8 PEM key) kept current by someone else.
     */
    workloadIdentity: z
      .union([
        z
          .object({
            ...pkiFields,
            /** File holding the bootstrap token the PKI maps to the workload's SPIFFE ID. */
            bootstrapTokenFile: z.string().min(1),
          })
          .strict()
          .transform(pkiFieldUnits),
        z
          .object({
            ...pkiFields,
            /**
             * The pod's projected ServiceAccount token (audience `accord-pki`), re-read on every use
             * because the kubelet rotates it; the PKI maps it to `spiffe://<td>/ns/<ns>/sa/<sa>`.
             */
            serviceAccountTokenFile: z.string().min(1),
          })
          .strict()
          .transform(pkiFieldUnits),
        z.object({ witFile: z.string().min(1), privateKeyFile: z.string().min(1) }).strict(),
      ])
      .optional(),
  })
  .strict()
  .superRefine((config, context) => {
    if (
      config.outbound !== undefined &&
      config.outbound.basicUsersFile === undefined &&
      config.outbound.oidc === undefined
    )
      context.addIssue({
        code: 'custom',
        path: ['outbound'],
        message: 'outbound needs a way to authenticate local clients: basicUsersFile, oidc or both',
      });
    if (config.inbound.identityOnly && config.inbound.credentialsFile !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['inbound', 'identityOnly'],
        message: 'identityOnly passes no local credential: leave out inbound.credentialsFile',
      });
    if (config.outbound !== undefined && config.workloadIdentity === undefined)
      context.addIssue({
        code: 'custom',
        path: ['workloadIdentity'],
        message: 'outbound translation signs with the workload WIT: set workloadIdentity',
      });
  })
  .transform(withUnitNames({ reloadInterval: 'reloadIntervalMs' }));

/** The validated translator configuration. */
export type TranslatorConfig = z.output<typeof translatorConfigSchema>;

/** The `kind` of the translator's config file. */
export const translatorConfigKind = 'TranslatorConfig';

/**
 * The audience of one service of a zone: the zone's audience (by default its trust domain's SPIFFE
 * ID) and the name the service is called by. Both sides compute it here, so the outbound
 * translator's `wimse-aud` and the inbound translator's accepted audiences cannot disagree.
 */
export function serviceAudience(zoneAudience: string, service: string): string {
  return `${zoneAudience.replace(/\/+$/, '')}/${service}`;
}

/**
 * The inbound audiences: `audiences` when set, else one per name in `services`. None at all means
 * no inbound request is accepted (each is `audience_mismatch`): a translator not told which
 * service it fronts cannot tell a request for it from one for its neighbour.
 */
export function inboundAudiences(config: TranslatorConfig): string[] {
  return config.inbound.audiences.length > 0
    ? config.inbound.audiences
    : config.inbound.services.map((service) => serviceAudience(`spiffe://${config.trustDomain}`, service));
}

/**
 * `wimse-aud` for a Host (port stripped): the audience of the service the Host names in the zone
 * whose suffix it ends with (longest suffix first), e.g. `orders.zone-b` → `<zone-b's
 * audience>/orders`. A Host that is only the suffix names no service: undefined, like an unknown host.
 */
export function audienceResolver(
  zones: readonly { hostSuffix: string; audience: string }[],
): (host: string) => string | undefined {
  const sorted = [...zones].sort((a, b) => b.hostSuffix.length - a.hostSuffix.length);
  return (host) => {
    const zone = sorted.find((candidate) => host.endsWith(`.${candidate.hostSuffix}`));
    if (zone === undefined) return undefined;
    return serviceAudience(zone.audience, host.slice(0, -zone.hostSuffix.length - 1));
  };
}
