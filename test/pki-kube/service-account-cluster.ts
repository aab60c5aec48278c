import { mkdir, writeFile } from 'node:fs/promises';
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

/** Writes each bootstrap token to its own file, as a mounted Secret would hold it. */
async function writeTokenFiles(
  directory: string,
  tokens: ReadonlyMap<string, string> = new Map(),
): Promise<{ spiffePath: string; tokenFile: string }[]> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  return Promise.all(
    [...tokens].map(async ([spiffePath, token], index) => {
      const tokenFile = join(directory, `token-${String(index)}`);
      await writeFile(tokenFile, token, { mode: 0o600 });
      return { spiffePath, tokenFile };
    }),
  );
}

export async function startKubeZonePki(options: {
  directory: string;
  trustDomain: string;
  kubeconfig: string;
  /** SPIFFE ID path → bootstrap token. */
  bootstrapTokens?: ReadonlyMap<string, string>;
  svidTtl?: string;
  witTtl?: string;
}): Promise<KubeZonePki> {
  const storeDir = join(options.directory, 'pki');
  const pki = await startPkiServer(
    parseConfig(pkiConfigSchema, {
      trustDomain: options.trustDomain,
      storeDir,
      listen: { port: 0 },
      ops: { port: 0 },
      ...(options.svidTtl === undefined ? {} : { svidTtl: options.svidTtl }),
      ...(options.witTtl === undefined ? {} : { witTtl: options.witTtl }),
      clockSkew: '0s',
      bootstrapTokens: await writeTokenFiles(
        join(options.directory, 'bootstrap-tokens'),
        options.bootstrapTokens,
      ),
      kubernetesTokenReview: { kubeconfig: options.kubeconfig },
    }),
    { clock: systemClock, logger: silentLogger, registry: new Registry() },
  );
  return { pki, address: `127.0.0.1:${String(pki.grpcPort)}`, rootsFile: join(storeDir, rootsFileName) };
}
