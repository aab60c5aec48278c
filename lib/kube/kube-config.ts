import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { errorMessage } from '../errors/accord-error.js';

/**
 * Where an API server is and how to authenticate to it: what `KubeClient` needs, whatever it was
 * read from (a kubeconfig file or a pod's ServiceAccount). PEM texts, never paths, except the
 * token file, which the kubelet rotates and the client re-reads.
 */
export interface KubeConnectionSettings {
  /** `https://host:port`, without a trailing slash. */
  readonly server: string;
  /** PEM roots the server certificate must chain to; the system roots when absent. */
  readonly caPem?: string;
  /** PEM client certificate and key (both or neither). */
  readonly clientCertificatePem?: string;
  readonly clientKeyPem?: string;
  /** A bearer token: fixed, or re-read from a file (a projected ServiceAccount token rotates). */
  readonly bearerToken?: { readonly kind: 'static'; readonly token: string } | BearerTokenFile;
  /** Accept any server certificate (`insecure-skip-tls-verify`); kubeconfigs of test clusters only. */
  readonly isServerCertificateUnchecked: boolean;
  /** The name the server certificate must carry when it differs from the server's host (`tls-server-name`). */
  readonly tlsServerName?: string;
}

/** A bearer token in a file that someone else keeps current (the kubelet, for a projected token). */
export interface BearerTokenFile {
  readonly kind: 'file';
  readonly path: string;
}

/** The kubeconfig could not be used: the process should print this and stop. */
export class InvalidKubeConfigError extends Error {
  override readonly name = 'InvalidKubeConfigError';
}

/** Where a pod's ServiceAccount credentials are mounted. */
export const serviceAccountDirectory = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What `loadKubeConnectionSettings` reads besides the named file: the process's environment and files. */
export interface KubeConfigSources {
  /** Environment variables: `KUBERNETES_SERVICE_HOST`/`_PORT` (in a pod) and `KUBECONFIG`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's home, for `~/.kube/config`. */
  readonly homeDirectory: string;
  readonly readFile: (path: string) => string;
  readonly fileExists: (path: string) => boolean;
}

const processSources = (): KubeConfigSources => ({
  env: process.env,
  homeDirectory: homedir(),
  readFile: (path) => readFileSync(path, 'utf8'),
  fileExists: existsSync,
});

/**
 * The connection settings of a component: the kubeconfig file its config names (tests,
 * out-of-cluster runs), else the pod's ServiceAccount when running in a cluster, else the first
 * file of `$KUBECONFIG`, else `~/.kube/config`. Read once, synchronously, at start.
 */
export function loadKubeConnectionSettings(
  kubeconfigPath?: string,
  sources: KubeConfigSources = processSources(),
): KubeConnectionSettings {
  if (kubeconfigPath !== undefined && kubeconfigPath !== '')
    return readKubeconfigFile(kubeconfigPath, sources);
  const host = sources.env.KUBERNETES_SERVICE_HOST;
  const tokenPath = join(serviceAccountDirectory, 'token');
  if (host !== undefined && host !== '' && sources.fileExists(tokenPath)) {
    return inClusterSettings(host, sources.env.KUBERNETES_SERVICE_PORT ?? '443', sources);
  }
  const fromEnv = sources.env.KUBECONFIG?.split(':').find((path) => path !== '');
  const path = fromEnv ?? join(sources.homeDirectory, '.kube', 'config');
  if (!sources.fileExists(path)) {
    throw new InvalidKubeConfigError(
      `no kubeconfig: not in a pod (KUBERNETES_SERVICE_HOST and ${tokenPath}), and ${path} does not exist`,
    );
  }
  return readKubeconfigFile(path, sources);
}

/** The pod's ServiceAccount: its token file (rotated by the kubelet) and the cluster CA beside it. */
function inClusterSettings(host: string, port: string, sources: KubeConfigSources): KubeConnectionSettings {
  const caPath = join(serviceAccountDirectory, 'ca.crt');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    caPem: readReferencedFile(caPath, 'the ServiceAccount CA', sources),
    bearerToken: { kind: 'file', path: join(serviceAccountDirectory, 'token') },
    isServerCertificateUnchecked: false,
  };
}

const name = z.string().min(1);

/**
 * The kubeconfig fields Accord's client reads (client-go's format); unknown fields are ignored as
 * client-go ignores them, the ones it cannot honour are refused by name.
 */
const kubeconfigSchema = z.object({
  clusters: z
    .array(
      z.object({
        name,
        cluster: z.object({
          server: z.string().min(1),
          'certificate-authority': z.string().optional(),
          'certificate-authority-data': z.string().optional(),
          'insecure-skip-tls-verify': z.boolean().optional(),
          'tls-server-name': z.string().optional(),
          'proxy-url': z.string().optional(),
        }),
      }),
    )
    .default([]),
  users: z
    .array(
      z.object({
        name,
        user: z
          .object({
            token: z.string().optional(),
            tokenFile: z.string().optional(),
            'client-certificate': z.string().optional(),
            'client-certificate-data': z.string().optional(),
            'client-key': z.string().optional(),
            'client-key-data': z.string().optional(),
            username: z.string().optional(),
            exec: z.unknown().optional(),
            'auth-provider': z.unknown().optional(),
          })
          .nullable()
          .transform((user) => user ?? {}),
      }),
    )
    .default([]),
  contexts: z
    .array(z.object({ name, context: z.object({ cluster: z.string(), user: z.string().optional() }) }))
    .default([]),
  'current-context': z.string().optional(),
});

type Kubeconfig = z.output<typeof kubeconfigSchema>;

/** Reads a kubeconfig file (YAML or JSON) and resolves its current context to connection settings. */
function readKubeconfigFile(path: string, sources: KubeConfigSources): KubeConnectionSettings {
  let text: string;
  try {
    text = sources.readFile(path);
  } catch (error) {
    throw new InvalidKubeConfigError(`cannot read kubeconfig ${path}: ${errorMessage(error)}`);
  }
  return parseKubeconfig(text, path, sources);
}

/**
 * The connection settings of a kubeconfig's current context. Relative file references are
 * resolved against the kubeconfig's directory, as client-go does; certificates, keys and the CA
 * are read now, a token file on every use (by the client). Exec plugins, auth providers, basic
 * auth and proxies are refused with their field's name: Accord's components run with a
 * ServiceAccount or a client certificate.
 */
export function parseKubeconfig(
  text: string,
  path: string,
  sources: KubeConfigSources = processSources(),
): KubeConnectionSettings {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new InvalidKubeConfigError(`kubeconfig ${path} is not YAML: ${errorMessage(error)}`);
  }
  const parsed = kubeconfigSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new InvalidKubeConfigError(`kubeconfig ${path}: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  const contextName = config['current-context'];
  if (contextName === undefined || contextName === '')
    throw new InvalidKubeConfigError(`kubeconfig ${path} has no current-context`);
  const context = findNamed(config.contexts, contextName, 'context', path).context;
  const cluster = findNamed(config.clusters, context.cluster, 'cluster', path).cluster;
  const user =
    context.user === undefined || context.user === ''
      ? {}
      : findNamed(config.users, context.user, 'user', path).user;
  const base = dirname(resolve(path));
  const fileOrData = (fileField: string, file: string | undefined, data: string | undefined) =>
    data === undefined
      ? file === undefined
        ? undefined
        : readReferencedFile(isAbsolute(file) ? file : join(base, file), `${fileField} of ${path}`, sources)
      : Buffer.from(data, 'base64').toString('utf8');

  const refused = refusedUserField(user) ?? (cluster['proxy-url'] === undefined ? undefined : 'proxy-url');
  if (refused !== undefined)
    throw new InvalidKubeConfigError(
      `kubeconfig ${path}: ${refused} is not supported (use a token or a client certificate)`,
    );
  if (!cluster.server.startsWith('https://'))
    throw new InvalidKubeConfigError(
      `kubeconfig ${path}: the server must be https://, got ${cluster.server}`,
    );
  const clientCertificatePem = fileOrData(
    'client-certificate',
    user['client-certificate'],
    user['client-certificate-data'],
  );
  const clientKeyPem = fileOrData('client-key', user['client-key'], user['client-key-data']);
  if ((clientCertificatePem === undefined) !== (clientKeyPem === undefined))
    throw new InvalidKubeConfigError(
      `kubeconfig ${path}: a client certificate needs its key and a key its certificate`,
    );
  const caPem = fileOrData(
    'certificate-authority',
    cluster['certificate-authority'],
    cluster['certificate-authority-data'],
  );
  const bearerToken = tokenOf(user, base);
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ...(caPem === undefined ? {} : { caPem }),
    ...(clientCertificatePem === undefined || clientKeyPem === undefined
      ? {}
      : { clientCertificatePem, clientKeyPem }),
    ...(bearerToken === undefined ? {} : { bearerToken }),
    isServerCertificateUnchecked: cluster['insecure-skip-tls-verify'] === true,
    ...(cluster['tls-server-name'] === undefined ? {} : { tlsServerName: cluster['tls-server-name'] }),
  };
}

function findNamed<T extends { name: string }>(
  items: readonly T[],
  name: string,
  what: string,
  path: string,
): T {
  const found = items.find((item) => item.name === name);
  if (found === undefined)
    throw new InvalidKubeConfigError(`kubeconfig ${path} has no ${what} named ${name}`);
  return found;
}

type KubeconfigUser = Kubeconfig['users'][number]['user'];

function refusedUserField(user: KubeconfigUser): string | undefined {
  if (user.exec !== undefined) return 'users[].user.exec';
  if (user['auth-provider'] !== undefined) return 'users[].user.auth-provider';
  if (user.username !== undefined) return 'users[].user.username (basic authentication)';
  return undefined;
}

function tokenOf(user: KubeconfigUser, base: string): KubeConnectionSettings['bearerToken'] {
  if (user.token !== undefined && user.token !== '') return { kind: 'static', token: user.token };
  if (user.tokenFile !== undefined && user.tokenFile !== '') {
    return { kind: 'file', path: isAbsolute(user.tokenFile) ? user.tokenFile : join(base, user.tokenFile) };
  }
  return undefined;
}

function readReferencedFile(path: string, what: string, sources: KubeConfigSources): string {
  try {
    return sources.readFile(path);
  } catch (error) {
    throw new InvalidKubeConfigError(`cannot read ${what} (${path}): ${errorMessage(error)}`);
  }
}
