import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Registry } from 'prom-client';
import { startOpsServer } from '../lib/http/ops-server.js';
import type { Logger } from '../lib/log/logger.js';
import type { Clock } from '../lib/time/clock.js';
import { startAuthorizationServer } from './authorization-server.js';
import {
  createCheckHandler,
  createDecider,
  type CheckHandlerDependencies,
  type OutboundPolicy,
} from './check-handler.js';
import { startHttpAuthorizationServer } from './http-authorization-server.js';
import { NonceCache } from './nonce-cache.js';
import { issuerKeys, verifyBearerUser, type LocalTokenIssuer } from './oidc-tokens.js';
import { PkiWitSource } from './pki-wit-source.js';
import type { RequestSigner } from './sign-request.js';
import { audienceResolver, inboundAudiences, type TranslatorConfig } from './translator-config.js';
import { TranslatorFiles, type WorkloadCredential } from './translator-files.js';
import { TranslatorMetrics } from './translator-metrics.js';

/** A running translator. */
export interface RunningTranslator {
  /** The ext_authz port (the bootstrap's `translatorPort`), speaking `listen.protocol`. */
  readonly port: number;
  readonly opsPort: number;
  /** Re-reads every file now (the watch and the resync do it on their own). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the translator: loads its files, then serves ext_authz and the ops endpoints. Readiness
 * waits for every configured file; until then (and whenever a zone's bundle is missing) requests
 * are denied, never waved through.
 */
export async function startTranslator(
  config: TranslatorConfig,
  dependencies: { logger: Logger; registry: Registry; clock: Clock },
): Promise<RunningTranslator> {
  const { logger, clock } = dependencies;
  // Read before anything starts, so a bad key file fails the start with nothing to clean up.
  const tokenConfig = config.inbound.tokenIssuer;
  const tokenIssuer: LocalTokenIssuer | undefined =
    tokenConfig === undefined
      ? undefined
      : {
          issuer: tokenConfig.issuer,
          audience: tokenConfig.audience,
          keyId: tokenConfig.keyId,
          ttlSeconds: tokenConfig.ttlSeconds,
          signingKey: createPrivateKey(await readFile(tokenConfig.signingKeyFile, 'utf8')),
          clock,
        };
  const oidcCaFile = config.outbound?.oidc?.caFile;
  const oidcCaPem = oidcCaFile === undefined ? undefined : await readFile(oidcCaFile, 'utf8');
  // The zone PKI first: its SVID reports the own zone's roots, which the files trust next to the
  // provider's partner bundles from the first reload on.
  const pkiIdentity =
    config.workloadIdentity !== undefined && 'pkiAddress' in config.workloadIdentity
      ? new PkiWitSource({
          ...config.workloadIdentity,
          envoySecretsDirectory: config.envoySecretsDirectory,
          clock,
          logger: logger.child({ subsystem: 'wit' }),
        })
      : undefined;
  try {
    await pkiIdentity?.start();
  } catch (error) {
    pkiIdentity?.stop();
    throw error;
  }
  const files = new TranslatorFiles(
    {
      bundleDirectory: config.bundleDirectory,
      ownZone:
        pkiIdentity === undefined
          ? undefined
          : () => ({ trustDomain: config.trustDomain, rootsPem: pkiIdentity.zoneRootsPem() }),
      envoySecretsDirectory: config.envoySecretsDirectory,
      basicUsersFile: config.outbound?.basicUsersFile,
      inboundCredentialsFile: config.inbound.credentialsFile,
      workloadIdentity:
        config.workloadIdentity !== undefined && 'witFile' in config.workloadIdentity
          ? config.workloadIdentity
          : undefined,
    },
    logger.child({ subsystem: 'files' }),
  );
  try {
    await files.start(config.reloadIntervalMs);
  } catch (error) {
    pkiIdentity?.stop();
    throw error;
  }
  const bearerValidator = (oidc: NonNullable<NonNullable<TranslatorConfig['outbound']>['oidc']>) => {
    const keys = issuerKeys({ issuer: oidc.issuer, jwksUri: oidc.jwksUri, caPem: oidcCaPem });
    return (token: string) =>
      verifyBearerUser(token, {
        issuer: oidc.issuer,
        audience: oidc.audience,
        userClaim: oidc.userClaim,
        keys,
        clock,
        clockSkewSeconds: config.inbound.clockSkewSeconds,
      });
  };
  const workloadCredential = () => pkiIdentity?.current() ?? files.workloadCredential();

  const expectedAudiences = inboundAudiences(config);
  if (expectedAudiences.length === 0)
    logger.warn('no inbound service name configured, every inbound request is refused', {
      field: 'inbound.services',
    });
  const outboundConfig = config.outbound;
  const signers = new WeakMap<WorkloadCredential, RequestSigner>();
  const outbound: OutboundPolicy | undefined =
    outboundConfig === undefined
      ? undefined
      : {
          users: () => files.users(),
          signer: () => {
            const credential = workloadCredential();
            if (credential === undefined) return undefined;
            // One signer per credential object (a renewal is a new object), not a copy per request.
            let signer = signers.get(credential);
            if (signer === undefined) {
              signer = {
                ...credential,
                clock,
                signatureLifetimeSeconds: outboundConfig.signatureLifetimeSeconds,
              };
              signers.set(credential, signer);
            }
            return signer;
          },
          audienceForHost: audienceResolver(outboundConfig.zones),
          ...(outboundConfig.oidc === undefined ? {} : { bearerUser: bearerValidator(outboundConfig.oidc) }),
        };
  const decisionDependencies: CheckHandlerDependencies = {
    inbound: {
      verification: {
        witKeys: files.witKeys,
        clock,
        clockSkewSeconds: config.inbound.clockSkewSeconds,
        expectedAudiences,
        nonceCache: new NonceCache({ maxEntries: config.inbound.nonceCacheEntries, clock }),
        maxSignatureLifetimeSeconds: config.inbound.maxSignatureLifetimeSeconds,
      },
      trustedIntermediaries: new Set(config.inbound.trustedIntermediaries),
      credentials: () => files.credentials(),
      identityOnly: config.inbound.identityOnly,
      ...(tokenIssuer === undefined ? {} : { tokenIssuer }),
    },
    outbound,
    metrics: new TranslatorMetrics(dependencies.registry),
    logger: logger.child({ subsystem: 'ext_authz' }),
  };

  const stopSources = async () => {
    pkiIdentity?.stop();
    await files.close();
  };
  const listen = { host: config.listen.host, port: config.listen.port, logger };
  const server = await (
    config.listen.protocol === 'http'
      ? startHttpAuthorizationServer({ ...listen, decide: createDecider(decisionDependencies) })
      : startAuthorizationServer({ ...listen, check: createCheckHandler(decisionDependencies) })
  ).catch(async (error: unknown) => {
    await stopSources();
    throw error;
  });
  const ops = await startOpsServer({
    host: config.ops.host,
    port: config.ops.port,
    registry: dependencies.registry,
    isReady: () => files.isReady(),
    logger,
  }).catch(async (error: unknown) => {
    await server.close();
    await stopSources();
    throw error;
  });
  return {
    port: server.port,
    opsPort: ops.port,
    reload: () => files.reload(),
    close: async () => {
      await server.close();
      await ops.close();
      await stopSources();
    },
  };
}
