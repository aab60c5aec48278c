import { X509Certificate } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { errorMessage } from '../lib/errors/accord-error.js';
import { writeFileAtomic } from '../lib/fs/atomic-write.js';
import { startGrpcServer, type GrpcServer } from '../lib/grpc/grpc-server.js';
import { startOpsServer, type OpsServer } from '../lib/http/ops-server.js';
import { renewalDelayMs } from '../lib/identity/renewal-schedule.js';
import type { Logger } from '../lib/log/logger.js';
import { verifyX509Svid } from '../lib/spiffe/x509-svid.js';
import type { Clock } from '../lib/time/clock.js';
import { systemTimers, type TimerHandle, type Timers } from '../lib/time/timers.js';
import { reviewToken, tokenReviewApiClient } from '../lib/kube/token-review.js';
import type { Authenticator } from './authenticator.js';
import { readBootstrapTokenGrants } from './bootstrap-token-grants.js';
import { KubeTokenAuthenticator } from './kube-token-authenticator.js';
import { type BootstrapTokenGrant, LocalAuthenticator } from './local-authenticator.js';
import { openCaStore } from './open-ca-store.js';
import { PkiAuthority } from './pki-authority.js';
import type { PkiConfig } from './pki-config.js';
import { createPkiService } from './pki-service.js';
import { rotationPolicy } from './root-rotation-plan.js';
import { ZoneRootRotation } from './zone-root-rotation.js';
import { concatenatePems } from '../lib/x509/pem.js';

/**
 * File (public) in `storeDir` that local-mode clients read to authenticate the PKI on first
 * contact. Written whenever `storeDir` is configured, also when the CA state lives in a Secret.
 */
export const rootsFileName = 'roots.pem';

/**
 * Bootstrap tokens and SVID renewals always; ServiceAccount tokens by TokenReview too when
 * `kubernetesTokenReview` is configured.
 */
function createAuthenticator(config: PkiConfig, grants: readonly BootstrapTokenGrant[]): Authenticator {
  const local = new LocalAuthenticator(config.trustDomain, grants);
  const tokenReview = config.kubernetesTokenReview;
  if (tokenReview === undefined) return local;
  const api = tokenReviewApiClient(tokenReview.kubeconfig);
  return new KubeTokenAuthenticator({
    trustDomain: config.trustDomain,
    audience: tokenReview.audience,
    local,
    review: (token, audiences) => reviewToken(api, token, audiences),
  });
}

/** A running zone PKI. */
export interface RunningPki {
  readonly authority: PkiAuthority;
  readonly grpcPort: number;
  readonly opsPort: number;
  close(): Promise<void>;
}

/** Dependencies of the PKI server besides its config. */
export interface PkiServerDependencies {
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Schedules the renewal of the PKI's own SVID; injected so tests drive it. Defaults to `systemTimers`. */
  timers?: Timers;
}

/** Retry delay after a failed renewal of the PKI's own serving SVID. */
const ownSvidRetryDelayMs = 60_000;

/**
 * Starts the zone PKI: loads or creates the CA in the configured store (`storeDir` or `caSecret`),
 * serves `accord.pki.v1` over TLS with its own SVID (renewed at 2/3 of its life from issuance), re-reads the
 * store so rotations take effect, and publishes `roots.pem` for clients when `storeDir` is set.
 */
export async function startPkiServer(
  config: PkiConfig,
  dependencies: PkiServerDependencies,
): Promise<RunningPki> {
  const { clock, logger } = dependencies;
  const timers = dependencies.timers ?? systemTimers;
  const grants = await readBootstrapTokenGrants(config.bootstrapTokens);
  const authority = await PkiAuthority.open({
    store: openCaStore(config),
    trustDomain: config.trustDomain,
    clock,
    svidLifetime: {
      defaultTtlSeconds: config.svidTtlSeconds,
      maxTtlSeconds: config.svidMaxTtlSeconds,
      backdateSeconds: config.clockSkewSeconds,
    },
    witLifetime: { defaultTtlSeconds: config.witTtlSeconds, maxTtlSeconds: config.witMaxTtlSeconds },
    rootPolicy: { rootTtlSeconds: config.rootTtlSeconds, backdateSeconds: config.clockSkewSeconds },
    bundleRefreshHintSeconds: config.bundleRefreshHintSeconds,
    logger,
  });
  const { storeDir } = config;
  const writeRoots = async () => {
    if (storeDir === undefined) return;
    await writeFileAtomic(
      join(storeDir, rootsFileName),
      concatenatePems(authority.getCa().rootCertificatePems),
    );
  };
  // With the CA state in a Secret nothing else creates the directory.
  if (storeDir !== undefined) await mkdir(storeDir, { recursive: true, mode: 0o700 });
  await writeRoots();
  const ownSvid = await authority.issueOwnSvid();
  const ownSvidIssuedAt = clock.now();
  const grpcServer: GrpcServer = await startGrpcServer({
    host: config.listen.host,
    port: config.listen.port,
    identity: ownSvid,
    clientCaPems: authority.getCa().rootCertificatePems,
    verifyPeer: (leafDer) =>
      verifyX509Svid(new X509Certificate(leafDer), authority.trustBundles(), clock.now()),
    services: [
      createPkiService(
        authority,
        new ZoneRootRotation(
          authority,
          { rootTtlSeconds: config.rootTtlSeconds, backdateSeconds: config.clockSkewSeconds },
          rotationPolicy(config),
        ),
        createAuthenticator(config, grants),
      ),
    ],
    logger,
    metrics: dependencies.registry,
  });

  // One pending renewal at a time (a root change renews at once and replaces it), none once closed:
  // a renewal in flight during close() must not schedule the next one.
  let renewalTimer: TimerHandle | undefined;
  let isClosed = false;
  const cancelRenewal = () => {
    if (renewalTimer !== undefined) timers.clearTimeout(renewalTimer);
    renewalTimer = undefined;
  };
  const scheduleRenewal = (delayMs: number) => {
    cancelRenewal();
    if (!isClosed) renewalTimer = timers.setTimeout(() => void renewOwnSvid(), delayMs);
  };
  const renewOwnSvid = async () => {
    try {
      const svid = await authority.issueOwnSvid();
      if (isClosed) return;
      grpcServer.updateIdentity(svid);
      // From issuance, not from notBefore, which is back-dated by clockSkew (renewal-schedule.ts).
      const issuedAt = clock.now();
      scheduleRenewal(renewalDelayMs(issuedAt, svid.notAfter, issuedAt));
    } catch (error) {
      logger.error('PKI serving SVID renewal failed', { error: errorMessage(error) });
      scheduleRenewal(ownSvidRetryDelayMs);
    }
  };
  scheduleRenewal(renewalDelayMs(ownSvidIssuedAt, ownSvid.notAfter, clock.now()));

  // Whoever changed the state (this replica's rotation RPCs, another replica, accord-pki rotate):
  // offer the new roots to TLS clients, publish them, and serve from the new signing root.
  authority.onChange(async () => {
    if (isClosed) return;
    grpcServer.updateClientCas(authority.getCa().rootCertificatePems);
    await writeRoots();
    await renewOwnSvid();
  });
  const reload = async () => {
    try {
      await authority.reload();
    } catch (error) {
      logger.warn('CA store reload failed', { error: errorMessage(error) });
    }
  };
  const reloadTimer = setInterval(() => void reload(), config.storeReloadIntervalSeconds * 1000);
  reloadTimer.unref();

  const opsServer: OpsServer = await startOpsServer({
    host: config.ops.host,
    port: config.ops.port,
    registry: dependencies.registry,
    isReady: () => true,
    logger,
  });
  logger.info('PKI started', {
    trustDomain: config.trustDomain,
    grpcPort: grpcServer.port,
    opsPort: opsServer.port,
  });

  return {
    authority,
    grpcPort: grpcServer.port,
    opsPort: opsServer.port,
    close: async () => {
      isClosed = true;
      clearInterval(reloadTimer);
      cancelRenewal();
      await Promise.all([grpcServer.close(), opsServer.close()]);
    },
  };
}
