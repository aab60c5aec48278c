import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../../lib/config/load-config.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { pkiConfigSchema } from '../../pki/pki-config.js';
import { rootsFileName, startPkiServer, type RunningPki } from '../../pki/pki-server.js';
import type { KubeApiServer } from '../kube/kube-api-server.js';
import { kubectl } from '../kube/kubectl.js';

/** Runs kubectl as the cluster admin and fails the test with its stderr when it exits non-zero. */
export async function kubectlAdmin(cluster: KubeApiServer, ...args: string[]): Promise<string> {
  const result = await kubectl(cluster.adminKubeconfig, ...args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/**
 * Mints a ServiceAccount token through the TokenRequest API (`kubectl create token`), as the
 * kubelet does for a projected volume. The API server's minimum lifetime is 10 minutes.
 */
export async function mintServiceAccountToken(
  cluster: KubeApiServer,
  namespace: string,
  serviceAccount: string,
  audience: string,
  durationSeconds = 600,
): Promise<string> {
  return kubectlAdmin(
    cluster,
    'create',
    'token',
    serviceAccount,
    '-n',
    namespace,
    '--audience',
    audience,
    '--duration',
    `${String(durationSeconds)}s`,
  );
}

/**
 * A kubeconfig for a certificate user that may only create TokenReviews (what the chart grants the
 * PKI's ServiceAccount), once RBAC, which the API server reads from a cache, lets it.
 */
export async function tokenReviewerKubeconfig(cluster: KubeApiServer, user = 'accord-pki'): Promise<string> {
  await kubectlAdmin(cluster, 'create', 'clusterrole', user, '--verb=create', '--resource=tokenreviews');
  await kubectlAdmin(
    cluster,
    'create',
    'clusterrolebinding',
    user,
    `--clusterrole=${user}`,
    `--user=${user}`,
  );
  const kubeconfig = await cluster.kubeconfigFor(user);
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await kubectl(kubeconfig, 'auth', 'can-i', 'create', 'tokenreviews')).code === 0) return kubeconfig;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('RBAC never allowed create tokenreviews');
}

/** A zone PKI on loopback in cluster mode: TokenReview against `kubeconfig`, plus bootstrap tokens. */
export interface KubeZonePki {
  pki: RunningPki;
  address: string;
  rootsFile: string;
}

export async function startKubeZonePki(options: {
  directory: string;
  trustDomain: string;
  kubeconfig: string;
  /** SPIFFE ID path → bootstrap token. */
  bootstrapTokens?: ReadonlyMap<string, string>;
  svidTtlSeconds?: number;
  witTtlSeconds?: number;
}): Promise<KubeZonePki> {
  const storeDir = join(options.directory, 'pki');
  const pki = await startPkiServer(
    parseConfig(pkiConfigSchema, {
      trustDomain: options.trustDomain,
      storeDir,
      listen: { port: 0 },
      ops: { port: 0 },
      ...(options.svidTtlSeconds === undefined ? {} : { svidTtlSeconds: options.svidTtlSeconds }),
      ...(options.witTtlSeconds === undefined ? {} : { witTtlSeconds: options.witTtlSeconds }),
      clockSkewSeconds: 0,
      bootstrapTokens: [...(options.bootstrapTokens ?? new Map<string, string>())].map(
        ([spiffePath, token]) => ({
          tokenSha256: createHash('sha256').update(token).digest('hex'),
          spiffePath,
        }),
      ),
      kubernetesTokenReview: { kubeconfig: options.kubeconfig },
    }),
    { clock: systemClock, logger: silentLogger, registry: new Registry() },
  );
  return { pki, address: `127.0.0.1:${String(pki.grpcPort)}`, rootsFile: join(storeDir, rootsFileName) };
}
