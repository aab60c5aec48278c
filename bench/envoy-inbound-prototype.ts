import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { spiffeBundleFileName } from '../lib/bundle/bundle-file-names.js';
import type { Bootstrap } from '../lib/sidecar/envoy-config-types.js';
import { renderEnvoyYaml } from '../lib/sidecar/render-envoy-yaml.js';
import type { EnvoyBFiles } from '../test/translator/two-zone-chain.js';
import { basicAuthorization } from '../translator/basic-credentials.js';
import { serviceAudience, translatorConfigSchema } from '../translator/translator-config.js';
import { wimseTag } from '../translator/wimse-profile.js';
import { inboundVerifierLua } from './envoy-inbound-prototype-lua.js';

/** The translator's inbound defaults (signature lifetime, skew), which the prototype applies too. */
const inboundDefaults = translatorConfigSchema.parse({
  trustDomain: 'zone-b.example',
  bundleDirectory: '/',
  inbound: { identityOnly: true },
}).inbound;

/** A bundle file's name is its trust domain and this suffix. */
const spiffeSuffix = spiffeBundleFileName('');

/**
 * Issue 13's prototype of inbound verification inside Envoy, for MEASURING only (not a product
 * path: see bench/RESULTS.md for what it lacks). Envoy B's inbound listener gets, before its
 * router (and before its ext_authz filter when it keeps one):
 * - `jwt_authn` with one provider per trusted trust domain, whose local JWKS holds that domain's
 *   bundle's `wit-svid` keys only (the WIT is checked against the bundle of its own domain: the
 *   Lua filter checks that `sub` lies in the provider's domain); signature (cached per token),
 *   `exp`, `nbf`;
 * - a Lua filter (`inboundVerifierLua`) doing the rest of the translator's inbound checks: the
 *   WIT's `typ` and `cnf.jwk`, the mTLS peer's trust domain, the RFC 9421 signature (Signature-
 *   Input parsed, signature base built, ECDSA P-256 verified with `verifySignature`), the content
 *   digest (SHA-256 in Lua), the time window, the audience, the profile's covered components and
 *   the nonce (a per-worker table; `nonces: 'ignored'` only for the floor measurement, where one
 *   pre-signed request is sent again and again); then, with `mapping: 'in-envoy'`, the Basic
 *   credentials of the caller, or with `'ext-authz'`, nothing (the ext_authz filter after it maps them).
 */
export async function envoyVerifiesInbound(
  bootstrap: Bootstrap,
  files: EnvoyBFiles,
  mapping: 'in-envoy' | 'ext-authz',
  nonces: 'remembered' | 'ignored' = 'remembered',
): Promise<string> {
  const providers: Record<string, unknown> = {};
  const configDirectory = dirname(files.bundleDirectory);
  for (const file of (await readdir(files.bundleDirectory)).filter((name) => name.endsWith(spiffeSuffix))) {
    const trustDomain = file.slice(0, -spiffeSuffix.length);
    const bundle = JSON.parse(await readFile(join(files.bundleDirectory, file), 'utf8')) as {
      keys: Record<string, unknown>[];
    };
    const keys = bundle.keys
      .filter((key) => key.use === 'wit-svid')
      .map(({ kty, crv, x, y, kid }) => ({ kty, crv, x, y, kid, alg: 'ES256' }));
    const jwksFile = join(configDirectory, `wit-jwks-${trustDomain}.json`);
    await writeFile(jwksFile, JSON.stringify({ keys }));
    providers[trustDomain] = {
      from_headers: [{ name: 'workload-identity-token' }],
      forward: true,
      local_jwks: { filename: jwksFile },
      payload_in_metadata: trustDomain,
      header_in_metadata: `${trustDomain}/header`,
      clock_skew_seconds: inboundDefaults.clockSkewSeconds,
      // Verified tokens remembered (signature only; exp and nbf are checked on every use), as the
      // translator remembers verified WITs: a workload sends the same WIT until it is renewed.
      jwt_cache_config: { jwt_cache_size: 1024 },
    };
  }
  const mappings = (
    parseYaml(await readFile(files.credentialsFile, 'utf8')) as {
      mappings: { workload: string; user?: string; username: string; password: string }[];
    }
  ).mappings;
  const credentials = Object.fromEntries(
    mappings.map((entry) => [
      `${entry.workload} ${entry.user ?? ''}`,
      basicAuthorization(entry.username, entry.password),
    ]),
  );
  const copy = structuredClone(bootstrap);
  const manager = copy.static_resources.listeners.find((each) => each.name === 'inbound')?.filter_chains[0]
    .filters[0].typed_config;
  if (manager === undefined) throw new Error('Envoy B has no inbound listener');
  const filters: unknown[] = [
    {
      name: 'envoy.filters.http.jwt_authn',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
        providers,
        rules: [
          {
            match: { prefix: '/' },
            requires: {
              // Never refused here: the Lua filter refuses with the translator's reasons.
              requires_any: {
                requirements: [
                  ...Object.keys(providers).map((name) => ({ provider_name: name })),
                  { allow_missing_or_failed: {} },
                ],
              },
            },
          },
        ],
      },
    },
    {
      name: 'envoy.filters.http.lua',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
        default_source_code: {
          inline_string: inboundVerifierLua({
            audiences: [serviceAudience('spiffe://zone-b.example', 'orders')],
            tag: wimseTag,
            maxLifetimeSeconds: inboundDefaults.maxSignatureLifetimeSeconds,
            skewSeconds: inboundDefaults.clockSkewSeconds,
            credentials: mapping === 'in-envoy' ? credentials : undefined,
            rememberNonces: nonces === 'remembered',
          }),
        },
      },
    },
    ...manager.http_filters,
  ];
  // The product's filter types know ext_authz and the router only; the prototype adds two more.
  (manager as { http_filters: unknown[] }).http_filters = filters;
  return renderEnvoyYaml(copy);
}
