import { generateKeyPairSync } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ManagedProcess, startManagedProcess } from '../support/managed-process.js';
import { testTool } from '../support/test-tools.js';
import {
  type KubeClusterCa,
  type KubeKeyPair,
  createKubeClusterCa,
  issueKubeClientCertificate,
  issueKubeServingCertificate,
} from './kube-certificates.js';

/** How to start a test API server. */
export interface KubeApiServerOptions {
  /** Cluster and kubeconfig context name, e.g. `zone-a`; defaults to `accord-test`. */
  name?: string;
  /** How long etcd plus kube-apiserver may take to report ready; defaults to 90 s (2 shared cores). */
  startupTimeoutMs?: number;
  /** Extra kube-apiserver flags, e.g. `--feature-gates=…`, appended after the harness's own. */
  extraApiServerArgs?: readonly string[];
}

/**
 * A real etcd + kube-apiserver pair on loopback: one test cluster (one Accord trust zone). There is
 * no controller-manager, scheduler or kubelet: pods are stored but never run, namespaces are never
 * finalized after deletion, and ServiceAccount token Secrets are never created.
 */
export interface KubeApiServer {
  readonly name: string;
  /** `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** The cluster CA: it signed the serving certificate and every kubeconfig's client certificate. */
  readonly caPem: string;
  /** `--service-account-issuer`, also the default token audience. */
  readonly serviceAccountIssuer: string;
  /** A kubeconfig for `accord-admin` in `system:masters` (RBAC does not apply to it). */
  readonly adminKubeconfig: string;
  /**
   * Writes a kubeconfig whose client certificate says `user` in `groups`, for RBAC and
   * least-privilege tests; returns its path. Certificates cannot name ServiceAccounts' token
   * identity, so to act as a ServiceAccount use the admin kubeconfig with `--as`/impersonation.
   */
  kubeconfigFor(user: string, groups?: readonly string[]): Promise<string>;
  /** Stops kube-apiserver, then etcd, and deletes every temporary file. Safe to call twice. */
  stop(): Promise<void>;
}

/** The admin identity of every harness cluster. */
export const kubeAdminUser = 'accord-admin';

/** The Service network the API server allocates ClusterIPs from; nothing routes it. */
const serviceClusterIpRange = '10.0.0.0/24';

/**
 * Finds kube-apiserver or etcd the way envtest does (`KUBEBUILDER_ASSETS` first), then in the
 * provisioned tools directory (scripts/provision-kube-tools.sh) or on PATH.
 */
export function kubeBinary(name: 'kube-apiserver' | 'etcd'): string {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets !== undefined && assets !== '') {
    const candidate = join(assets, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // fall back to the provisioned tools
    }
  }
  return testTool(name);
}

/**
 * How many times a start is tried with fresh ports. Neither etcd nor kube-apiserver can report a
 * port the kernel chose, so ports are picked free and then released; another process (often a
 * cluster starting next to this one) can take one in between, and then the start is simply redone.
 */
const portAttempts = 3;

/**
 * Starts etcd and kube-apiserver on free loopback ports with temporary data, RBAC authorization,
 * client-certificate authentication against a CA made for this run, and a serving certificate
 * from the same CA; resolves once `/readyz` answers 200. Several may run at once.
 */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const deadline = Date.now() + (options.startupTimeoutMs ?? 90_000);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startKubeApiServerOnce(options, deadline);
    } catch (error) {
      const portTaken = error instanceof Error && error.message.includes('address already in use');
      if (!portTaken || attempt === portAttempts) throw error;
    }
  }
}

async function startKubeApiServerOnce(
  options: KubeApiServerOptions,
  deadline: number,
): Promise<KubeApiServer> {
  const name = options.name ?? 'accord-test';
  const directory = await mkdtemp(join(tmpdir(), `accord-kube-${name}-`));
  const processes: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const managed of processes.reverse()) await managed.stop();
    processes.length = 0;
    await rm(directory, { recursive: true, force: true });
  };
  try {
    const ca = await createKubeClusterCa(name);
    const [apiServerPort, etcdPort] = await freePorts(2);
    const server = `https://127.0.0.1:${String(apiServerPort)}`;
    const files = await writeApiServerFiles(directory, ca);
    const etcdUrl = `http://127.0.0.1:${String(etcdPort)}`;
    processes.push(
      startManagedProcess('etcd', kubeBinary('etcd'), [
        `--name=${name}`,
        `--data-dir=${join(directory, 'etcd-data')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        '--listen-peer-urls=http://127.0.0.1:0',
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]),
    );
    const serviceAccountIssuer = server;
    processes.push(
      startManagedProcess('kube-apiserver', kubeBinary('kube-apiserver'), [
        '--advertise-address=127.0.0.1',
        '--bind-address=127.0.0.1',
        `--secure-port=${String(apiServerPort)}`,
        `--cert-dir=${join(directory, 'apiserver-certs')}`,
        `--tls-cert-file=${files.servingCertificate}`,
        `--tls-private-key-file=${files.servingKey}`,
        `--client-ca-file=${files.ca}`,
        `--etcd-servers=${etcdUrl}`,
        '--authorization-mode=RBAC',
        `--service-account-issuer=${serviceAccountIssuer}`,
        `--service-account-key-file=${files.serviceAccountPublicKey}`,
        `--service-account-signing-key-file=${files.serviceAccountPrivateKey}`,
        `--service-cluster-ip-range=${serviceClusterIpRange}`,
        // Without a controller-manager no namespace gets its `default` ServiceAccount, and this
        // plugin would then reject every pod that does not name an existing one (envtest does the same).
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
        ...(options.extraApiServerArgs ?? []),
      ]),
    );
    const admin = await issueKubeClientCertificate(ca, kubeAdminUser, ['system:masters']);
    await waitUntilReady(server, ca.certificatePem, admin, processes, deadline);
    let kubeconfigCount = 0;
    const writeKubeconfig = async (user: string, identity: KubeKeyPair): Promise<string> => {
      kubeconfigCount += 1;
      const path = join(
        directory,
        `kubeconfig-${String(kubeconfigCount)}-${user.replace(/[^A-Za-z0-9.-]/g, '_')}`,
      );
      await writeFile(path, kubeconfig(name, server, ca.certificatePem, user, identity), { mode: 0o600 });
      return path;
    };
    return {
      name,
      server,
      caPem: ca.certificatePem,
      serviceAccountIssuer,
      adminKubeconfig: await writeKubeconfig(kubeAdminUser, admin),
      kubeconfigFor: async (user, groups = []) =>
        writeKubeconfig(user, await issueKubeClientCertificate(ca, user, groups)),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface ApiServerFiles {
  ca: string;
  servingCertificate: string;
  servingKey: string;
  serviceAccountPublicKey: string;
  serviceAccountPrivateKey: string;
}

async function writeApiServerFiles(directory: string, ca: KubeClusterCa): Promise<ApiServerFiles> {
  const serving = await issueKubeServingCertificate(ca);
  const serviceAccountKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const contents: Record<keyof ApiServerFiles, string> = {
    ca: ca.certificatePem,
    servingCertificate: serving.certificatePem,
    servingKey: serving.privateKeyPem,
    serviceAccountPublicKey: serviceAccountKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    serviceAccountPrivateKey: serviceAccountKeys.privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  };
  const paths = Object.fromEntries(
    Object.keys(contents).map((key) => [key, join(directory, `${key}.pem`)]),
  ) as unknown as ApiServerFiles;
  await Promise.all(
    (Object.keys(contents) as (keyof ApiServerFiles)[]).map((key) =>
      writeFile(paths[key], contents[key], { mode: 0o600 }),
    ),
  );
  return paths;
}

/** A kubeconfig (JSON, which kubectl and client libraries read as YAML) with embedded credentials. */
export function kubeconfig(
  cluster: string,
  server: string,
  caPem: string,
  user: string,
  identity: KubeKeyPair,
): string {
  const base64 = (text: string): string => Buffer.from(text).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server, 'certificate-authority-data': base64(caPem) } }],
    users: [
      {
        name: user,
        user: {
          'client-certificate-data': base64(identity.certificatePem),
          'client-key-data': base64(identity.privateKeyPem),
        },
      },
    ],
    contexts: [{ name: cluster, context: { cluster, user } }],
    'current-context': cluster,
  });
}

/** Reserves distinct free loopback ports by holding them all open at once, then releases them. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      async () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            resolve(server);
          });
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('a TCP server has no port');
    return address.port;
  });
  await Promise.all(
    servers.map(
      async (server) =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
  return ports;
}

/** Polls `/readyz` as the admin until it answers 200, a process dies, or the deadline passes. */
async function waitUntilReady(
  server: string,
  caPem: string,
  admin: KubeKeyPair,
  processes: readonly ManagedProcess[],
  deadline: number,
): Promise<void> {
  let lastAnswer = 'no answer yet';
  for (;;) {
    for (const managed of processes) {
      const reason = managed.exitReason();
      if (reason !== undefined) throw new Error(reason);
    }
    lastAnswer = await readyzStatus(server, caPem, admin);
    if (lastAnswer === '200') return;
    if (Date.now() > deadline)
      throw new Error(`kube-apiserver at ${server} was not ready in time: ${lastAnswer}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function readyzStatus(server: string, caPem: string, admin: KubeKeyPair): Promise<string> {
  return new Promise((resolve) => {
    const call = request(
      `${server}/readyz`,
      { ca: caPem, cert: admin.certificatePem, key: admin.privateKeyPem, timeout: 5_000 },
      (response) => {
        response.resume();
        resolve(String(response.statusCode));
      },
    );
    call.once('timeout', () => call.destroy(new Error('timed out')));
    call.once('error', (error) => {
      resolve(error.message);
    });
    call.end();
  });
}
